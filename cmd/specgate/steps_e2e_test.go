package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestStepNumbersAgreeEverywhere: a shrunk failure whose last step
// diverges is reported at step len(sequence), 1-based, in the terminal,
// report.json, the failure file, the HTML and the JUnit report, and
// replay -v prints every step numbered from 1, with its wire lines and
// verdict, the last one the divergence.
func TestStepNumbersAgreeEverywhere(t *testing.T) {
	out := t.TempDir()
	tgt := "vdi:exec:" + specgateBin + " fixture vdi-shim --mutant deep"
	r := specgate(t, 4*time.Minute, "run", "--model", "vdi", "--target", tgt, "--seed", "1", "--checks", "3000",
		"--out", out, "--progress", "none", "--fail-fast", "--parallel", "1")
	if r.code != 1 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	files := readFailures(t, out)
	if len(files) != 1 {
		t.Fatalf("%d failure files", len(files))
	}
	ff := files[0]
	paths, _ := filepath.Glob(filepath.Join(out, "failures", "*.json"))
	ff.Path = paths[0]
	n := len(ff.Sequence)
	if n != 8 || ff.Divergence.Step != n {
		t.Fatalf("failure file: step %d of %d steps, want 8 of 8", ff.Divergence.Step, n)
	}
	raw, _ := os.ReadFile(ff.Path)
	if !strings.Contains(string(raw), fmt.Sprintf(`"step": %d,`, n)) {
		t.Errorf("failure file does not say step %d:\n%s", n, raw)
	}
	at := fmt.Sprintf("at step %d, %s", n, ff.Divergence.Action)
	if !strings.Contains(r.stdout, at) || !regexp.MustCompile(fmt.Sprintf(`(?m)^\s+%d\. .*<- `, n)).MatchString(r.stdout) {
		t.Errorf("terminal lacks %q or the marked step %d:\n%s", at, n, r.stdout)
	}
	var rep struct {
		Models []struct {
			Divergences []struct {
				Step     int      `json:"step"`
				Sequence []any    `json:"sequence"`
				Steps    []string `json:"steps"`
			} `json:"divergences"`
		} `json:"models"`
	}
	data, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if d := rep.Models[0].Divergences[0]; d.Step != len(d.Sequence) || d.Step != n {
		t.Errorf("report.json: step %d of %d", d.Step, len(d.Sequence))
	}
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if !strings.Contains(string(html), fmt.Sprintf("<dd>step %d, ", n)) {
		t.Errorf("report.html does not say step %d", n)
	}
	junit, _ := os.ReadFile(filepath.Join(out, "report.xml"))
	if !strings.Contains(string(junit), fmt.Sprintf("At:       step %d, ", n)) {
		t.Errorf("report.xml does not say step %d", n)
	}

	// The action names its argument the same way everywhere: the deep
	// mutant's last step is CompleteCommand on device index 1, whose
	// wire command id is 0.
	if ff.Divergence.Action != "CompleteCommand(device=1)" || ff.Steps[n-1] != ff.Divergence.Action ||
		!strings.Contains(string(data), `"action": "CompleteCommand(device=1)"`) || !strings.Contains(r.stdout, "8. CompleteCommand(device=1)") ||
		!strings.Contains(string(junit), "CompleteCommand(device=1)") || !strings.Contains(string(html), "CompleteCommand(device=1)") {
		t.Errorf("the failing action is not rendered CompleteCommand(device=1) everywhere (file: %q)", ff.Divergence.Action)
	}

	v := specgate(t, 2*time.Minute, "replay", ff.Path, "-v")
	if v.code != 1 {
		t.Fatalf("replay -v: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	for i := 1; i <= n; i++ {
		head := fmt.Sprintf("step %d/%d  %s\n", i, n, ff.Steps[i-1])
		if !strings.Contains(v.stdout, head) {
			t.Errorf("replay -v lacks %q:\n%s", head, v.stdout)
		}
	}
	if strings.Count(v.stdout, "\n  ok\n") != n-1 || strings.Count(v.stdout, "  -> {") != n || strings.Count(v.stdout, "  <- {") != n {
		t.Errorf("replay -v: want %d ok steps and %d requests and answers:\n%s", n-1, n, v.stdout)
	}
	last := v.stdout[strings.Index(v.stdout, fmt.Sprintf("step %d/%d", n, n)):]
	for _, want := range []string{"DIVERGENCE [" + ff.Divergence.Clause + "]", "Expected: " + strings.Join(ff.Divergence.Expected, " | "),
		"Actual:   " + ff.Divergence.Observed, "REPRODUCED"} {
		if !strings.Contains(last, want) {
			t.Errorf("replay -v last step lacks %q:\n%s", want, last)
		}
	}
}
