package ntlm

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func exchange(t *testing.T, clientPW string, tamper func(auth []byte)) (*Client, *Server, *Session, error) {
	t.Helper()
	c := NewClient(ClientConfig{
		Credentials: Credentials{Domain: "TEST", User: "alice", Password: clientPW},
		Workstation: "WS", Confidentiality: true, TargetName: "host/localhost",
	})
	s := NewServer(ServerConfig{Domain: "TEST", Computer: "SRV", Accounts: map[string]string{`test\ALICE`: "Passw0rd"}})
	chal, err := s.Challenge(c.Negotiate())
	if err != nil {
		t.Fatal(err)
	}
	auth, err := c.Authenticate(chal)
	if err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		tamper(auth)
	}
	ss, err := s.Accept(auth)
	return c, s, ss, err
}

func TestClientServerSealRoundTrip(t *testing.T) {
	c, s, ss, err := exchange(t, "Passw0rd", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.User() != `TEST\alice` {
		t.Fatalf("user %q", s.User())
	}
	cs := c.Session()
	if !cs.Confidentiality() || !cs.Integrity() || !cs.Flags().Has(FlagKeyExch) {
		t.Fatalf("negotiated flags %#x", uint32(cs.Flags()))
	}
	for i := range 3 {
		msg := []byte(fmt.Sprintf("message %d from the client", i))
		tok := cs.Wrap(msg)
		if bytes.Contains(tok, msg) {
			t.Fatal("the sealed token contains the plaintext")
		}
		got, err := ss.Unwrap(tok)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("server Unwrap %d = %q, %v", i, got, err)
		}
		back, err := cs.Unwrap(ss.Wrap(got))
		if err != nil || !bytes.Equal(back, msg) {
			t.Fatalf("client Unwrap %d = %q, %v", i, back, err)
		}
	}
}

func TestWrongPasswordIsALogonFailure(t *testing.T) {
	_, _, _, err := exchange(t, "wrong-secret", nil)
	if !errors.Is(err, ErrLogonFailure) {
		t.Fatalf("err = %v, want ErrLogonFailure", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") || strings.Contains(err.Error(), "Passw0rd") {
		t.Fatalf("error leaks a password: %v", err)
	}
}

func TestTamperedMICIsRefused(t *testing.T) {
	_, _, _, err := exchange(t, "Passw0rd", func(a []byte) { a[micOffset] ^= 1 })
	if !errors.Is(err, ErrLogonFailure) || !strings.Contains(err.Error(), "MIC") {
		t.Fatalf("err = %v, want a MIC logon failure", err)
	}
	// A flag changed after the MIC was computed breaks it too.
	_, _, _, err = exchange(t, "Passw0rd", func(a []byte) { a[60] &^= byte(FlagSeal) })
	if !errors.Is(err, ErrLogonFailure) {
		t.Fatalf("err = %v after dropping FlagSeal, want ErrLogonFailure", err)
	}
}

func TestTamperedAndReplayedTokensAreRefused(t *testing.T) {
	c, _, ss, err := exchange(t, "Passw0rd", nil)
	if err != nil {
		t.Fatal(err)
	}
	tok := c.Session().Wrap([]byte("hello"))
	bad := bytes.Clone(tok)
	bad[len(bad)-1] ^= 0x80
	if _, err := ss.Unwrap(bad); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("flipped ciphertext bit: err = %v", err)
	}
	// Sequence numbers: a fresh pair, then the same token twice.
	c, _, ss, _ = exchange(t, "Passw0rd", nil)
	tok = c.Session().Wrap([]byte("hello"))
	if _, err := ss.Unwrap(tok); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Unwrap(tok); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("replayed token: err = %v", err)
	}
	if _, err := ss.Unwrap(tok[:5]); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("short token: err = %v", err)
	}
}

func TestGetMICVerifyMIC(t *testing.T) {
	c, _, ss, err := exchange(t, "Passw0rd", nil)
	if err != nil {
		t.Fatal(err)
	}
	sig := c.Session().GetMIC([]byte("mechTypes"))
	if err := ss.VerifyMIC([]byte("mechTypes"), sig); err != nil {
		t.Fatal(err)
	}
	sig = c.Session().GetMIC([]byte("mechTypes"))
	if err := ss.VerifyMIC([]byte("mechTypeX"), sig); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("err = %v", err)
	}
}

func TestCredentialsNeverPrintThePassword(t *testing.T) {
	c := Credentials{Domain: "TEST", User: "alice", Password: "s3cret"}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c)} {
		if strings.Contains(s, "s3cret") {
			t.Fatalf("%q shows the password", s)
		}
	}
}

func TestResetCryptoRekeysAndKeepsSequence(t *testing.T) {
	c, _, ss, err := exchange(t, "Passw0rd", nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := c.Session()
	sig := cs.GetMIC([]byte("mechTypes"))
	if err := ss.VerifyMIC([]byte("mechTypes"), sig); err != nil {
		t.Fatal(err)
	}
	cs.ResetCrypto()
	// Without the reset on the server side the RC4 streams disagree.
	tok := cs.Wrap([]byte("after reset"))
	if _, err := NewSession(cs.flags, cs.exported, false).Unwrap(tok); err == nil {
		t.Fatal("a fresh server session (sequence 0) accepted sequence number 1")
	}
	ss.ResetCrypto()
	got, err := ss.Unwrap(tok)
	if err != nil || string(got) != "after reset" {
		t.Fatalf("Unwrap after both resets = %q, %v", got, err)
	}
	if tok[12] != 1 {
		t.Fatalf("sequence number %d after reset, want 1", tok[12])
	}
}
