package nns

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/specgate/specgate/internal/nettcp/nmf"
	"github.com/specgate/specgate/internal/ntlm"
)

const testVia = "net.tcp://127.0.0.1/ipam"

func ntlmClient(pw string, level ProtectionLevel) *ntlm.ClientContext {
	return ntlm.NewClientContext(ntlm.ClientConfig{
		Credentials: ntlm.Credentials{Domain: "TEST", User: "alice", Password: pw},
		Workstation: "WS",
		Integrity:   level >= Sign, Confidentiality: level == EncryptAndSign,
	})
}

func ntlmServer() *ntlm.ServerContext {
	return ntlm.NewServerContext(ntlm.ServerConfig{Domain: "TEST", Computer: "SRV", Accounts: map[string]string{`TEST\alice`: "Passw0rd"}})
}

// recorder keeps what the client wrote to the wire.
type recorder struct {
	net.Conn
	mu  sync.Mutex
	out bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.out.Write(p)
	r.mu.Unlock()
	return r.Conn.Write(p)
}

type result struct {
	conn *Conn
	pre  nmf.Preamble
	err  error
}

// session runs Open against Accept over a pipe; the server echoes one
// sized envelope back.
func session(t *testing.T, cli SecurityContext, clientLevel, serverLevel ProtectionLevel, payload []byte) (*Conn, *recorder, result, error) {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	rec := &recorder{Conn: a}
	done := make(chan result, 1)
	go func() {
		c, p, err := Accept(b, ntlmServer(), Config{Level: serverLevel})
		if err == nil && payload != nil {
			var env []byte
			if env, err = nmf.ReadEnvelope(c, nmf.Limits{}); err == nil {
				err = nmf.WriteSizedEnvelope(c, env)
			}
		}
		if err != nil {
			b.Close()
		}
		done <- result{c, p, err}
	}()
	c, err := Open(rec, testVia, 0x08, cli, Config{Level: clientLevel})
	if err != nil {
		a.Close()
		return nil, rec, <-done, err
	}
	if payload != nil {
		if err := nmf.WriteSizedEnvelope(c, payload); err != nil {
			t.Fatal(err)
		}
		got, err := nmf.ReadEnvelope(c, nmf.Limits{})
		if err != nil {
			t.Fatalf("echo: %v", err)
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("echo returned %d octets, sent %d", len(got), len(payload))
		}
	}
	return c, rec, <-done, nil
}

func TestEncryptAndSignSession(t *testing.T) {
	msg := bytes.Repeat([]byte("<s:Envelope>secret IPAM payload</s:Envelope>"), 4000) // > one data message
	c, rec, srv, err := session(t, ntlmClient("Passw0rd", EncryptAndSign), EncryptAndSign, EncryptAndSign, msg)
	if err != nil || srv.err != nil {
		t.Fatalf("client: %v; server: %v", err, srv.err)
	}
	if c.Level() != EncryptAndSign || srv.conn.Level() != EncryptAndSign {
		t.Fatalf("levels %v / %v", c.Level(), srv.conn.Level())
	}
	if srv.pre.Via != testVia || srv.pre.Encoding != 0x08 || srv.pre.Upgrade != nmf.UpgradeNegotiate {
		t.Fatalf("server saw preamble %+v", srv.pre)
	}
	wire := rec.out.Bytes()
	if bytes.Contains(wire, []byte("secret IPAM payload")) {
		t.Fatal("plaintext on the wire under EncryptAndSign")
	}
	// The wire starts with the preamble and the upgrade request, then the
	// first handshake message carries NTLM NEGOTIATE.
	pre, _ := nmf.AppendPreamble(nil, nmf.Preamble{Major: 1, Mode: nmf.ModeDuplex, Via: testVia, Encoding: 0x08})
	pre, _ = nmf.AppendRecord(pre, nmf.UpgradeRequestRecord{Protocol: nmf.UpgradeNegotiate})
	if !bytes.HasPrefix(wire, pre) {
		t.Fatalf("wire does not start with the preamble and upgrade request: % x", wire[:min(len(wire), 64)])
	}
	h, rest, err := ParseHandshake(wire[len(pre):])
	if err != nil || h.ID != HandshakeInProgress || !bytes.HasPrefix(h.Payload, []byte("NTLMSSP\x00\x01")) {
		t.Fatalf("first handshake message %v %q: %v", h.ID, h.Payload[:min(len(h.Payload), 12)], err)
	}
	h, rest, err = ParseHandshake(rest)
	if err != nil || h.ID != HandshakeDone || !bytes.HasPrefix(h.Payload, []byte("NTLMSSP\x00\x03")) {
		t.Fatalf("second handshake message %v: %v", h.ID, err)
	}
	// Then data messages only: the Preamble End, then the envelope in
	// chunks of at most MaxDataPlaintext.
	frames := 0
	for len(rest) > 0 {
		var p []byte
		if p, rest, err = ParseData(rest); err != nil {
			t.Fatalf("data message %d: %v", frames, err)
		}
		if len(p) > MaxDataPayload {
			t.Fatalf("data message %d has %d octets", frames, len(p))
		}
		frames++
	}
	if want := 1 + (len(msg)+10)/MaxDataPlaintext + 1; frames != want {
		t.Fatalf("%d data messages, want %d", frames, want)
	}
}

func TestSignSessionSendsPlaintextSigned(t *testing.T) {
	c, rec, srv, err := session(t, ntlmClient("Passw0rd", Sign), Sign, Sign, []byte("signed but visible"))
	if err != nil || srv.err != nil {
		t.Fatalf("client: %v; server: %v", err, srv.err)
	}
	if c.Level() != Sign {
		t.Fatalf("level %v", c.Level())
	}
	if !bytes.Contains(rec.out.Bytes(), []byte("signed but visible")) {
		t.Fatal("Sign should not seal")
	}
}

func TestNoneSessionIsUnframed(t *testing.T) {
	c, rec, srv, err := session(t, ntlmClient("Passw0rd", None), None, None, []byte("plain"))
	if err != nil || srv.err != nil {
		t.Fatalf("client: %v; server: %v", err, srv.err)
	}
	if c.Level() != None {
		t.Fatalf("level %v", c.Level())
	}
	// After the handshake the Preamble End (0x0c) follows unframed.
	w := rec.out.Bytes()
	i := bytes.Index(w, []byte("NTLMSSP\x00\x03"))
	_, rest, err := ParseHandshake(w[i-HandshakeHeaderSize:])
	if err != nil || len(rest) == 0 || rest[0] != byte(nmf.TypePreambleEnd) {
		t.Fatalf("after the handshake: % x (%v)", rest[:min(len(rest), 8)], err)
	}
}

func TestWrongPasswordIsRejected(t *testing.T) {
	_, _, srv, err := session(t, ntlmClient("not-the-password", EncryptAndSign), EncryptAndSign, EncryptAndSign, nil)
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.Code != SecELogonDenied {
		t.Fatalf("client err = %v, want HandshakeError SEC_E_LOGON_DENIED", err)
	}
	if !strings.Contains(err.Error(), "SEC_E_LOGON_DENIED") || strings.Contains(err.Error(), "not-the-password") {
		t.Fatalf("error text: %v", err)
	}
	if !errors.Is(srv.err, ntlm.ErrLogonFailure) {
		t.Fatalf("server err = %v", srv.err)
	}
}

func TestRefusedProtectionLevel(t *testing.T) {
	// The client asks only for signing; the server requires sealing.
	_, _, srv, err := session(t, ntlmClient("Passw0rd", Sign), Sign, EncryptAndSign, nil)
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.Code != SecEQOPNotSupported || !strings.Contains(err.Error(), "refused the protection level") {
		t.Fatalf("client err = %v, want HandshakeError SEC_E_QOP_NOT_SUPPORTED", err)
	}
	if !errors.Is(srv.err, ErrProtection) {
		t.Fatalf("server err = %v", srv.err)
	}
	// The client requires sealing but its context only signs: the client
	// refuses on its own.
	_, _, _, err = session(t, ntlmClient("Passw0rd", Sign), EncryptAndSign, None, nil)
	if !errors.Is(err, ErrProtection) || !strings.Contains(err.Error(), "EncryptAndSign is required") {
		t.Fatalf("client err = %v, want ErrProtection", err)
	}
}

// tamperer flips one bit of the n-th data message the client writes
// after the handshake.
type tamperer struct {
	net.Conn
	hs     int // handshake messages still to pass
	frames int
	target int
}

func (t *tamperer) Write(p []byte) (int, error) {
	if t.hs > 0 {
		if _, _, err := ParseHandshake(p); err == nil {
			t.hs--
		}
		return t.Conn.Write(p)
	}
	q := bytes.Clone(p)
	for off := 0; off < len(q); {
		pl, _, err := ParseData(q[off:])
		if err != nil {
			break
		}
		if t.frames == t.target {
			q[off+DataHeaderSize+len(pl)-1] ^= 0x01
		}
		t.frames++
		off += DataHeaderSize + len(pl)
	}
	return t.Conn.Write(q)
}

func TestTamperedDataMessageIsRefused(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	errc := make(chan error, 1)
	go func() {
		c, _, err := Accept(b, ntlmServer(), Config{Level: EncryptAndSign})
		if err == nil {
			_, err = nmf.ReadEnvelope(c, nmf.Limits{})
		}
		b.Close()
		errc <- err
	}()
	// Pass the preamble write untouched (it is not a handshake message),
	// then the two handshake messages, then flip a bit in the second data
	// message (the first carries Preamble End).
	w := &tamperer{Conn: a, hs: 2, target: 1}
	pre := &preamblePass{tamperer: w}
	c, err := Open(pre, testVia, 0x08, ntlmClient("Passw0rd", EncryptAndSign), Config{Level: EncryptAndSign})
	if err != nil {
		t.Fatal(err)
	}
	_ = nmf.WriteSizedEnvelope(c, []byte("<s:Envelope/>"))
	err = <-errc
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "data message 2") {
		t.Fatalf("server err = %v, want ErrIntegrity on data message 2", err)
	}
}

// preamblePass lets the first write (preamble + upgrade request) through.
type preamblePass struct {
	*tamperer
	passed bool
}

func (p *preamblePass) Write(b []byte) (int, error) {
	if !p.passed {
		p.passed = true
		return p.tamperer.Conn.Write(b)
	}
	return p.tamperer.Write(b)
}

func TestUpgradeRefusedWithFault(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() {
		pre, _ := nmf.AppendPreamble(nil, nmf.Preamble{Major: 1, Mode: nmf.ModeDuplex, Via: testVia, Encoding: 8})
		pre, _ = nmf.AppendRecord(pre, nmf.UpgradeRequestRecord{Protocol: nmf.UpgradeSSLTLS})
		a.Write(pre)
		io.Copy(io.Discard, a)
	}()
	if _, err := AcceptUpgrade(b); err == nil || !strings.Contains(err.Error(), "application/ssl-tls") {
		t.Fatalf("err = %v", err)
	}
	// And the initiator side reads the fault.
	c, d := net.Pipe()
	defer c.Close()
	defer d.Close()
	go func() {
		_, _ = nmf.ReadPreamble(d)
		_ = nmf.WriteFault(d, nmf.FaultUpgradeInvalid)
	}()
	if err := RequestUpgrade(c, testVia, 8); !errors.Is(err, nmf.ErrFault) {
		t.Fatalf("err = %v, want a fault", err)
	}
}

func TestHandshakeRecordKnownOctets(t *testing.T) {
	// [MS-NNS] §2.2.1: id, major 1, minor 0, 16-bit big-endian size.
	b, err := AppendHandshake(nil, Handshake{ID: HandshakeInProgress, Payload: make([]byte, 0x0128)})
	if err != nil || !bytes.Equal(b[:5], []byte{0x16, 1, 0, 0x01, 0x28}) {
		t.Fatalf("header % x, %v", b[:5], err)
	}
	// §2.2.2: 32-bit little-endian size.
	d, _ := AppendData(nil, make([]byte, 0x0102))
	if !bytes.Equal(d[:4], []byte{0x02, 0x01, 0, 0}) {
		t.Fatalf("data header % x", d[:4])
	}
	for _, bad := range [][]byte{{0x17, 1, 0, 0, 0}, {0x14, 2, 0, 0, 0}, {0x14, 1, 1, 0, 0}, {0x14, 1, 0}} {
		if _, _, err := ParseHandshake(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("% x: err = %v", bad, err)
		}
	}
	if _, err := ParseDataHeader([]byte{0, 0, 0, 0}); !errors.Is(err, ErrMalformed) {
		t.Error("zero-size data message accepted")
	}
	if _, err := ParseDataHeader([]byte{1, 0, 1, 0}); !errors.Is(err, ErrMalformed) {
		t.Error("oversized data message accepted")
	}
	if _, err := AppendData(nil, make([]byte, MaxDataPayload+1)); err == nil {
		t.Error("oversized data payload written")
	}
	e := parseRejected([]byte{0, 0, 0, 0, 0x80, 0x09, 0x03, 0x0c})
	if e.Code != SecELogonDenied {
		t.Fatalf("HandshakeError code %v", e.Code)
	}
}

// fatContext wraps with a 60-octet prefix (like Kerberos AES) and says so.
type fatContext struct{ limit bool }

func (fatContext) Step([]byte) ([]byte, bool, error) { return nil, true, nil }
func (fatContext) Wrap(m []byte) ([]byte, error)     { return append(make([]byte, 60), m...), nil }
func (fatContext) Unwrap(t []byte) ([]byte, error)   { return t[60:], nil }
func (fatContext) Integrity() bool                   { return true }
func (fatContext) Confidentiality() bool             { return true }

type limitedFat struct{ fatContext }

func (limitedFat) WrapSizeLimit(max int) int { return max - 60 }

func TestWriteHonoursWrapSizeLimit(t *testing.T) {
	var buf bytes.Buffer
	c := newConn(&buf, limitedFat{})
	if _, err := c.Write(make([]byte, 3*MaxDataPlaintext)); err != nil {
		t.Fatal(err)
	}
	for rest := buf.Bytes(); len(rest) > 0; {
		p, r, err := ParseData(rest)
		if err != nil || len(p) > MaxDataPayload {
			t.Fatalf("data message of %d octets (%v)", len(p), err)
		}
		rest = r
	}
	// Without the limit a 60-octet overhead overflows the data message.
	if _, err := newConn(&buf, fatContext{}).Write(make([]byte, MaxDataPlaintext)); err == nil {
		t.Fatal("an oversized data message was written")
	}
}
