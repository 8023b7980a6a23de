package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/nnsfront"
	"github.com/specgate/specgate/internal/nettcp/nns"
)

// startSecureNetTCP serves the net.tcp reference behind an MS-NNS front
// (NTLM or SPNEGO-NTLM, account TEST\alice, EncryptAndSign required) and
// returns the front's URI and the control endpoint.
func startSecureNetTCP(t *testing.T, mutant string) (endpoint, control string) {
	t.Helper()
	backend, control := startNetTCP(t, mutant)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	host := strings.TrimPrefix(backend, "net.tcp://")
	host, _, _ = strings.Cut(host, "/")
	go nnsfront.Serve(l, nnsfront.Options{Backend: host, Domain: "TEST", User: "alice", Password: "Passw0rd", Level: nns.EncryptAndSign})
	return nnsfront.Addr(l, backend), control
}

func authFile(t *testing.T, cred string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "auth")
	if err := os.WriteFile(p, []byte(cred), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNetTCPSecureTarget runs the IPAM model with --security transport
// (NTLM and SPNEGO-NTLM, EncryptAndSign) through the front; a wrong
// password and a refused protection level end with exit 3 and a one-line
// error that does not show the password.
func TestNetTCPSecureTarget(t *testing.T) {
	endpoint, control := startSecureNetTCP(t, "")
	good := authFile(t, `TEST\alice:Passw0rd`)
	for _, mech := range []string{"ntlm", "negotiate"} {
		r := specgate(t, 5*time.Minute, "run", "--model", "ipam", "--target", "soap:"+endpoint, "--control", control,
			"--security", "transport", "--auth", mech, "--auth-file", good,
			"--checks", "40", "--steps", "12", "--seed", "6", "--out", t.TempDir(), "--progress", "none")
		if r.code != 0 || !strings.Contains(r.stdout, "ipam: 40 checks") {
			t.Fatalf("%s: exit %d\n%s\n%s", mech, r.code, r.stdout, r.stderr)
		}
	}
	bad := authFile(t, `TEST\alice:NotThePassword`)
	r := specgate(t, 2*time.Minute, "run", "--model", "ipam", "--target", "soap:"+endpoint, "--control", control,
		"--security", "transport", "--auth-file", bad, "--checks", "5", "--out", t.TempDir(), "--progress", "none")
	if r.code != 3 || !strings.Contains(r.stderr, "SEC_E_LOGON_DENIED") || strings.Contains(r.stderr+r.stdout, "NotThePassword") {
		t.Fatalf("wrong password: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("wrong password: %s", strings.TrimSpace(r.stderr))
	r = specgate(t, 2*time.Minute, "run", "--model", "ipam", "--target", "soap:"+endpoint, "--control", control,
		"--security", "transport", "--protection", "sign", "--auth-file", good, "--checks", "5", "--out", t.TempDir(), "--progress", "none")
	if r.code != 3 || !strings.Contains(r.stderr, "protection level") {
		t.Fatalf("refused level: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("refused level: %s", strings.TrimSpace(r.stderr))
}
