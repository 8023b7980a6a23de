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

// TestDiffNamesTheRegression runs a conformant night and a night with a
// planted bug, and checks that diff names the new divergence and exits 1,
// that the reverse diff calls it fixed and exits 0, and that the JSON and
// HTML forms say the same.
func TestDiffNamesTheRegression(t *testing.T) {
	dir := t.TempDir()
	night1, night2 := filepath.Join(dir, "n1"), filepath.Join(dir, "n2")
	common := []string{"run", "--model", "vdi", "--checks", "150", "--seed", "7"}
	if r := specgate(t, 3*time.Minute, append(common, "--out", night1)...); r.code != 0 {
		t.Fatalf("night 1 against the reference: exit %d\n%s", r.code, r.stderr)
	}
	if r := specgate(t, 3*time.Minute, append(common, "--out", night2, "--target", mutantTarget("wrong-code"))...); r.code != 1 {
		t.Fatalf("night 2 against wrong-code: exit %d, want 1\n%s", r.code, r.stderr)
	}
	old, cur := filepath.Join(night1, "report.json"), filepath.Join(night2, "report.json")
	jsonPath, htmlPath := filepath.Join(dir, "diff.json"), filepath.Join(dir, "diff.html")
	r := specgate(t, time.Minute, "diff", "--json", jsonPath, "--html", htmlPath, old, cur)
	if r.code != 1 {
		t.Fatalf("diff night1 night2: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	sig := onlySignature(t, cur)
	if !strings.Contains(r.stdout, "+ new      "+sig) || !strings.Contains(r.stdout, "verdict: worse") {
		t.Fatalf("text diff does not name the new divergence %q:\n%s", sig, r.stdout)
	}
	var d report.Diff
	if err := json.Unmarshal([]byte(mustRead(t, jsonPath)), &d); err != nil {
		t.Fatalf("diff JSON: %v", err)
	}
	if !d.Worse || len(d.Models) != 1 || len(d.Models[0].New) != 1 || d.Models[0].New[0].Signature != sig {
		t.Fatalf("diff JSON = %+v, want one new divergence %s", d, sig)
	}
	if strings.Contains(mustRead(t, jsonPath), `\u003e`) {
		t.Fatal("diff JSON escapes '>' (want it verbatim)")
	}
	html := mustRead(t, htmlPath)
	if !strings.Contains(html, `class="worse"`) || !strings.Contains(html, "Abort/GetConfiguration") && !strings.Contains(html, d.Models[0].New[0].Clause) {
		t.Fatalf("diff HTML does not show the regression")
	}
	back := specgate(t, time.Minute, "diff", "--json", "-", cur, old)
	if back.code != 0 {
		t.Fatalf("diff night2 night1: exit %d, want 0 (a fix is not worse)\n%s", back.code, back.stderr)
	}
	var rev report.Diff
	if err := json.Unmarshal([]byte(back.stdout), &rev); err != nil {
		t.Fatalf("--json - did not put the JSON alone on stdout: %v\n%s", err, back.stdout)
	}
	if rev.Worse || len(rev.Models[0].Fixed) != 1 || rev.Models[0].Fixed[0].Signature != sig {
		t.Fatalf("reverse diff = %+v, want %s fixed and nothing worse", rev, sig)
	}
}

func onlySignature(t *testing.T, path string) string {
	t.Helper()
	rep := readReport(t, path)
	var sigs []string
	for _, m := range rep.Models {
		for _, d := range m.Divergences {
			sigs = append(sigs, d.Signature)
		}
	}
	if len(sigs) != 1 {
		t.Fatalf("%s: %d divergences, want 1: %v", path, len(sigs), sigs)
	}
	return sigs[0]
}

// TestDiffBadInput: a missing or non-report file, or a wrong number of
// arguments, is a usage error (2) with one line on stderr.
func TestDiffBadInput(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.json")
	if err := os.WriteFile(junk, []byte(`{"hello":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"diff"},
		{"diff", junk},
		{"diff", junk, filepath.Join(dir, "missing.json")},
		{"diff", filepath.Join(dir, "missing.json"), junk},
		{"diff", "--bogus", junk, junk},
	} {
		r := specgate(t, time.Minute, args...)
		if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, r.code, r.stderr)
		}
	}
}
