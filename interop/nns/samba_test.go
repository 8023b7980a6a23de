package nnsinterop

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/specgate/specgate/internal/ntlm"
)

// ntlmAuth is Samba's NTLMSSP server in helper mode: a second NTLM judge,
// independent of gss-ntlmssp. With --password it checks the NTLMv2
// response (and the MIC) against that one password, with no domain or
// winbindd; it judges the handshake only, not sealing.
type ntlmAuth struct {
	in  io.WriteCloser
	out *bufio.Reader
}

func startNTLMAuth(t *testing.T) *ntlmAuth {
	t.Helper()
	bin, err := exec.LookPath("ntlm_auth")
	if err != nil {
		msg := "NO SAMBA JUDGE: ntlm_auth is not on PATH; install it with " + installCmd
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true, so this is a failure, not a skip)")
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	var conf strings.Builder
	conf.WriteString("[global]\nworkgroup = TEST\nnetbios name = SRV\nsecurity = user\n")
	for _, d := range []string{"private dir", "lock directory", "state directory", "cache directory", "pid directory"} {
		p := filepath.Join(dir, strings.ReplaceAll(d, " ", "-"))
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&conf, "%s = %s\n", d, p)
	}
	fmt.Fprintf(&conf, "log file = %s\n", filepath.Join(dir, "log"))
	cfg := filepath.Join(dir, "smb.conf")
	if err := os.WriteFile(cfg, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	// The judge's password is its own (ntlm_auth takes it as a flag; it is
	// the test account's fixed password, not a credential of anyone's).
	cmd := exec.Command(bin, "--configfile="+cfg, "--helper-protocol=squid-2.5-ntlmssp", "--password="+password)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return &ntlmAuth{in: in, out: bufio.NewReader(out)}
}

func (a *ntlmAuth) ask(t *testing.T, verb string, msg []byte) (string, string) {
	t.Helper()
	if _, err := fmt.Fprintf(a.in, "%s %s\n", verb, base64.StdEncoding.EncodeToString(msg)); err != nil {
		t.Fatal(err)
	}
	line, err := a.out.ReadString('\n')
	if err != nil {
		t.Fatalf("ntlm_auth: %v", err)
	}
	code, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
	return code, rest
}

// sambaJudge runs one NTLM handshake of specgate's client against
// ntlm_auth and returns its verdict: AF (authenticated) or NA.
func sambaJudge(t *testing.T, pw string, tamper func([]byte)) (string, string) {
	t.Helper()
	a := startNTLMAuth(t)
	c := ntlm.NewClient(ntlm.ClientConfig{
		Credentials: ntlm.Credentials{Domain: domain, User: user, Password: pw},
		Workstation: "SPECGATE", Confidentiality: true,
	})
	code, chal := a.ask(t, "YR", c.Negotiate())
	if code != "TT" {
		t.Fatalf("ntlm_auth answered NEGOTIATE with %s %s", code, chal)
	}
	raw, err := base64.StdEncoding.DecodeString(chal)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := c.Authenticate(raw)
	if err != nil {
		t.Fatalf("Authenticate(Samba's CHALLENGE): %v", err)
	}
	if tamper != nil {
		tamper(auth)
	}
	return a.ask(t, "KK", auth)
}

func TestNTLMAgainstSambaNTLMAuth(t *testing.T) {
	code, who := sambaJudge(t, password, nil)
	if code != "AF" || !strings.EqualFold(who, `TEST\alice`) {
		t.Fatalf("ntlm_auth: %s %s, want AF TEST\\alice", code, who)
	}
}

func TestNTLMWrongPasswordAgainstSambaNTLMAuth(t *testing.T) {
	if code, why := sambaJudge(t, "wrong-password", nil); code != "NA" {
		t.Fatalf("ntlm_auth: %s %s, want NA", code, why)
	} else {
		t.Logf("ntlm_auth: NA %s", why)
	}
}

func TestNTLMTamperedMICAgainstSambaNTLMAuth(t *testing.T) {
	// Byte 72 is the first octet of the AUTHENTICATE MIC ([MS-NLMP] 2.2.1.3).
	if code, why := sambaJudge(t, password, func(a []byte) { a[72] ^= 0x01 }); code != "NA" {
		t.Fatalf("ntlm_auth: %s %s for a flipped MIC, want NA", code, why)
	} else {
		t.Logf("ntlm_auth: NA %s", why)
	}
}
