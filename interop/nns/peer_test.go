// Package nnsinterop checks specgate's MS-NNS client (internal/nettcp/nns)
// and its NTLM and SPNEGO mechanisms against a NegotiateStream acceptor on
// the real GSSAPI stack: nns_peer.py under Debian's /usr/bin/python3 with
// python3-gssapi, MIT Kerberos GSSAPI and the gss-ntlmssp plugin. The
// peer's authentication and every unwrap are GSSAPI's, so a sealed frame
// the peer accepts was verified by an implementation specgate did not
// write.
//
// The tests install nothing: `make deps` runs scripts/install-nns.sh
// (apt-get). Without the packages they are skipped loudly, naming that
// command, unless CI=true, where they fail instead.
package nnsinterop

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/specgate/specgate/internal/nettcp/nns"
)

const (
	python     = "/usr/bin/python3"
	ntlmPlugin = "/usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so"
	installCmd = "`make deps` (scripts/install-nns.sh: apt-get install -y --no-install-recommends gss-ntlmssp python3-gssapi krb5-user krb5-kdc krb5-admin-server winbind tshark)"

	domain   = "TEST"
	user     = "alice"
	password = "Passw0rd"
)

var setup struct {
	once sync.Once
	skip string
}

// requirePeer skips (fails under CI=true) when the GSSAPI peer's packages
// are not installed.
func requirePeer(t *testing.T) {
	t.Helper()
	setup.once.Do(func() {
		if err := peerReady(); err != nil {
			setup.skip = err.Error()
		}
	})
	if setup.skip != "" {
		msg := fmt.Sprintf("NO REAL NNS PEER: %s; install it with %s", setup.skip, installCmd)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI=true, so this is a failure, not a skip)", msg)
		}
		t.Skipf("%s: skipping the GSSAPI interop test (with CI=true this fails instead)", msg)
	}
}

func peerReady() error {
	if err := exec.Command(python, "-c", "import gssapi").Run(); err != nil {
		return fmt.Errorf("%s cannot import gssapi (python3-gssapi): %v", python, err)
	}
	if _, err := os.Stat(ntlmPlugin); err != nil {
		return fmt.Errorf("gss-ntlmssp plugin missing: %v", err)
	}
	return nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// peer is one running nns_peer.py.
type peer struct {
	addr string
	cmd  *exec.Cmd
	log  *bytes.Buffer
	done chan struct{}
	mu   sync.Mutex
	// conns are closed when the peer exits, so a client blocked on a
	// dead peer returns instead of hanging.
	conns []net.Conn
}

// summary is the peer's last line.
type summary struct {
	OK              bool     `json:"ok"`
	Handshake       string   `json:"handshake"`
	Initiator       string   `json:"initiator"`
	Mech            string   `json:"mech"`
	Confidentiality bool     `json:"confidentiality"`
	Integrity       bool     `json:"integrity"`
	FramesIn        int      `json:"frames_in"`
	FramesOut       int      `json:"frames_out"`
	Errors          []string `json:"errors"`
}

// startPeer runs the acceptor on an ephemeral loopback port with its own
// NTLM account file; the process is stopped when the test ends.
func startPeer(t *testing.T, args ...string) *peer {
	t.Helper()
	return startPeerEnv(t, nil, args...)
}

// startPeerEnv is startPeer with extra environment variables (which win
// over the defaults), e.g. a KDC's krb5.conf and the service keytab.
func startPeerEnv(t *testing.T, env []string, args ...string) *peer {
	t.Helper()
	dir := t.TempDir()
	users := filepath.Join(dir, "ntlm_users.txt")
	if err := os.WriteFile(users, []byte(domain+":"+user+":"+password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, append([]string{"nns_peer.py"}, args...)...)
	cmd.Env = append(os.Environ(), "NTLM_USER_FILE="+users, "KRB5CCNAME=FILE:"+filepath.Join(dir, "no-ccache"),
		"KRB5_CONFIG="+filepath.Join(dir, "no-krb5.conf"), "KRB5_KTNAME=FILE:"+filepath.Join(dir, "no-keytab"))
	cmd.Env = append(cmd.Env, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{cmd: cmd, log: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = &lockedWriter{p: p}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the peer: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			p.mu.Lock()
			t.Logf("peer output:\n%s", p.log.String())
			p.mu.Unlock()
		}
	})
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		_ = cmd.Process.Kill()
		t.Fatalf("the peer printed nothing")
	}
	first := sc.Text()
	port, ok := strings.CutPrefix(first, "nns-peer: LISTENING ")
	if !ok {
		t.Fatalf("the peer's first line is %q", first)
	}
	p.addr = net.JoinHostPort("127.0.0.1", port)
	go func() {
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
		_ = cmd.Wait()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		close(p.done)
	}()
	return p
}

type lockedWriter struct{ p *peer }

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.log.Write(b)
}

// wait waits for the peer to exit and returns its summary and exit code.
func (p *peer) wait(t *testing.T) (summary, int) {
	t.Helper()
	<-p.done
	p.mu.Lock()
	logText := p.log.String()
	p.mu.Unlock()
	var s summary
	i := strings.LastIndex(logText, "nns-peer: SUMMARY ")
	if i < 0 {
		t.Fatalf("the peer exited without a summary; its output:\n%s", logText)
	}
	line := logText[i+len("nns-peer: SUMMARY "):]
	line, _, _ = strings.Cut(line, "\n")
	if err := json.Unmarshal([]byte(line), &s); err != nil {
		t.Fatalf("peer summary %q: %v", line, err)
	}
	t.Logf("peer output:\n%s", logText)
	return s, p.cmd.ProcessState.ExitCode()
}

func dial(t *testing.T, p *peer) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
	return c
}

func via(p *peer) string { return "net.tcp://" + p.addr + "/ipam" }

// level returns the nns.Config for a protection level.
func level(l nns.ProtectionLevel) nns.Config { return nns.Config{Level: l} }
