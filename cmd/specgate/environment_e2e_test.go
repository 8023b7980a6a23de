package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/engine"
)

// TestStimulusFailureIsInconclusive: a VDI shim whose server side refuses
// server.SendCommand gives no divergence of the client table; the run
// reports the sequence "inconclusive: environment", exits 0, and exits 1
// under --strict-environment. The saved sequence replays the same way.
func TestStimulusFailureIsInconclusive(t *testing.T) {
	dir := t.TempDir()
	tgt := mutantTarget("refuse-send")
	out := filepath.Join(dir, "env")
	r := specgate(t, 5*time.Minute, "run", "--model", "vdi", "--target", tgt, "--checks", "300", "--seed", "4",
		"--out", out, "--progress", "none")
	if r.code != ExitConformant {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stdout)
	}
	rep := readReport(t, filepath.Join(out, "report.json"))
	m := rep.Models[0]
	if len(m.Divergences) != 0 {
		t.Fatalf("divergences of the client: %+v", m.Divergences)
	}
	if len(m.Inconclusive) == 0 {
		t.Fatalf("no inconclusive sequence reported\n%s", r.stdout)
	}
	for _, d := range m.Inconclusive {
		if d.Kind != engine.KindInconclusive || !strings.HasPrefix(d.Action, "server.") || !strings.HasPrefix(d.Detail, engine.EnvironmentDetail) {
			t.Errorf("inconclusive entry %+v", d.Divergence)
		}
	}
	if !strings.Contains(r.stdout, "inconclusive (environment)") {
		t.Errorf("the summary does not count the inconclusive sequences:\n%s", r.stdout)
	}
	ffs, _ := filepath.Glob(filepath.Join(out, "failures", "*.json"))
	if len(ffs) == 0 {
		t.Fatal("no failure file for the inconclusive sequence")
	}
	if rr := specgate(t, 2*time.Minute, "replay", ffs[0]); rr.code != ExitConformant || !strings.Contains(rr.stdout, "INCONCLUSIVE (environment)") {
		t.Errorf("replay: exit %d\n%s", rr.code, rr.stdout)
	}
	if rr := specgate(t, 2*time.Minute, "replay", ffs[0], "--strict-environment"); rr.code != ExitDivergence {
		t.Errorf("replay --strict-environment: exit %d", rr.code)
	}
	r = specgate(t, 5*time.Minute, "run", "--model", "vdi", "--target", tgt, "--checks", "300", "--seed", "4",
		"--out", filepath.Join(dir, "strict"), "--progress", "none", "--strict-environment")
	if r.code != ExitDivergence || !strings.Contains(r.stdout, "inconclusive: environment (exit 1)") {
		t.Errorf("--strict-environment: exit %d\n%s", r.code, r.stdout)
	}
}
