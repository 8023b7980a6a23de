package monointerop

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSIGINTLeavesNoSession: the specgate CLI, stopped with SIGINT in the
// middle of a run against the WCF service, writes its reports, exits 6
// and leaves no session open on the service.
func TestSIGINTLeavesNoSession(t *testing.T) {
	s := start(t)
	bin := filepath.Join(t.TempDir(), "specgate")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/specgate").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "run", "--model", "ipam", "--target", "soap:"+s.binary, "--control", s.control,
		"--profile", "documented", "--checks", "500", "--steps", "12", "--parallel", "2", "--seed", "11",
		"--quiescence", "3s", "--settle", "300ms", "--call-timeout", "10s", "--progress", "none", "--out", t.TempDir())
	if os.Getenv("INTEROP_MONO_VERBOSE") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(3 * time.Second)
	if n := s.openSessions(t); n == 0 {
		t.Log("no session open at the moment of the interrupt")
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatal("specgate did not stop within 60 s of SIGINT")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 6 {
		t.Errorf("exit %v, want 6 (interrupted)", err)
	}
	if n := s.settledSessions(t); n != 0 {
		t.Errorf("the WCF service holds %d session(s) after specgate was interrupted", n)
	}
}
