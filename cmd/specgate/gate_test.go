package main

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/specgate/specgate/internal/report"
)

func readReport(t *testing.T, path string) *report.Report {
	t.Helper()
	r, err := report.ReadJSON(path)
	if err != nil {
		t.Fatalf("report %s: %v", path, err)
	}
	return r
}

func mutantTarget(name string) string {
	return "vdi:exec:" + specgateBin + " fixture vdi-shim --mutant " + name
}

// TestBaselineThreeDirections: a listed divergence passes, a new one fails
// (1), and a listed one that is gone fails with its own code (4).
func TestBaselineThreeDirections(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "a")
	r := specgate(t, 2*time.Minute, "run", "--model", "vdi", "--seed", "5", "--checks", "300", "--target", mutantTarget("double-create"), "--out", out, "--progress", "none")
	if r.code != 1 {
		t.Fatalf("mutant run: exit %d\n%s", r.code, r.stdout)
	}
	base := filepath.Join(dir, "baseline.json")
	if r := specgate(t, time.Minute, "baseline", "--report", filepath.Join(out, "report.json"), "--reason", "vendor ticket 42", "--out", base); r.code != 0 {
		t.Fatalf("baseline: exit %d %s", r.code, r.stderr)
	}
	// Listed and seen: passes.
	r = specgate(t, 2*time.Minute, "run", "--model", "vdi", "--seed", "5", "--checks", "300", "--target", mutantTarget("double-create"), "--out", filepath.Join(dir, "b"), "--baseline", base, "--progress", "none")
	if r.code != 0 {
		t.Fatalf("known deviation: exit %d, want 0\n%s", r.code, r.stdout)
	}
	if rep := readReport(t, filepath.Join(dir, "b", "report.json")); rep.Baseline == nil || len(rep.Baseline.Known) == 0 {
		t.Fatalf("report lacks the known deviation: %+v", rep.Baseline)
	}
	// A new divergence: fails.
	r = specgate(t, 2*time.Minute, "run", "--model", "vdi", "--seed", "5", "--checks", "300", "--target", mutantTarget("wrong-code"), "--out", filepath.Join(dir, "c"), "--baseline", base, "--progress", "none")
	if r.code != 1 {
		t.Fatalf("new divergence: exit %d, want 1\n%s", r.code, r.stdout)
	}
	// Listed but gone (the reference conforms): exit 4.
	r = specgate(t, 2*time.Minute, "run", "--model", "vdi", "--seed", "5", "--checks", "300", "--out", filepath.Join(dir, "d"), "--baseline", base, "--progress", "none")
	if r.code != 4 {
		t.Fatalf("gone deviation: exit %d, want 4\n%s", r.code, r.stdout)
	}
	// A bad baseline file is a usage error.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"schema":"nope"}`), 0o644)
	if r := specgate(t, time.Minute, "run", "--baseline", bad); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("bad baseline: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestMinCoverageAndBudget(t *testing.T) {
	dir := t.TempDir()
	r := specgate(t, time.Minute, "run", "--model", "vdi", "--checks", "3", "--seed", "1", "--min-coverage", "0.99", "--out", dir, "--progress", "none")
	if r.code != 5 {
		t.Fatalf("low coverage: exit %d, want 5\n%s", r.code, r.stdout)
	}
	// A budget stops fuzzing on time and still writes complete reports.
	start := time.Now()
	r = specgate(t, time.Minute, "run", "--model", "vdi", "--checks", "100000000", "--seed", "1", "--budget", "1s", "--out", dir, "--progress", "none")
	if r.code != 0 || time.Since(start) > 30*time.Second {
		t.Fatalf("budget: exit %d after %v\n%s", r.code, time.Since(start), r.stdout)
	}
	rep := readReport(t, filepath.Join(dir, "report.json"))
	if !rep.Run.Partial || rep.Models[0].Checks == 0 || rep.Models[0].Checks >= 100000000 {
		t.Fatalf("budget report: partial=%v checks=%d", rep.Run.Partial, rep.Models[0].Checks)
	}
}

// TestReportsMatchTheRun checks each writer's output against what the run did.
func TestReportsMatchTheRun(t *testing.T) {
	dir := t.TempDir()
	r := specgate(t, 2*time.Minute, "run", "--model", "vdi", "--seed", "9", "--checks", "400", "--target", mutantTarget("lifo"), "--out", dir, "--progress", "none")
	if r.code != 1 {
		t.Fatalf("exit %d", r.code)
	}
	rep := readReport(t, filepath.Join(dir, "report.json"))
	m := rep.Models[0]
	if m.Checks != 400 || len(m.Divergences) == 0 || rep.ExitCode != 1 {
		t.Fatalf("json: checks %d divergences %d exit %d", m.Checks, len(m.Divergences), rep.ExitCode)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "failures", "*.json"))
	if len(files) != len(m.Divergences) {
		t.Fatalf("%d failure files, %d divergences in the report", len(files), len(m.Divergences))
	}
	total := 0
	for _, v := range m.Coverage.Cells {
		total += v
	}
	if total == 0 {
		t.Fatal("coverage counts nothing")
	}
	// JUnit: every divergent clause is a failing testcase.
	var ju struct {
		Suites []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, "report.xml"))
	if err := xml.Unmarshal(data, &ju); err != nil {
		t.Fatal(err)
	}
	failing := map[string]bool{}
	for _, s := range ju.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				failing[c.Name] = true
			}
		}
	}
	for _, d := range m.Divergences {
		if !failing[d.Clause] {
			t.Errorf("clause %s diverged but its JUnit testcase does not fail", d.Clause)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if !strings.Contains(string(html), m.Divergences[0].Clause) {
		t.Error("HTML report lacks the divergent clause")
	}
	if !strings.Contains(r.stdout, "Expected:") || !strings.Contains(r.stdout, "Actual:") {
		t.Error("terminal summary lacks Expected:/Actual:")
	}
}

// TestShardsMergeToTheUnshardedRun: against a conformant SUT, the shards
// of a run merged together have the same checks, steps and coverage as the
// unsharded run. Against a buggy one each shard learns its own fences (a
// shard does not know what the checks before it found), so the sequences
// after the first failure differ; the merged run still reports the same
// distinct failures.
func TestShardsMergeToTheUnshardedRun(t *testing.T) {
	for _, tgt := range []string{"embedded", mutantTarget("lifo")} {
		dir := t.TempDir()
		args := []string{"run", "--model", "vdi", "--seed", "77", "--checks", "900", "--target", tgt, "--progress", "none"}
		specgate(t, 2*time.Minute, append(args, "--out", filepath.Join(dir, "whole"))...)
		var shards []string
		for _, s := range []string{"0/3", "1/3", "2/3"} {
			o := filepath.Join(dir, "shard"+s[:1])
			specgate(t, 2*time.Minute, append(args, "--shard", s, "--out", o)...)
			shards = append(shards, filepath.Join(o, "report.json"))
		}
		r := specgate(t, time.Minute, append([]string{"merge", "--out", filepath.Join(dir, "merged")}, shards...)...)
		whole := readReport(t, filepath.Join(dir, "whole", "report.json"))
		merged := readReport(t, filepath.Join(dir, "merged", "report.json"))
		wm, mm := whole.Models[0], merged.Models[0]
		if r.code != whole.ExitCode {
			t.Fatalf("%s: merge: exit %d, whole run %d: %s", tgt, r.code, whole.ExitCode, r.stderr)
		}
		if wm.Checks != mm.Checks {
			t.Fatalf("%s: checks: whole %d merged %d", tgt, wm.Checks, mm.Checks)
		}
		if tgt == "embedded" && (wm.Steps != mm.Steps || !reflect.DeepEqual(wm.Coverage, mm.Coverage)) {
			t.Fatalf("conformant SUT: steps whole %d merged %d, or coverage differs", wm.Steps, mm.Steps)
		}
		sigs := func(m report.Model) []string {
			seen := map[string]bool{}
			var s []string
			for _, d := range m.Divergences {
				if !seen[d.Signature] {
					seen[d.Signature] = true
					s = append(s, d.Signature)
				}
			}
			sort.Strings(s)
			return s
		}
		if !reflect.DeepEqual(sigs(wm), sigs(mm)) {
			t.Fatalf("%s: divergences differ:\nwhole  %v\nmerged %v", tgt, sigs(wm), sigs(mm))
		}
	}
}

// TestSignalWritesPartialReports: SIGINT stops a run cleanly and every
// report is written with what was found so far.
func TestSignalWritesPartialReports(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(specgateBin, "run", "--model", "vdi", "--checks", "100000000", "--seed", "3", "--out", dir, "--progress", "none")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("specgate did not stop after SIGINT")
	}
	rep := readReport(t, filepath.Join(dir, "report.json"))
	if !rep.Run.Partial || rep.Verdict != report.VerdictInterrupted {
		t.Fatalf("partial=%v verdict=%s", rep.Run.Partial, rep.Verdict)
	}
	for _, f := range []string{"report.xml", "report.html"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Fatalf("%s missing after SIGINT", f)
		}
	}
}

// TestCIExamplesAreWellFormed parses the shipped Kubernetes manifest and
// GitHub Actions workflow and checks their shard wiring.
func TestCIExamplesAreWellFormed(t *testing.T) {
	var job struct {
		Kind string
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int
			Template       struct {
				Spec struct {
					Containers []struct {
						Env  []struct{ Name, Value string }
						Args []string
					}
				}
			}
		}
	}
	data, err := os.ReadFile("../../docs/ci/k8s-indexed-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &job); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	c := job.Spec.Template.Spec.Containers[0]
	shards := ""
	for _, e := range c.Env {
		if e.Name == "SHARDS" {
			shards = e.Value
		}
	}
	if job.Kind != "Job" || job.Spec.CompletionMode != "Indexed" || shards == "" || shards != strconv.Itoa(job.Spec.Completions) {
		t.Fatalf("manifest wiring: kind %s mode %s completions %d SHARDS %q", job.Kind, job.Spec.CompletionMode, job.Spec.Completions, shards)
	}
	if !strings.Contains(strings.Join(c.Args, " "), `--shard "$JOB_COMPLETION_INDEX/$SHARDS"`) {
		t.Fatalf("the job does not pass its completion index as the shard: %v", c.Args)
	}
	var wf struct {
		Env  map[string]string
		Jobs map[string]struct {
			Needs    any
			Strategy struct{ Matrix struct{ Shard []int } }
			Steps    []struct{ Run string }
		}
	}
	data, err = os.ReadFile("../../docs/ci/github-nightly.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	shard, merge := wf.Jobs["shard"], wf.Jobs["merge"]
	if strconv.Itoa(len(shard.Strategy.Matrix.Shard)) != wf.Env["SHARDS"] {
		t.Fatalf("matrix has %d shards, SHARDS=%s", len(shard.Strategy.Matrix.Shard), wf.Env["SHARDS"])
	}
	for i, s := range shard.Strategy.Matrix.Shard {
		if s != i {
			t.Fatalf("matrix shards %v are not 0..n-1", shard.Strategy.Matrix.Shard)
		}
	}
	runs := func(steps []struct{ Run string }) string {
		var b strings.Builder
		for _, s := range steps {
			b.WriteString(s.Run)
		}
		return b.String()
	}
	if !strings.Contains(runs(shard.Steps), `--shard "${{ matrix.shard }}/$SHARDS"`) || !strings.Contains(runs(merge.Steps), "specgate merge") || merge.Needs != "shard" {
		t.Fatal("workflow does not wire matrix shards into specgate run --shard and merge them")
	}
	// Every flag the examples use is a real flag of specgate run.
	for _, flagName := range []string{"--shard", "--seed", "--checks", "--baseline", "--out", "--progress"} {
		if r := specgate(t, time.Minute, "run", "--help"); !strings.Contains(r.stdout+r.stderr, strings.TrimPrefix(flagName, "-")) {
			t.Fatalf("run has no %s flag", flagName)
		}
	}
}
