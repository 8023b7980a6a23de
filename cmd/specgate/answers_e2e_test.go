package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/report"
)

// TestDivergenceKeepsStepAnswers: a verified failure carries what the SUT
// answered to every step up to the failing one (IPAM: with the callbacks
// that came during each step), and the HTML sequence diagram draws a
// response arrow for each passing step.
func TestDivergenceKeepsStepAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target []string
		model  string
		want   string // in some passing step's answer
	}{
		{"ipam", nil, "ipam", "session 0: NotifyAsyncSchemaConversionStart"},
		{"vdi", []string{"--target", "vdi:exec:" + specgateBin + " fixture vdi-shim --mutant late-state"}, "vdi", "NOERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.target
			if tc.model == "ipam" {
				target = ipamTarget(t, "documented", "required-not-cleared")
			}
			out := t.TempDir()
			args := append([]string{"run", "--model", tc.model, "--seed", "4", "--checks", "200", "--max-failures", "1",
				"--progress", "none", "--out", out, "--settle", "20ms"}, target...)
			r := specgate(t, 8*time.Minute, args...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
			}
			raw, err := os.ReadFile(filepath.Join(out, "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			var rep report.Report
			if err := json.Unmarshal(raw, &rep); err != nil {
				t.Fatal(err)
			}
			d := rep.Models[0].Divergences[0]
			// Step is 1-based: one answer per step up to the failing one,
			// which is included.
			if len(d.Answers) != d.Step {
				t.Fatalf("%d answers for a failure at step %d: %q", len(d.Answers), d.Step, d.Answers)
			}
			passing := d.Step - 1
			found := false
			for i, a := range d.Answers[:passing] {
				if a == "" {
					t.Errorf("step %d (%s) has no answer", i+1, d.Steps[i])
				}
				found = found || strings.Contains(a, tc.want)
			}
			if passing > 0 && !found {
				t.Errorf("no passing step's answer contains %q: %q", tc.want, d.Answers)
			}
			page, err := os.ReadFile(filepath.Join(out, "report.html"))
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(page), `<line class="resp"`); n != passing {
				t.Errorf("%d response arrows in the diagram, want one per passing step (%d)", n, passing)
			}
		})
	}
}
