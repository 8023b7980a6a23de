package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/specgate/specgate/internal/failfile"
)

// TestFirstNightMissingCorpusAndBaseline: on a first night the corpus
// directory does not exist yet (an empty corpus) and the baseline file
// does not exist yet: --baseline-optional says that is expected, without
// it the missing file is still a one-line usage error (a mistyped path is
// never accepted silently), and an invalid file is one with the flag too.
func TestFirstNightMissingCorpusAndBaseline(t *testing.T) {
	dir := t.TempDir()
	corpus, base := filepath.Join(dir, "ci", "corpus"), filepath.Join(dir, "ci", "baseline.json")
	args := []string{"run", "--model", "vdi", "--checks", "20", "--seed", "3", "--out", filepath.Join(dir, "out"), "--progress", "none", "--corpus", corpus}
	if r := specgate(t, time.Minute, append(args, "--baseline", base)...); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "baseline.json") {
		t.Fatalf("missing baseline without --baseline-optional: exit %d stderr %q", r.code, r.stderr)
	}
	r := specgate(t, time.Minute, append(args, "--baseline", base, "--baseline-optional")...)
	if r.code != 0 || !strings.Contains(r.stdout, "does not exist yet") {
		t.Fatalf("first night: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := specgate(t, time.Minute, append(args, "--baseline-optional")...); r.code != 2 {
		t.Fatalf("--baseline-optional without --baseline: exit %d", r.code)
	}
	os.MkdirAll(filepath.Dir(base), 0o755)
	os.WriteFile(base, []byte(`{"schema":"nope"}`), 0o644)
	if r := specgate(t, time.Minute, append(args, "--baseline", base, "--baseline-optional")...); r.code != 2 {
		t.Fatalf("invalid baseline with --baseline-optional: exit %d", r.code)
	}
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o644)
	if r := specgate(t, time.Minute, "run", "--model", "vdi", "--checks", "5", "--corpus", notDir, "--out", filepath.Join(dir, "out")); r.code != 2 {
		t.Fatalf("--corpus naming a file: exit %d", r.code)
	}
}

// TestRunClearsItsOwnStaleFailures: a second run into the same --out
// removes the failure files the first run wrote (so they are not counted
// or copied again) and keeps every file specgate did not write.
func TestRunClearsItsOwnStaleFailures(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	r := specgate(t, 2*time.Minute, "run", "--model", "vdi", "--seed", "5", "--checks", "300", "--target", mutantTarget("double-create"), "--out", out, "--progress", "none")
	if r.code != 1 || len(readFailures(t, out)) == 0 {
		t.Fatalf("mutant run: exit %d\n%s", r.code, r.stdout)
	}
	foreign := filepath.Join(out, "failures", "notes.json")
	os.WriteFile(foreign, []byte("mine"), 0o644)
	os.Remove(foreign + ".keep")
	r = specgate(t, 2*time.Minute, "run", "--model", "vdi", "--seed", "5", "--checks", "100", "--out", out, "--progress", "none")
	if r.code != 0 {
		t.Fatalf("reference run: exit %d\n%s", r.code, r.stdout)
	}
	paths, _ := filepath.Glob(filepath.Join(out, "failures", "*.json"))
	if len(paths) != 1 || paths[0] != foreign {
		t.Fatalf("failures after a conformant run: %v, want only the foreign %s", paths, foreign)
	}
}

// TestCorpusAddOnePerSignature: specgate corpus add creates the corpus,
// adds each signature once (a second night's files of the same deviations
// add nothing), and the run replays the corpus with each signature once.
func TestCorpusAddOnePerSignature(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "ci", "corpus")
	night := func(seed, mutant string) string {
		out := filepath.Join(dir, "out-"+seed)
		r := specgate(t, 2*time.Minute, "run", "--model", "vdi", "--seed", seed, "--checks", "300", "--target", mutantTarget(mutant), "--out", out, "--progress", "none")
		if r.code != 1 {
			t.Fatalf("seed %s: exit %d\n%s", seed, r.code, r.stdout)
		}
		return filepath.Join(out, "failures")
	}
	first := night("5", "double-create")
	n := len(readFailures(t, filepath.Dir(first)))
	r := specgate(t, time.Minute, "corpus", "add", "--corpus", corpus, first)
	if r.code != 0 || !strings.Contains(r.stdout, "added "+strconv.Itoa(n)+",") {
		t.Fatalf("first add: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Another seed finds the same deviation through another sequence (a
	// file of another name): nothing is added.
	second := night("6", "double-create")
	r = specgate(t, time.Minute, "corpus", "add", "--corpus", corpus, second, first)
	if r.code != 0 || !strings.Contains(r.stdout, "added 0,") {
		t.Fatalf("second add: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(corpus, "*.json"))
	if len(files) != n {
		t.Fatalf("corpus holds %d files, want %d", len(files), n)
	}
	// A duplicate planted by hand (the old "cp" gate) is reported once.
	data, _ := os.ReadFile(files[0])
	os.WriteFile(filepath.Join(corpus, "copy.json"), data, 0o644)
	out := filepath.Join(dir, "replay")
	// The fuzzing that follows meets the same deviations again (same
	// mutant, seed 5 as on the first night): each is reported once, from
	// the corpus, and no failure file repeats it.
	r = specgate(t, 2*time.Minute, "run", "--model", "vdi", "--seed", "5", "--checks", "300", "--target", mutantTarget("double-create"), "--corpus", corpus, "--out", out, "--progress", "none")
	rep := readReport(t, filepath.Join(out, "report.json"))
	fromCorpus := 0
	for _, d := range rep.Models[0].Divergences {
		if strings.HasPrefix(d.File, corpus) {
			fromCorpus++
		}
	}
	if fromCorpus != n || len(rep.Models[0].Divergences) != n || len(readFailures(t, out)) != 0 {
		t.Fatalf("report: %d divergences, %d from the corpus, %d failure files; want %d, %d, 0 (one per signature)\n%s",
			len(rep.Models[0].Divergences), fromCorpus, len(readFailures(t, out)), n, n, r.stdout)
	}
	// Bad input: a missing path or a file that is not a failure file.
	if r := specgate(t, time.Minute, "corpus", "add", "--corpus", corpus, filepath.Join(dir, "nope")); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("missing path: exit %d %q", r.code, r.stderr)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{}"), 0o644)
	if r := specgate(t, time.Minute, "corpus", "add", "--corpus", corpus, bad); r.code != 2 {
		t.Fatalf("not a failure file: exit %d", r.code)
	}
	if _, err := os.Stat(filepath.Join(corpus, failfile.ManifestName)); err == nil {
		t.Fatal("the manifest was copied into the corpus")
	}
}

// TestFixtureIPAMServerNetTCP: "specgate fixture ipam-server --nettcp"
// serves the reference over net.tcp, and the README's net.tcp command runs
// against it and passes.
func TestFixtureIPAMServerNetTCP(t *testing.T) {
	line := startFixture(t, "fixture", "ipam-server", "--nettcp", "127.0.0.1:0")
	endpoint, control, ok := strings.Cut(line, " control ")
	if !ok || !strings.HasPrefix(endpoint, "net.tcp://127.0.0.1:") || !strings.HasPrefix(control, "http://127.0.0.1:") {
		t.Fatalf("fixture printed %q", line)
	}
	r := specgate(t, 5*time.Minute, "run", "--model", "ipam", "--target", "soap:"+endpoint, "--encoding", "binary",
		"--control", control, "--checks", "60", "--steps", "12", "--seed", "6", "--out", t.TempDir(), "--progress", "none")
	if r.code != 0 || !strings.Contains(r.stdout, "ipam: 60 checks") {
		t.Fatalf("run over net.tcp: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestGitHubNightlyWorkflowRuns runs the shell steps of
// docs/ci/github-nightly.yml as written (the shard step once per matrix
// entry, the merge step on the shards laid out as download-artifact lays
// them out) against ./vendor-shim with a planted mutant, on a first night
// (no baseline, no corpus) and a second one with the same mutant: exit 1
// and a new corpus, then exit 1 again (no baseline was committed) with no
// growth.
func TestGitHubNightlyWorkflowRuns(t *testing.T) {
	data, err := os.ReadFile("../../docs/ci/github-nightly.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Env  map[string]string
		Jobs map[string]struct {
			Strategy struct{ Matrix struct{ Shard []int } }
			Steps    []struct{ Name, Run string }
		}
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	step := func(job, name string) string {
		for _, s := range wf.Jobs[job].Steps {
			if s.Name == name {
				return substitute(t, s.Run, []substitution{buildSub})
			}
		}
		t.Fatalf("job %s has no step %q", job, name)
		return ""
	}
	shardStep, mergeStep := step("shard", "Run shard"), step("merge", "Merge, gate and grow the corpus")
	dir := readmeWorkdir(t)
	writeScript(t, dir, "vendor-shim", "exec '"+specgateBin+"' fixture vdi-shim --mutant wrong-code\n")
	env := "SEED=" + wf.Env["SEED"] + " CHECKS=400 SHARDS=" + wf.Env["SHARDS"] + "; export SEED CHECKS SHARDS\n"
	corpusFiles := func() int {
		files, _ := filepath.Glob(filepath.Join(dir, "ci", "corpus", "*.json"))
		return len(files)
	}
	var lastMerge string
	night := func(n int) int {
		os.RemoveAll(filepath.Join(dir, "out"))
		os.RemoveAll(filepath.Join(dir, "shards"))
		for _, i := range wf.Jobs["shard"].Strategy.Matrix.Shard {
			script := strings.ReplaceAll(shardStep, "${{ matrix.shard }}", strconv.Itoa(i))
			if r := sh(t, dir, env+script, 5*time.Minute, "-e"); r.code != 0 {
				t.Fatalf("night %d shard %d: exit %d\n%s", n, i, r.code, r.output)
			}
			os.MkdirAll(filepath.Join(dir, "shards"), 0o755)
			if err := os.Rename(filepath.Join(dir, "out", "shard-"+strconv.Itoa(i)), filepath.Join(dir, "shards", "shard-"+strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		r := sh(t, dir, env+mergeStep, 5*time.Minute, "-e")
		if r.code != 1 {
			t.Fatalf("night %d merge: exit %d, want 1\n%s", n, r.code, r.output)
		}
		lastMerge = r.output
		return corpusFiles()
	}
	n1 := night(1)
	if n1 == 0 {
		t.Fatal("night 1: the corpus did not grow")
	}
	if _, err := os.Stat(filepath.Join(dir, "merged", "diff.html")); err == nil {
		t.Fatal("night 1 published a diff with no last night to compare with")
	}
	if n2 := night(2); n2 != n1 {
		t.Fatalf("night 2: corpus has %d files, want %d", n2, n1)
	}
	if !strings.Contains(lastMerge, "verdict: nothing got worse") {
		t.Fatalf("night 2 (same bug): the diff does not say nothing got worse:\n%s", lastMerge)
	}
	// Night 3: a regression planted on top of the known bug.
	writeScript(t, dir, "vendor-shim", "exec '"+specgateBin+"' fixture vdi-shim --mutant wrong-code,lifo\n")
	if n3 := night(3); n3 <= n1 {
		t.Fatalf("night 3: corpus has %d files, want more than %d", n3, n1)
	}
	diff, err := os.ReadFile(filepath.Join(dir, "merged", "diff.txt"))
	if err != nil {
		t.Fatalf("night 3 published no diff: %v", err)
	}
	if !strings.Contains(string(diff), "+ new      vdi|") || !strings.Contains(string(diff), "verdict: worse") {
		t.Fatalf("night 3: the diff does not name the regression:\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, "merged", "diff.html")); err != nil {
		t.Fatalf("night 3: no diff.html: %v", err)
	}
}
