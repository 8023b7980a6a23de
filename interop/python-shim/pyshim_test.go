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
			Kind      string `json:"kind"`
			Clause    string `json:"clause"`
			Cell      string `json:"cell"`
			Statement string `json:"statement"`
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

// noDivergence fails t unless the run is conformant: exit 0, verdict
// conformant, no divergence at all (and there is no baseline to hide one).
func noDivergence(t *testing.T, what string, code int, rep runReport, out string) {
	t.Helper()
	if code != 0 || rep.Verdict != "conformant" || len(rep.Models[0].Divergences) != 0 {
		t.Fatalf("%s: exit %d, verdict %q, %d divergences, want exit 0, conformant, none\n%s",
			what, code, rep.Verdict, len(rep.Models[0].Divergences), out)
	}
}

// TestDocumentedProfilePasses: with no pin, the shim takes the mode that
// shim.hello names (documented) and is conformant under --profile
// documented with no baseline.
func TestDocumentedProfilePasses(t *testing.T) {
	requirePython(t)
	code, rep, out := run(t, "", "--profile", "documented")
	noDivergence(t, "documented", code, rep, out)
}

// TestStrictProfilePasses: with no pin, the shim follows shim.hello's
// profile "strict" and is conformant under --profile strict with no
// baseline. The control run proves the pass comes from hello: the same shim
// pinned to its documented mode (--behave documented, hello ignored) fails
// strict, on the ambiguities only.
func TestStrictProfilePasses(t *testing.T) {
	requirePython(t)
	code, rep, out := run(t, "", "--profile", "strict")
	noDivergence(t, "strict (shim follows hello)", code, rep, out)

	code, rep, out = run(t, " --behave documented", "--profile", "strict")
	divs := rep.Models[0].Divergences
	if code != 1 || len(divs) == 0 {
		t.Fatalf("control: strict against the shim pinned to documented: exit %d with %d divergences, want 1 with some\n%s", code, len(divs), out)
	}
	for _, d := range divs {
		if !strings.Contains(d.Statement, "VDI-A") {
			t.Errorf("control: divergence not on an ambiguity: kind %s, clause %s, cell %s", d.Kind, d.Clause, d.Cell)
		}
	}
}

// flipCase: a conformance statement equal to profile base except one
// ambiguity, and the one cell and clause where a product fixed to base's
// behaviour must then diverge.
type flipCase struct {
	base, ambiguity, from, to string
	cell, clause              string
}

var flips = []flipCase{
	// Close in Active with a device open: the shim's documented mode answers
	// VD_E_OPEN (reference); the statement claims NOERROR -> DNE (table).
	{"documented", "VDI-A7", "reference", "table", "Active/Close", "vdi/client-table/Active/Close"},
	// CompleteCommand of a command that is not outstanding: the shim's strict
	// mode answers NOERROR (table); the statement claims VD_E_INVALID.
	{"strict", "VDI-A8", "table", "reference", "Active/CompleteCommand", "vdi/ref/CompleteCommand/VD_E_INVALID"},
}

// writeStatement writes `specgate statement init --profile base` with the
// given ambiguity: "from" -> "to" replacements and returns its path.
func writeStatement(t *testing.T, base string, flip ...[3]string) string {
	t.Helper()
	init := exec.Command(bin, "statement", "init", "--model", "vdi", "--profile", base)
	stmt, err := init.Output()
	if err != nil {
		t.Fatalf("statement init: %v", err)
	}
	text := string(stmt)
	for _, f := range flip {
		old := fmt.Sprintf("%s: %q", f[0], f[1])
		next := strings.Replace(text, old, fmt.Sprintf("%s: %q", f[0], f[2]), 1)
		if next == text {
			t.Fatalf("statement init --profile %s no longer prints %s:\n%s", base, old, stmt)
		}
		text = next
	}
	path := filepath.Join(t.TempDir(), "statement.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFlippedStatementFailsOnThatPoint: a product with one behaviour (the
// shim pinned with --behave to profile base, hello ignored) whose statement
// lies about exactly one ambiguity fails the run, and only on that point:
// at least one divergence, and every one of them in the flipped cell under
// the flipped side's clause, naming that ambiguity. The same statement
// against the unpinned shim, which follows hello's choices:..., passes: the
// divergences come from the lie alone, and the choices string reaches the
// shim and is obeyed side by side.
func TestFlippedStatementFailsOnThatPoint(t *testing.T) {
	requirePython(t)
	for _, f := range flips {
		f := f
		t.Run(f.ambiguity, func(t *testing.T) {
			path := writeStatement(t, f.base, [3]string{f.ambiguity, f.from, f.to})
			code, rep, out := run(t, " --behave "+f.base, "--statement", path)
			divs := rep.Models[0].Divergences
			if code != 1 || len(divs) == 0 {
				t.Fatalf("%s flipped, shim pinned to %s: exit %d with %d divergences, want 1 with some\n%s", f.ambiguity, f.base, code, len(divs), out)
			}
			for _, d := range divs {
				if d.Cell != f.cell || d.Clause != f.clause || !strings.Contains(d.Statement, f.ambiguity+" ") {
					t.Errorf("divergence off the flipped point %s (%s, %s): kind %s, clause %s, cell %s, statement %q",
						f.ambiguity, f.cell, f.clause, d.Kind, d.Clause, d.Cell, d.Statement)
				}
			}

			code, rep, out = run(t, "", "--statement", path)
			noDivergence(t, f.ambiguity+" flipped, shim following hello", code, rep, out)
		})
	}
}

// TestMixedStatementPasses: statements that mix the two profiles' sides
// (every ambiguity's non-default side appears in one of them) pass against
// the unpinned shim, which takes each side from hello's choices:...
func TestMixedStatementPasses(t *testing.T) {
	requirePython(t)
	mixes := map[string][][3]string{
		"documented": {{"VDI-A1", "reference", "table"}, {"VDI-A4", "reference", "table"}, {"VDI-A6", "reference", "table"},
			{"VDI-A8", "reference", "table"}, {"VDI-A9", "status text", "table"}, {"VDI-A10", "table A", "table B"}},
		"strict": {{"VDI-A1", "table", "reference"}, {"VDI-A3", "table", "reference"}, {"VDI-A5", "table", "reference"},
			{"VDI-A7", "table", "reference"}, {"VDI-A9", "status text", "table"}},
	}
	for _, base := range []string{"documented", "strict"} {
		code, rep, out := run(t, "", "--statement", writeStatement(t, base, mixes[base]...))
		noDivergence(t, "statement mixed from "+base, code, rep, out)
	}
}
