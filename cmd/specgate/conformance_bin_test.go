package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	conformanceOnce sync.Once
	conformanceBin  string
	conformanceErr  error
)

// conformanceBinary builds bin/specgate-conformance once (next to the
// specgate binary, removed by TestMain).
func conformanceBinary(t *testing.T) string {
	t.Helper()
	conformanceOnce.Do(func() {
		conformanceBin = filepath.Join(filepath.Dir(specgateBin), "specgate-conformance")
		build := exec.Command("go", "test", "-c", "-o", conformanceBin, "../../suites/conformance")
		build.Stderr = os.Stderr
		conformanceErr = build.Run()
	})
	if conformanceErr != nil {
		t.Fatalf("build the conformance binary: %v", conformanceErr)
	}
	return conformanceBin
}

// runConformance runs the conformance binary with args and extra
// environment, stdout and stderr to a pipe, and returns its exit code and
// output.
func runConformance(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, conformanceBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("conformance %v did not finish\n%s", args, out.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

// replayEntries returns the "replay" report entries of a Ginkgo JSON report.
func replayEntries(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no Ginkgo JSON report: %v", err)
	}
	var r []struct {
		SpecReports []struct {
			ReportEntries []struct {
				Name  string
				Value struct{ Representation string }
			}
		}
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range r[0].SpecReports {
		for _, e := range s.ReportEntries {
			if e.Name == "replay" {
				out = append(out, e.Value.Representation)
			}
		}
	}
	return out
}

// TestConformanceReplayHintNamesTheTarget: a failing property spec's
// replay hint reruns this binary against the same target with the same
// seed and selects that spec; pasted into a shell it fails again (it used
// to be a specgate run without --target, which passes on the reference).
func TestConformanceReplayHintNamesTheTarget(t *testing.T) {
	tgt := "vdi:exec:" + specgateBin + " fixture vdi-shim --mutant wrong-code"
	rep := filepath.Join(t.TempDir(), "r.json")
	code, out := runConformance(t, nil, "-target", tgt, "-profile", "documented", "-property-checks", "300",
		"-ginkgo.seed", "5", "-ginkgo.label-filter", "vdi && property", "-ginkgo.json-report", rep)
	if code == 0 {
		t.Fatalf("the property spec passed against a mutant\n%s", out)
	}
	hints := replayEntries(t, rep)
	if len(hints) != 1 {
		t.Fatalf("replay entries %q", hints)
	}
	h := hints[0]
	for _, want := range []string{conformanceBinary(t) + " ", "-target '" + tgt + "'", "-profile documented", "-property-checks 300",
		"-ginkgo.seed 5", "-ginkgo.label-filter 'vdi && property && documented'"} {
		if !strings.Contains(h, want) {
			t.Errorf("replay hint %s lacks %s", h, want)
		}
	}
	rep2 := filepath.Join(t.TempDir(), "r2.json")
	code, rout := shell(t, t.TempDir(), h+" -ginkgo.json-report "+rep2, 5*time.Minute)
	if code != 1 || len(replayEntries(t, rep2)) != 1 {
		t.Fatalf("pasted hint: exit %d, want 1 (the spec fails again)\n%s", code, rout)
	}
}

// TestConformanceNoColourInCI: with CI=true or a pipe for stdout, the
// Ginkgo output has no escape codes unless -color=always asks for them.
func TestConformanceNoColourInCI(t *testing.T) {
	args := []string{"-ginkgo.dry-run", "-ginkgo.v", "-ginkgo.label-filter", "vdi && property"}
	for _, env := range [][]string{{"CI=true"}, {"CI="}} {
		_, out := runConformance(t, env, args...)
		if strings.Contains(out, "\x1b[") {
			t.Errorf("%v, stdout a pipe: escape codes in the output:\n%q", env, out)
		}
		if !strings.Contains(out, "VDI random sequences") {
			t.Errorf("dry run did not list the spec:\n%s", out)
		}
	}
	if _, out := runConformance(t, []string{"CI=true"}, append(args, "-color", "always")...); !strings.Contains(out, "\x1b[") {
		t.Errorf("-color=always: no escape codes:\n%q", out)
	}
	if code, out := runConformance(t, nil, "-color", "sometimes", "-ginkgo.dry-run"); code == 0 {
		t.Errorf("-color=sometimes accepted:\n%s", out)
	}
}

// TestConformanceIPAMWithoutControl: -control is optional, as for specgate
// run: against a vendor IPAM server without it the clause specs are
// skipped (they reset the server through it) and the property specs run
// on the observed ADM, and pass on the reference.
func TestConformanceIPAMWithoutControl(t *testing.T) {
	addr := startFixture(t, "fixture", "ipam-server", "--listen", "127.0.0.1:0")
	rep := filepath.Join(t.TempDir(), "r.json")
	code, out := runConformance(t, nil, "-target", "soap:http://"+addr+"/ipam", "-profile", "documented",
		"-ginkgo.label-filter", "ipam", "-ginkgo.json-report", rep)
	if code != 0 {
		t.Fatalf("exit %d without -control\n%s", code, out)
	}
	data, _ := os.ReadFile(rep)
	var r []struct {
		SpecReports []struct {
			LeafNodeText string
			State        string
		}
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	passed, skipped := 0, 0
	for _, s := range r[0].SpecReports {
		switch {
		case s.LeafNodeText == "":
		case s.State == "passed":
			passed++
		case s.State == "skipped":
			skipped++
		}
	}
	if passed != 1 || skipped == 0 {
		t.Fatalf("%d passed (want the property spec), %d skipped (want the clause specs)\n%s", passed, skipped, out)
	}
}
