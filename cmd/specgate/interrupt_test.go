package main

import (
	"bufio"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/report"
)

// TestSIGINTNeverInventsAFailure interrupts runs against the embedded
// reference at 10 random moments (after the run has started: its first
// line is printed once the signal handler is in place). The reference
// conforms, so any failure file, divergence or exit code other than 6 would
// be the harness blaming the SUT for its own interrupt: a call cut short
// taken for a crash, a hang or a callback silence.
func TestSIGINTNeverInventsAFailure(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261203, 12))
	for i := 0; i < 10; i++ {
		delay := time.Duration(rng.IntN(1500)) * time.Millisecond
		dir := t.TempDir()
		cmd := exec.Command(specgateBin, "run", "--model", "all", "--checks", "100000000", "--seed", "7",
			"--out", dir, "--progress", "none", "--parallel", "2")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		if !sc.Scan() {
			_ = cmd.Process.Kill()
			t.Fatalf("moment %d: no first line", i)
		}
		go func() { // keep the pipe drained
			for sc.Scan() {
			}
		}()
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var werr error
		select {
		case werr = <-done:
		case <-time.After(2 * time.Minute):
			_ = cmd.Process.Kill()
			t.Fatalf("moment %d (%v): specgate did not stop after SIGINT", i, delay)
		}
		code := 0
		var ee *exec.ExitError
		if errors.As(werr, &ee) {
			code = ee.ExitCode()
		}
		files, _ := filepath.Glob(filepath.Join(dir, "failures", "*.json")) // not the .specgate-written manifest
		if len(files) > 0 {
			data, _ := os.ReadFile(files[0])
			t.Fatalf("moment %d (%v): SIGINT produced a failure file:\n%s", i, delay, data)
		}
		rep := readReport(t, filepath.Join(dir, "report.json"))
		for _, m := range rep.Models {
			if len(m.Divergences) > 0 || len(m.Faults) > 0 {
				t.Fatalf("moment %d (%v): %s reports %v %v", i, delay, m.Name, m.Divergences, m.Faults)
			}
		}
		if code != ExitInterrupted || rep.ExitCode != ExitInterrupted || rep.Verdict != report.VerdictInterrupted || !rep.Run.Interrupted {
			t.Fatalf("moment %d (%v): exit %d, report exit %d verdict %s interrupted %v", i, delay, code, rep.ExitCode, rep.Verdict, rep.Run.Interrupted)
		}
	}
}
