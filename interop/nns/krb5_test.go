package nnsinterop

import (
	"strings"
	"testing"

	"github.com/specgate/specgate/internal/krb5gss"
	"github.com/specgate/specgate/internal/nettcp/nmf"
	"github.com/specgate/specgate/internal/nettcp/nns"
	"github.com/specgate/specgate/internal/spnego"
)

func krbContext(k *kdc, pw string) *krb5gss.Initiator {
	return krb5gss.NewInitiator(krb5gss.Config{
		Credentials: krb5gss.Credentials{User: user, Realm: realm, Password: pw},
		SPN:         spn, KRB5Conf: k.krb5conf,
	})
}

func TestKerberosEncryptAndSignAgainstGSSAPI(t *testing.T) {
	requirePeer(t)
	k := startKDC(t)
	p := startPeerEnv(t, k.peerEnv(), "--mech", "any", "--require", "EncryptAndSign")
	c, err := nns.Open(dial(t, p), via(p), 0x08, krbContext(k, password), level(nns.EncryptAndSign))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	roundTrip(t, c, []byte("<s:Envelope>over Kerberos</s:Envelope>"), []byte(strings.Repeat("k", 100000)))
	s, rc := p.wait(t)
	if rc != 0 || !s.OK || !s.Confidentiality || s.Initiator != "alice@TEST.LOCAL" || !strings.Contains(s.Mech, "1.2.840.113554.1.2.2") {
		t.Fatalf("peer rc=%d summary %+v", rc, s)
	}
}

func TestKerberosWrongPasswordFailsAtTheKDC(t *testing.T) {
	requirePeer(t)
	k := startKDC(t)
	p := startPeerEnv(t, k.peerEnv(), "--mech", "any")
	_, err := nns.Open(dial(t, p), via(p), 0x08, krbContext(k, "wrong-password"), level(nns.EncryptAndSign))
	if err == nil || !strings.Contains(err.Error(), "krb5: login as alice@TEST.LOCAL") || strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("err = %v, want a login failure that does not show the password", err)
	}
	t.Logf("client error: %v", err)
}

func TestSPNEGOKerberosEncryptAndSignAgainstGSSAPI(t *testing.T) {
	requirePeer(t)
	k := startKDC(t)
	p := startPeerEnv(t, k.peerEnv(), "--mech", "spnego", "--require", "EncryptAndSign")
	ctx := spnego.NewInitiator(spnego.OIDKerberos, krbContext(k, password))
	c, err := nns.Open(dial(t, p), via(p), 0x08, ctx, level(nns.EncryptAndSign))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	roundTrip(t, c, []byte("<s:Envelope>SPNEGO Kerberos</s:Envelope>"))
	s, rc := p.wait(t)
	if rc != 0 || !s.OK || !s.Confidentiality || s.Initiator != "alice@TEST.LOCAL" {
		t.Fatalf("peer rc=%d summary %+v", rc, s)
	}
}

func TestKerberosTamperedFrameAgainstGSSAPI(t *testing.T) {
	requirePeer(t)
	k := startKDC(t)
	p := startPeerEnv(t, k.peerEnv(), "--mech", "any")
	// Writes: 1 preamble+upgrade, 2 AP-REQ, 3 Preamble End, 4 the
	// envelope: flip the last octet (the HMAC) of the envelope's token.
	conn := &flipper{Conn: dial(t, p), target: 4}
	c, err := nns.Open(conn, via(p), 0x08, krbContext(k, password), level(nns.EncryptAndSign))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := nmf.WriteSizedEnvelope(c, []byte("<s:Envelope>tampered</s:Envelope>")); err != nil {
		t.Fatal(err)
	}
	if _, err := nmf.ReadEnvelope(c, nmf.Limits{}); err == nil {
		t.Fatal("the peer answered a tampered frame")
	}
	s, rc := p.wait(t)
	if rc == 0 || len(s.Errors) == 0 || !strings.Contains(s.Errors[0], "gss_unwrap failed on data message 2") {
		t.Fatalf("peer rc=%d summary %+v", rc, s)
	}
}
