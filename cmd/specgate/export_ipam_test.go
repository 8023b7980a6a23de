package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/failfile"
)

// ipamMutantFailure runs specgate with --fail-fast against the reference
// IPAM server with mutant planted and returns the failure file it wrote.
func ipamMutantFailure(t *testing.T, mutant, profile string) string {
	t.Helper()
	out := t.TempDir()
	args := append([]string{"run", "--model", "ipam", "--profile", profile, "--seed", "1", "--checks", "1000",
		"--fail-fast", "--quiescence", "1s", "--settle", "20ms", "--progress", "none", "--out", out},
		ipamTarget(t, profile, mutant)...)
	r := specgate(t, 4*time.Minute, args...)
	if r.code != ExitDivergence {
		t.Fatalf("run against IPAM mutant %s: exit %d\n%s%s", mutant, r.code, r.stdout, r.stderr)
	}
	paths, _ := filepath.Glob(filepath.Join(out, "failures", "*.json"))
	for _, p := range paths {
		if f, err := failfile.Read(p, validAction); err == nil && f.Divergence.Kind != engine.KindInconclusive {
			return p
		}
	}
	t.Fatalf("no failure file for IPAM mutant %s\n%s", mutant, r.stdout)
	return ""
}

// TestExportIPAMCurlReproduces exports a failure of every IPAM mutant as
// an ipam-curl reproducer (run.sh with curl, listener.py) and runs it
// without specgate: against a server with that mutant it must report a
// mismatch (exit 1), against the reference server it must pass (exit 0).
func TestExportIPAMCurlReproduces(t *testing.T) {
	needTool(t, "curl")
	needTool(t, "python3")
	sh := needTool(t, "sh")
	for _, mi := range ipamref.Mutants {
		profile := mi.Profiles[len(mi.Profiles)-1]
		t.Run(mi.Name+"/"+profile, func(t *testing.T) {
			t.Parallel()
			ff := ipamMutantFailure(t, mi.Name, profile)
			f, err := failfile.Read(ff, validAction)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "repro")
			if r := specgate(t, time.Minute, "export", ff, "--format", "ipam-curl", "--out", dir); r.code != 0 {
				t.Fatalf("export: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			env := []string{"QUIESCENCE=2", "SETTLE=0.3", "TMPDIR=" + t.TempDir()}
			run := func(tgt []string) (int, string) {
				return runTool(t, 2*time.Minute, dir, env, sh, filepath.Join(dir, "run.sh"),
					strings.TrimPrefix(tgt[1], "soap:"), tgt[3])
			}
			code, out := run(ipamTarget(t, profile, mi.Name))
			if code != 1 || !strings.Contains(out, "MISMATCH at step ") {
				t.Fatalf("run.sh against mutant %s: exit %d, want 1 and a MISMATCH (specgate: %s)\n%s", mi.Name, code, f.Divergence.Message(), out)
			}
			// The mismatch is at the failing step, or (a callback that
			// comes late) at a later step or the final settle. A
			// divergence specgate found while settling after the last
			// step (step len+1) may show already in the last step's
			// observation window.
			lo := min(f.Divergence.Step, len(f.Sequence))
			var step int
			if _, err := fmt.Sscanf(out[strings.Index(out, "MISMATCH at step ")+len("MISMATCH at step "):], "%d", &step); err != nil ||
				step < lo || step > len(f.Sequence)+1 {
				t.Errorf("mismatch at step %d, specgate's divergence is at step %d of %d\n%s", step, f.Divergence.Step, len(f.Sequence), out)
			}
			code, out = run(ipamTarget(t, profile, ""))
			if code != 0 || !strings.Contains(out, "every step matched") {
				t.Fatalf("run.sh against the reference server: exit %d, want 0\n%s", code, out)
			}
		})
	}
}
