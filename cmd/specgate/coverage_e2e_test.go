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

// TestReferenceRunsMeetMinCoverage runs each model against its embedded
// reference with --min-coverage 0.8 and modest checks, in both profiles:
// the run passes (exit 0), every clause left at 0 carries the model's
// reason, no cell the model declares unreachable was reached, the banner
// prints once and run.steps counts the steps executed.
func TestReferenceRunsMeetMinCoverage(t *testing.T) {
	for _, tc := range []struct {
		model, profile, checks string
	}{
		{"ipam", "documented", "100"},
		{"ipam", "strict", "100"},
		{"vdi", "documented", "20000"},
		{"vdi", "strict", "5000"},
	} {
		t.Run(tc.model+"/"+tc.profile, func(t *testing.T) {
			out := t.TempDir()
			res := specgate(t, 10*time.Minute, "run", "--model", tc.model, "--profile", tc.profile, "--seed", "1",
				"--checks", tc.checks, "--min-coverage", "0.8", "--out", out)
			if res.code != 0 {
				t.Fatalf("exit %d, want 0\n%s", res.code, res.stdout)
			}
			raw, err := os.ReadFile(filepath.Join(out, "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			var rep report.Report
			if err := json.Unmarshal(raw, &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Models) != 1 {
				t.Fatalf("%d models", len(rep.Models))
			}
			m := rep.Models[0]
			cov := m.Coverage
			if err := cov.Contradictions(); err != nil {
				t.Error(err)
			}
			for id, n := range cov.Clauses {
				if n == 0 && cov.ClauseReasons[id] == "" {
					t.Errorf("clause %s not reached, and the model gives no reason", id)
				}
			}
			if strings.Contains(res.stdout, " not reached\n") || !strings.Contains(res.stdout, ", 0 not reached, ") {
				t.Errorf("terminal output still lists a clause as not reached:\n%s", res.stdout)
			}
			if n := strings.Count(res.stdout, report.Banner(&rep)); n != 1 {
				t.Errorf("banner %q printed %d times, want once:\n%s", report.Banner(&rep), n, res.stdout)
			}
			if rep.Run.Steps != m.Steps || m.Steps <= 30 {
				t.Errorf("run.steps = %d, model steps = %d: want the steps executed", rep.Run.Steps, m.Steps)
			}
		})
	}
}
