package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// k8sJob is the part of a batch/v1 Job the nightly test reads.
type k8sJob struct {
	Metadata struct{ Name string }
	Spec     struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int
		Template       struct {
			Spec struct {
				Containers []struct {
					Command []string
					Args    []string
					Env     []struct{ Name, Value string }
				}
			}
		}
	}
}

// readK8sJobs decodes every document of docs/ci/k8s-indexed-job.yaml.
func readK8sJobs(t *testing.T) map[string]k8sJob {
	t.Helper()
	data, err := os.ReadFile("../../docs/ci/k8s-indexed-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	jobs := map[string]k8sJob{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var j k8sJob
		if err := dec.Decode(&j); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		c := j.Spec.Template.Spec.Containers
		if len(c) != 1 || len(c[0].Args) != 1 || strings.Join(c[0].Command, " ") != "/bin/sh -c" {
			t.Fatalf("job %s: want one container running /bin/sh -c with one script", j.Metadata.Name)
		}
		jobs[j.Metadata.Name] = j
	}
	return jobs
}

// TestK8sIndexedJobTwoNights runs the two Jobs of
// docs/ci/k8s-indexed-job.yaml as written, locally: every pod of the
// Indexed Job (JOB_COMPLETION_INDEX 0..completions-1, the container's
// env, one after another), then the merge Job, with /results and /config
// as folders of a test directory, specgate on PATH and the target a
// bundled TCP shim. Night 1 runs against the reference: the gate passes
// and the corpus stays empty. Night 2 runs against a shim with a planted
// regression (lifo): the merge Job fails with exit 1, its diff names the
// new divergence, and the corpus grows.
func TestK8sIndexedJobTwoNights(t *testing.T) {
	jobs := readK8sJobs(t)
	shard, merge := jobs["specgate-nightly"], jobs["specgate-nightly-merge"]
	if shard.Spec.CompletionMode != "Indexed" || shard.Spec.Completions < 2 {
		t.Fatalf("specgate-nightly: completionMode %q, %d completions", shard.Spec.CompletionMode, shard.Spec.Completions)
	}
	dir := t.TempDir()
	for _, d := range []string{"results", "config", "bin"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(specgateBin, filepath.Join(dir, "bin", "specgate")); err != nil {
		t.Fatal(err)
	}
	local := func(script string) string {
		script = strings.ReplaceAll(script, "/results", filepath.Join(dir, "results"))
		return strings.ReplaceAll(script, "/config", filepath.Join(dir, "config"))
	}
	export := func(name, value string) string { return "export " + name + "='" + value + "'\n" }
	corpusFiles := func() int {
		files, _ := filepath.Glob(filepath.Join(dir, "results", "corpus", "*.json"))
		return len(files)
	}
	night := func(n int, mutant ...string) (int, string) {
		addr := startTCPShim(t, mutant...)
		os.RemoveAll(filepath.Join(dir, "results", "merged"))
		pre := export("PATH", filepath.Join(dir, "bin")+":"+os.Getenv("PATH"))
		for _, e := range shard.Spec.Template.Spec.Containers[0].Env {
			switch e.Name {
			case "CHECKS":
				e.Value = "400" // the test's budget, in place of the nightly's
			case "TARGET":
				e.Value = "vdi:tcp://" + addr
			}
			pre += export(e.Name, e.Value)
		}
		for i := range shard.Spec.Completions {
			r := sh(t, dir, pre+export("JOB_COMPLETION_INDEX", strconv.Itoa(i))+local(shard.Spec.Template.Spec.Containers[0].Args[0]), 5*time.Minute)
			if r.code != 0 {
				t.Fatalf("night %d pod %d: exit %d\n%s", n, i, r.code, r.output)
			}
		}
		r := sh(t, dir, pre+local(merge.Spec.Template.Spec.Containers[0].Args[0]), 5*time.Minute)
		diff, _ := os.ReadFile(filepath.Join(dir, "results", "merged", "diff.txt"))
		return r.code, string(diff)
	}
	if code, diff := night(1); code != 0 || diff != "" || corpusFiles() != 0 {
		t.Fatalf("night 1 (reference): merge exit %d, want 0; diff %q; %d corpus files", code, diff, corpusFiles())
	}
	code, diff := night(2, "--mutant", "lifo")
	if code != 1 {
		t.Fatalf("night 2 (regression planted): merge exit %d, want 1\n%s", code, diff)
	}
	if !strings.Contains(diff, "+ new      vdi|") || !strings.Contains(diff, "verdict: worse") {
		t.Fatalf("night 2: the diff does not name the regression:\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, "results", "merged", "diff.html")); err != nil {
		t.Fatalf("night 2: no diff.html: %v", err)
	}
	if corpusFiles() == 0 {
		t.Fatal("night 2: the corpus did not grow")
	}
	t.Logf("night 2, since last night:\n%s", diff)
}
