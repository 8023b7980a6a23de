package nnsinterop

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/specgate/specgate/internal/nettcp/duplex"
	"github.com/specgate/specgate/internal/nettcp/nmf"
	"github.com/specgate/specgate/internal/nettcp/nns"
	"github.com/specgate/specgate/internal/ntlm"
	"github.com/specgate/specgate/internal/spnego"
)

func ntlmContext(pw string, l nns.ProtectionLevel) *ntlm.ClientContext {
	return ntlm.NewClientContext(ntlm.ClientConfig{
		Credentials: ntlm.Credentials{Domain: domain, User: user, Password: pw},
		Workstation: "SPECGATE", TargetName: "host/localhost",
		Integrity: l >= nns.Sign, Confidentiality: l == nns.EncryptAndSign,
	})
}

// roundTrip sends envelopes through the upgraded stream and checks the
// peer's answers, which only a peer that unwrapped them can produce.
func roundTrip(t *testing.T, c io.ReadWriter, envelopes ...[]byte) {
	t.Helper()
	for i, env := range envelopes {
		if err := nmf.WriteSizedEnvelope(c, env); err != nil {
			t.Fatalf("envelope %d: %v", i, err)
		}
		got, err := nmf.ReadEnvelope(c, nmf.Limits{})
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if want := append([]byte("peer-unwrapped:"), env...); !bytes.Equal(got, want) {
			t.Fatalf("reply %d is %d octets %q..., want the peer's echo of %d octets", i, len(got), got[:min(len(got), 40)], len(env))
		}
	}
	if err := nmf.WriteEnd(c); err != nil {
		t.Fatal(err)
	}
	if rec, err := nmf.ReadRecord(c); err != nil {
		t.Fatalf("waiting for End: %v", err)
	} else if e, ok := rec.(nmf.EndRecord); !ok || e.EOF {
		t.Fatalf("got %v (EOF=%v) where End was expected", rec.Type(), ok && e.EOF)
	}
}

func TestNTLMEncryptAndSignAgainstGSSAPI(t *testing.T) {
	requirePeer(t)
	p := startPeer(t, "--mech", "ntlm", "--require", "EncryptAndSign")
	conn := dial(t, p)
	c, err := nns.Open(conn, via(p), 0x08, ntlmContext(password, nns.EncryptAndSign), level(nns.EncryptAndSign))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	big := bytes.Repeat([]byte("<a:Action>http://Microsoft.Windows.Ipam/x</a:Action>"), 3000) // spans data messages
	roundTrip(t, c, []byte("<s:Envelope>hello over NNS</s:Envelope>"), big, []byte("third"))
	s, rc := p.wait(t)
	if rc != 0 || !s.OK || !s.Confidentiality || !s.Integrity || s.Initiator != `TEST\alice` {
		t.Fatalf("peer rc=%d summary %+v", rc, s)
	}
	if want := 1 + 1 + 1 + (len(big)+10)/nns.MaxDataPlaintext + 1 + 1; s.FramesIn != want {
		t.Fatalf("peer unwrapped %d data messages, want %d", s.FramesIn, want)
	}
}

func TestNTLMSignAgainstGSSAPI(t *testing.T) {
	requirePeer(t)
	p := startPeer(t, "--mech", "ntlm", "--require", "Sign")
	c, err := nns.Open(dial(t, p), via(p), 0x03, ntlmContext(password, nns.Sign), level(nns.Sign))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	roundTrip(t, c, []byte("signed only"))
	s, rc := p.wait(t)
	if rc != 0 || !s.OK || s.Confidentiality || !s.Integrity {
		t.Fatalf("peer rc=%d summary %+v", rc, s)
	}
}

func TestNTLMWrongPasswordAgainstGSSAPI(t *testing.T) {
	requirePeer(t)
	p := startPeer(t, "--mech", "ntlm")
	_, err := nns.Open(dial(t, p), via(p), 0x08, ntlmContext("wrong-password", nns.EncryptAndSign), level(nns.EncryptAndSign))
	var rej *nns.RejectedError
	if !errors.As(err, &rej) || rej.Code != nns.SecELogonDenied {
		t.Fatalf("err = %v, want the peer's HandshakeError SEC_E_LOGON_DENIED", err)
	}
	if strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("the error shows the password: %v", err)
	}
	t.Logf("client error: %v", err)
	s, rc := p.wait(t)
	if rc == 0 || s.Handshake != "rejected" {
		t.Fatalf("peer rc=%d summary %+v", rc, s)
	}
}

func TestNTLMRefusedProtectionLevelAgainstGSSAPI(t *testing.T) {
	requirePeer(t)
	p := startPeer(t, "--mech", "ntlm", "--require", "EncryptAndSign")
	_, err := nns.Open(dial(t, p), via(p), 0x08, ntlmContext(password, nns.Sign), level(nns.Sign))
	var rej *nns.RejectedError
	if !errors.As(err, &rej) || rej.Code != nns.SecEQOPNotSupported {
		t.Fatalf("err = %v, want the peer's HandshakeError SEC_E_QOP_NOT_SUPPORTED", err)
	}
	t.Logf("client error: %v", err)
	s, _ := p.wait(t)
	if s.OK || len(s.Errors) == 0 || !strings.Contains(s.Errors[0], "EncryptAndSign required") {
		t.Fatalf("peer summary %+v", s)
	}
}

// flipper flips the last bit of the n-th data message written after the
// handshake (the client writes each handshake message, and each batch of
// data messages, in one Write).
type flipper struct {
	net.Conn
	writes, target int
}

func (f *flipper) Write(b []byte) (int, error) {
	f.writes++
	if f.writes == f.target {
		b = bytes.Clone(b)
		b[len(b)-1] ^= 0x01
	}
	return f.Conn.Write(b)
}

func TestNTLMTamperedFrameAgainstGSSAPI(t *testing.T) {
	requirePeer(t)
	p := startPeer(t, "--mech", "ntlm")
	// Writes: 1 preamble+upgrade, 2 NEGOTIATE, 3 AUTHENTICATE, 4 Preamble
	// End, 5 the envelope: flip a ciphertext bit of the envelope.
	conn := &flipper{Conn: dial(t, p), target: 5}
	c, err := nns.Open(conn, via(p), 0x08, ntlmContext(password, nns.EncryptAndSign), level(nns.EncryptAndSign))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := nmf.WriteSizedEnvelope(c, []byte("<s:Envelope>tampered</s:Envelope>")); err != nil {
		t.Fatal(err)
	}
	_, err = nmf.ReadEnvelope(c, nmf.Limits{})
	if err == nil {
		t.Fatal("the peer answered a tampered frame")
	}
	t.Logf("client error: %v", err)
	s, rc := p.wait(t)
	if rc == 0 || len(s.Errors) == 0 || !strings.Contains(s.Errors[0], "gss_unwrap failed on data message 2") {
		t.Fatalf("peer rc=%d summary %+v", rc, s)
	}
}

func spnegoContext(pw string, l nns.ProtectionLevel) *spnego.Initiator {
	return spnego.NewInitiator(spnego.OIDNTLM, ntlmContext(pw, l))
}

func TestSPNEGONTLMEncryptAndSignAgainstGSSAPI(t *testing.T) {
	requirePeer(t)
	p := startPeer(t, "--mech", "spnego", "--require", "EncryptAndSign")
	c, err := nns.Open(dial(t, p), via(p), 0x08, spnegoContext(password, nns.EncryptAndSign), level(nns.EncryptAndSign))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	roundTrip(t, c, []byte("<s:Envelope>over SPNEGO</s:Envelope>"), bytes.Repeat([]byte{'x'}, 70000))
	s, rc := p.wait(t)
	if rc != 0 || !s.OK || !s.Confidentiality || s.Initiator != `TEST\alice` || !strings.Contains(s.Mech, "1.3.6.1.4.1.311.2.2.10") {
		t.Fatalf("peer rc=%d summary %+v", rc, s)
	}
}

func TestSPNEGONTLMWrongPasswordAgainstGSSAPI(t *testing.T) {
	requirePeer(t)
	p := startPeer(t, "--mech", "spnego")
	_, err := nns.Open(dial(t, p), via(p), 0x08, spnegoContext("wrong-password", nns.EncryptAndSign), level(nns.EncryptAndSign))
	var rej *nns.RejectedError
	if !errors.As(err, &rej) || rej.Code != nns.SecELogonDenied {
		t.Fatalf("err = %v, want the peer's HandshakeError SEC_E_LOGON_DENIED", err)
	}
	s, _ := p.wait(t)
	if s.Handshake != "rejected" {
		t.Fatalf("peer summary %+v", s)
	}
}

// TestDuplexTransportThroughGSSAPI opens and closes a net.tcp session with
// internal/nettcp/duplex (specgate's IPAM transport) through nns.Dialer
// against the GSSAPI peer: the peer unwraps the Preamble End and the End
// record that duplex writes.
func TestDuplexTransportThroughGSSAPI(t *testing.T) {
	requirePeer(t)
	p := startPeer(t, "--mech", "spnego", "--require", "EncryptAndSign")
	d := &nns.Dialer{
		Via: via(p), Encoding: duplex.EncodingBinary,
		NewContext: func() (nns.SecurityContext, error) { return spnegoContext(password, nns.EncryptAndSign), nil },
		Config:     level(nns.EncryptAndSign),
	}
	tr, err := duplex.New(duplex.Options{Endpoint: via(p), Encoding: duplex.EncodingBinary, Dial: d.DialContext})
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := tr.OpenSession(context.Background())
	if err != nil {
		t.Fatalf("OpenSession: %v", err)
	}
	tr.CloseSession(id)
	_ = tr.Close()
	s, rc := p.wait(t)
	if rc != 0 || !s.OK || s.FramesIn != 2 {
		t.Fatalf("peer rc=%d summary %+v", rc, s)
	}
}
