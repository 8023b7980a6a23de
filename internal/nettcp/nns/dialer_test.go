package nns

import (
	"context"
	"net"
	"testing"

	"github.com/specgate/specgate/internal/nettcp/duplex"
	"github.com/specgate/specgate/internal/nettcp/nmf"
)

// TestDialerUnderDuplexTransport opens a net.tcp session with
// internal/nettcp/duplex through the Dialer: the preamble goes out before
// the upgrade, the Preamble End and the rest inside NTLM EncryptAndSign.
func TestDialerUnderDuplexTransport(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	endpoint := "net.tcp://" + l.Addr().String() + "/ipam"
	type seen struct {
		pre  nmf.Preamble
		last nmf.Record
		lvl  ProtectionLevel
		err  error
	}
	done := make(chan seen, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- seen{err: err}
			return
		}
		defer c.Close()
		s, pre, err := Accept(c, ntlmServer(), Config{Level: EncryptAndSign})
		if err != nil {
			done <- seen{pre: pre, err: err}
			return
		}
		rec, err := nmf.ReadRecord(s) // the client's End (or a clean close)
		done <- seen{pre: pre, last: rec, lvl: s.Level(), err: err}
	}()
	d := &Dialer{
		Via: endpoint, Encoding: duplex.EncodingBinary,
		NewContext: func() (SecurityContext, error) { return ntlmClient("Passw0rd", EncryptAndSign), nil },
		Config:     Config{Level: EncryptAndSign},
	}
	tr, err := duplex.New(duplex.Options{Endpoint: endpoint, Encoding: duplex.EncodingBinary, Dial: d.DialContext})
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := tr.OpenSession(context.Background())
	if err != nil {
		t.Fatalf("OpenSession through NNS: %v", err)
	}
	tr.CloseSession(id)
	_ = tr.Close()
	s := <-done
	if s.err != nil {
		t.Fatalf("server: %v", s.err)
	}
	if s.pre.Via != endpoint || s.pre.Encoding != duplex.EncodingBinary || s.lvl != EncryptAndSign {
		t.Fatalf("server saw %+v at %v", s.pre, s.lvl)
	}
	if _, ok := s.last.(nmf.EndRecord); !ok {
		t.Fatalf("server read %v after the session, want End", s.last)
	}
}

func TestDialerRejectsAnUnexpectedFirstWrite(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &netConn{Conn: a, preamble: []byte{0, 1, 0}}
	if _, err := c.Write([]byte{0x0c}); err == nil {
		t.Fatal("a first write without the preamble was accepted")
	}
}
