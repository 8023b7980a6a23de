// Package pyshim runs specgate against the VDI shim in this directory, a
// vendor implementation written from docs/ alone (README.md here): the
// verdicts a vendor would get, judged end to end through the CLI.
package pyshim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bin is specgate, built once for these tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pyshim-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	bin = filepath.Join(dir, "specgate")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/specgate")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build specgate:", err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func requirePython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("python3 not found on PATH (CI=true, so this is a failure, not a skip)")
	}
	t.Skip("SKIP python-shim test: python3 not found on PATH; install it with `make deps` (scripts/install-nns.sh brings Debian's python3), and with CI=true this fails instead")
}

// runReport is the part of report.json these tests read.
type runReport struct {
	Verdict  string `json:"verdict"`
	ExitCode int    `json:"exitCode"`
	Models   []struct {
		Checks      int `json:"checks"`
		Steps       int `json:"steps"`
		Divergences []struct {
			Kind   string `json:"kind"`
			Clause string `json:"clause"`
			Cell   string `json:"cell"`
		} `json:"divergences"`
	} `json:"models"`
}

// run runs specgate against the shim (shimArgs appended to its command
// line) with judge (--profile P or --statement FILE) and returns the exit
// code and the report.
func run(t *testing.T, shimArgs string, judge ...string) (int, runReport, string) {
	t.Helper()
	out := t.TempDir()
	args := append([]string{"run", "--model", "vdi", "--seed", "1", "--checks", "600", "--call-timeout", "30s",
		"--progress", "none", "--out", out, "--target", "vdi:exec:python3 -u shim.py" + shimArgs}, judge...)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stdout
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("specgate %v did not finish\n%s", args, stdout.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var rep runReport
	data, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatalf("exit %d, no report: %v\n%s", code, err, stdout.String())
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Models) != 1 || rep.Models[0].Checks != 600 || rep.Models[0].Steps == 0 {
		t.Fatalf("report does not hold one full vdi run: %+v", rep.Models)
	}
	return code, rep, stdout.String()
}

// TestDocumentedProfilePasses: the shim, which takes the documented side
// of every ambiguity, is conformant under --profile documented with no
// baseline.
func TestDocumentedProfilePasses(t *testing.T) {
	requirePython(t)
	code, rep, out := run(t, "", "--profile", "documented")
	if code != 0 || rep.Verdict != "conformant" || len(rep.Models[0].Divergences) != 0 {
		t.Fatalf("documented: exit %d, verdict %q, %d divergences\n%s", code, rep.Verdict, len(rep.Models[0].Divergences), out)
	}
}

// TestFlippedStatementFailsOnThatPoint: a conformance statement equal to
// the documented profile except VDI-A7 (Close in Active while devices are
// still open: "table" NOERROR -> DNE, where the shim answers VD_E_OPEN as
// the reference page says) makes the run fail, and only on that point:
// every divergence is in cell Active/Close under the table's clause.
func TestFlippedStatementFailsOnThatPoint(t *testing.T) {
	requirePython(t)
	init := exec.Command(bin, "statement", "init", "--model", "vdi", "--profile", "documented")
	stmt, err := init.Output()
	if err != nil {
		t.Fatalf("statement init: %v", err)
	}
	flipped := strings.Replace(string(stmt), `VDI-A7: "reference"`, `VDI-A7: "table"`, 1)
	if flipped == string(stmt) {
		t.Fatalf("statement init no longer prints VDI-A7: \"reference\":\n%s", stmt)
	}
	path := filepath.Join(t.TempDir(), "flipped.yaml")
	if err := os.WriteFile(path, []byte(flipped), 0o644); err != nil {
		t.Fatal(err)
	}
	code, rep, out := run(t, pinned(t), "--statement", path)
	divs := rep.Models[0].Divergences
	if code != 1 || len(divs) == 0 {
		t.Fatalf("flipped VDI-A7: exit %d with %d divergences, want 1 with some\n%s", code, len(divs), out)
	}
	for _, d := range divs {
		if d.Cell != "Active/Close" || d.Clause != "vdi/client-table/Active/Close" {
			t.Errorf("divergence off the flipped point: kind %s, clause %s, cell %s", d.Kind, d.Clause, d.Cell)
		}
	}
}

// pinned returns the shim option that keeps its documented behaviour
// whatever shim.hello names, when the shim has one (a shim with
// compatibility modes would otherwise follow the flipped statement).
func pinned(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("shim.py")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(src), "--behave") {
		return " --behave documented"
	}
	return ""
}
