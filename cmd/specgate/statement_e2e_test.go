package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/models"
)

// writeStatement writes "statement init --model model" to dir/name with
// the given replacements applied (old line -> new line).
func writeStatement(t *testing.T, dir, name, model string, replace ...string) string {
	t.Helper()
	r := specgate(t, time.Minute, "statement", "init", "--model", model)
	if r.code != 0 {
		t.Fatalf("statement init: exit %d: %s", r.code, r.stderr)
	}
	text := strings.Replace(r.stdout, `implementation: ""`, `implementation: "test build"`, 1)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(text, replace[i]) {
			t.Fatalf("statement has no %q", replace[i])
		}
		text = strings.Replace(text, replace[i], replace[i+1], 1)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestStatementInitChecksAndRejects(t *testing.T) {
	dir := t.TempDir()
	good := writeStatement(t, dir, "good.yaml", "vdi")
	if r := specgate(t, time.Minute, "statement", "check", good); r.code != 0 {
		t.Fatalf("a fresh statement does not check: exit %d: %s", r.code, r.stderr)
	}
	bad := map[string][]string{
		"missing.yaml":    {`  VDI-A7: "reference"`, ""},
		"unknown.yaml":    {`  VDI-A7: "reference"`, "  VDI-A7: \"reference\"\n  VDI-A99: \"table\""},
		"side.yaml":       {`  VDI-A7: "reference"`, `  VDI-A7: "figures"`},
		"capability.yaml": {"  concurrent-sets: true", "  concurrent-sets: true\n  teleport: true"},
	}
	for name, rep := range bad {
		path := writeStatement(t, dir, name, "vdi", rep...)
		r := specgate(t, time.Minute, "run", "--model", "vdi", "--statement", path, "--checks", "5", "--out", filepath.Join(dir, "o-"+name))
		if r.code != ExitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and one line", name, r.code, r.stderr, ExitUsage)
		}
	}
	ipam := writeStatement(t, dir, "ipam.yaml", "ipam")
	if r := specgate(t, time.Minute, "run", "--model", "ipam", "--target", "soap:http://127.0.0.1:1/ipam", "--statement", ipam, "--checks", "5"); r.code != ExitUsage || !strings.Contains(r.stderr, "--control") {
		t.Errorf("an IPAM statement with a control endpoint but no --control: exit %d, %q", r.code, r.stderr)
	}
}

// TestStatementFlipJudgesExactlyThatPoint: a product with the documented
// behaviour passes under a statement of the documented choices, and a
// statement that flips VDI-A7 alone makes the run fail on exactly that
// point; the failure file replays without the statement file.
func TestStatementFlipJudgesExactlyThatPoint(t *testing.T) {
	dir := t.TempDir()
	product := "vdi:exec:" + specgateBin + " fixture vdi-shim --profile documented --fixed"
	same := writeStatement(t, dir, "same.yaml", "vdi")
	r := specgate(t, 5*time.Minute, "run", "--model", "vdi", "--target", product, "--statement", same,
		"--checks", "400", "--seed", "3", "--out", filepath.Join(dir, "same"), "--progress", "none")
	if r.code != ExitConformant {
		t.Fatalf("documented product under a documented statement: exit %d\n%s", r.code, r.stdout)
	}
	flipped := writeStatement(t, dir, "a7.yaml", "vdi", `  VDI-A7: "reference"`, `  VDI-A7: "table"`)
	out := filepath.Join(dir, "a7")
	r = specgate(t, 5*time.Minute, "run", "--model", "vdi", "--target", product, "--statement", flipped,
		"--checks", "400", "--seed", "3", "--out", out, "--progress", "none")
	if r.code != ExitDivergence {
		t.Fatalf("flipped VDI-A7: exit %d\n%s", r.code, r.stdout)
	}
	if !strings.Contains(r.stdout, "differs from documented on VDI-A7=table (documented: reference)") {
		t.Errorf("the banner does not say where the statement departs from the profile:\n%s", r.stdout)
	}
	rep := readReport(t, filepath.Join(out, "report.json"))
	m := rep.Models[0]
	if len(m.Divergences) != 1 || m.Divergences[0].Clause != "vdi/client-table/Active/Close" {
		t.Fatalf("want exactly one divergence, on Active/Close; got %+v", m.Divergences)
	}
	if d := m.Divergences[0]; !strings.Contains(d.Statement, `on VDI-A7`) || !strings.Contains(d.Statement, `takes "table"`) {
		t.Errorf("the divergence does not name its ambiguity and choice: %q", d.Statement)
	}
	if m.Statement == nil || m.Statement.File != flipped || m.Choices["VDI-A7"] != "table" {
		t.Errorf("the report does not record the statement: %+v %v", m.Statement, m.Choices)
	}
	ffs := readFailures(t, out)
	if len(ffs) != 1 || !strings.HasPrefix(ffs[0].Profile, models.ChoicesPrefix) || !strings.Contains(ffs[0].Statement, "a7.yaml") {
		t.Fatalf("failure file does not carry the choices: %+v", ffs)
	}
	paths, _ := filepath.Glob(filepath.Join(out, "failures", "*.json"))
	if rr := specgate(t, 2*time.Minute, "replay", paths[0]); rr.code != ExitDivergence {
		t.Errorf("replay without the statement: exit %d\n%s", rr.code, rr.stdout)
	}
	if rr := specgate(t, 2*time.Minute, "replay", paths[0], "--statement", same); rr.code != ExitConformant {
		t.Errorf("replay under the documented statement: exit %d\n%s", rr.code, rr.stdout)
	}
}

// TestIPAMStatementFlip: the documented reference server passes under a
// statement of documented's choices and fails, on IPAM-E5's clause, under
// one that reads 3.15.4.7 steps 2-3 literally (InProgress stays TRUE).
func TestIPAMStatementFlip(t *testing.T) {
	dir := t.TempDir()
	addr := startFixture(t, "fixture", "ipam-server", "--profile", "documented")
	same := writeStatement(t, dir, "same.yaml", "ipam")
	literal := writeStatement(t, dir, "e5.yaml", "ipam", `  IPAM-E5: "failure branch"`, `  IPAM-E5: "literal"`)
	for _, tc := range []struct {
		file string
		want int
	}{{same, ExitConformant}, {literal, ExitDivergence}} {
		out := filepath.Join(dir, filepath.Base(tc.file)+".out")
		r := specgate(t, 5*time.Minute, "run", "--model", "ipam", "--target", "soap:http://"+addr+"/ipam",
			"--control", "http://"+addr+"/control", "--statement", tc.file, "--checks", "200", "--seed", "2",
			"--out", out, "--progress", "none")
		if r.code != tc.want {
			t.Fatalf("%s: exit %d, want %d\n%s", tc.file, r.code, tc.want, r.stdout)
		}
		if tc.want != ExitDivergence {
			continue
		}
		for _, d := range readReport(t, filepath.Join(out, "report.json")).Models[0].Divergences {
			if !strings.Contains(d.Statement, "IPAM-E5") {
				t.Errorf("divergence %s [%s] is not on IPAM-E5: %q", d.Cell, d.Clause, d.Statement)
			}
		}
	}
}
