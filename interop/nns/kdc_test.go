package nnsinterop

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
)

const (
	realm = "TEST.LOCAL"
	spn   = "host/localhost"
)

// kdc is a loopback MIT KDC for realm TEST.LOCAL with alice (password
// Passw0rd) and host/localhost (random key, in the keytab), all state in
// a temporary folder; nothing in /etc is read.
type kdc struct {
	dir, conf, keytab string
	krb5conf          *config.Config
}

// freePort returns a loopback port free for TCP at the time of the call.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startKDC(t *testing.T) *kdc {
	t.Helper()
	for _, tool := range []string{"kdb5_util", "kadmin.local", "krb5kdc"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := fmt.Sprintf("NO KDC: %s is not on PATH; install it with %s", tool, installCmd)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg + " (CI=true, so this is a failure, not a skip)")
			}
			t.Skip(msg)
		}
	}
	dir := t.TempDir()
	port := freePort(t)
	k := &kdc{dir: dir, conf: filepath.Join(dir, "krb5.conf"), keytab: filepath.Join(dir, "service.keytab")}
	krb5conf := fmt.Sprintf(`[libdefaults]
  default_realm = %[1]s
  dns_lookup_kdc = false
  dns_lookup_realm = false
  rdns = false
  udp_preference_limit = 1
  default_tkt_enctypes = aes256-cts-hmac-sha1-96
  default_tgs_enctypes = aes256-cts-hmac-sha1-96
  permitted_enctypes = aes256-cts-hmac-sha1-96
[realms]
  %[1]s = {
    kdc = 127.0.0.1:%[2]d
  }
`, realm, port)
	kdcconf := fmt.Sprintf(`[kdcdefaults]
  kdc_listen = 127.0.0.1:%[2]d
  kdc_tcp_listen = 127.0.0.1:%[2]d
[realms]
  %[1]s = {
    database_name = %[3]s/principal
    key_stash_file = %[3]s/stash
    acl_file = %[3]s/kadm5.acl
    supported_enctypes = aes256-cts-hmac-sha1-96:normal
    kdc_listen = 127.0.0.1:%[2]d
    kdc_tcp_listen = 127.0.0.1:%[2]d
  }
[logging]
  kdc = FILE:%[3]s/kdc.log
`, realm, port, dir)
	if err := os.WriteFile(k.conf, []byte(krb5conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kdc.conf"), []byte(kdcconf), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "KRB5_CONFIG="+k.conf, "KRB5_KDC_PROFILE="+filepath.Join(dir, "kdc.conf"))
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
		}
	}
	run("kdb5_util", "create", "-s", "-r", realm, "-P", "test-master-key")
	run("kadmin.local", "-q", "addprinc -pw "+password+" "+user)
	run("kadmin.local", "-q", "addprinc -randkey "+spn)
	run("kadmin.local", "-q", "ktadd -k "+k.keytab+" "+spn)
	cmd := exec.Command("krb5kdc", "-n", "-P", filepath.Join(dir, "kdc.pid"))
	cmd.Env = env
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("krb5kdc: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	// Poll until the KDC accepts TCP connections; it exits on a bind
	// failure, which ends the wait too.
	for {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("krb5kdc exited: %s", out.String())
		case <-time.After(20 * time.Millisecond): // poll interval, not a deadline
		}
	}
	cfg, err := config.NewFromString(krb5conf)
	if err != nil {
		t.Fatal(err)
	}
	k.krb5conf = cfg
	return k
}

// peerEnv is the environment the GSSAPI acceptor needs for this KDC.
func (k *kdc) peerEnv() []string {
	return []string{"KRB5_CONFIG=" + k.conf, "KRB5_KTNAME=FILE:" + k.keytab}
}
