package report

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/ipam"
)

func TestWriteTextPlain(t *testing.T) {
	r := sampleReport(t)
	var b bytes.Buffer
	if err := WriteText(&b, r, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "\x1b") {
		t.Errorf("escape codes without colour:\n%q", out)
	}
	// The clause tree: vdi -> client-table -> Active -> GetCommand.
	for _, want := range []string{
		"\nvdi/documented  SQL Server VDI",
		"\n  client-table\n    DNE\n      ✔ Create (1)\n",
		"\n    Active\n",
		"\n      × GetCommand (17) FAIL\n",
		"\n          Expected: VD_E_CLOSE | NOERROR\n",
		"\n            Actual: VD_E_TIMEOUT (after 5000 ms)\n",
		"\n          Sequence: 6 steps (shrunk from 23)\n",
		"\n             6. GetCommand(device=0)   <- VD_E_TIMEOUT\n",
		"\n          Replay: specgate replay specgate-out/failures/vdi-documented-vdi-client-table-Active-GetCommand-42-7.json --target 'vdi:exec:./shim --mode x'\n",
		"\n  server\n    ✔ Open (90)\n",
		"    - CloseDevice (0) not reached\n",
		"\nipam/documented  MS-IPAMM2",
		"\n  3.15.4.7\n    ✔ start (",
		"\n  × quiescence (5) FAIL\n",
		"\n      -> hang at step 3, StartAsyncSchemaConversion(session=0)",
		"ipam: 100 checks, 3000 steps, 32 clauses (29 passed, 1 failed, 0 known, 2 not reached, 0 not reachable), cells 30/48 (62.5%)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	last := lines[len(lines)-1]
	if last != "90 clauses: 83 passed, 2 failed, 0 known deviations, 5 not reached, 0 not reachable; 2 new divergences, 0 known; cell coverage 62.5%; divergent (exit 1)" {
		t.Errorf("summary line %q", last)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

func TestWriteTextColor(t *testing.T) {
	r := sampleReport(t)
	b := NewBaselineFromReport(r, "x")
	b.Deviations = b.Deviations[1:] // vdi known
	Apply(r, b, "baseline.json")
	var plain, col bytes.Buffer
	if err := WriteText(&plain, r, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteText(&col, r, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("escape codes without colour")
	}
	out := col.String()
	for _, want := range []string{ansiRed + "×" + ansiReset, ansiGreen + "✔" + ansiReset, ansiYellow + "known deviation" + ansiReset, ansiRed + ansiBold + "unreachable (exit 3)" + ansiReset} {
		if !strings.Contains(out, want) {
			t.Errorf("coloured output lacks %q", want)
		}
	}
	// Stripping the escape codes gives the plain output.
	stripped := out
	for _, c := range []string{ansiReset, ansiBold, ansiDim, ansiRed, ansiGreen, ansiYellow, ansiCyan} {
		stripped = strings.ReplaceAll(stripped, c, "")
	}
	if stripped != plain.String() {
		t.Errorf("coloured output differs from the plain one beyond escape codes")
	}
	if !strings.Contains(plain.String(), "      ✔ GetCommand (17) known deviation\n") ||
		!strings.Contains(plain.String(), "-> divergence (known deviation, listed in the baseline) at step 6") ||
		!strings.Contains(plain.String(), "\nbaseline baseline.json: 1 known, 1 new, 0 gone\n") {
		t.Errorf("known deviation not shown:\n%s", plain.String())
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("disk full")
	}
	w.n--
	return len(p), nil
}

func TestWriteTextError(t *testing.T) {
	if err := WriteText(&failWriter{n: 3}, sampleReport(t), false); err == nil || err.Error() != "disk full" {
		t.Errorf("write error: %v", err)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Errorf("regular file is a terminal")
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	if IsTerminal(pw) {
		t.Errorf("pipe is a terminal")
	}
	if IsTerminal(nil) {
		t.Errorf("nil is a terminal")
	}
}

func TestWriteTextWarnings(t *testing.T) {
	r := sampleReport(t)
	r.Models[0].Warnings = []string{"2 callback(s) arrived late"}
	var b bytes.Buffer
	if err := WriteText(&b, r, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\n    warning: 2 callback(s) arrived late\n") {
		t.Errorf("warning not printed under its model:\n%s", b.String())
	}
}

func TestWriteTextBannerOnce(t *testing.T) {
	r := sampleReport(t)
	banner := Banner(r)
	var with, without bytes.Buffer
	if err := WriteText(&with, r, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteTextWith(&without, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(with.String(), banner); n != 1 {
		t.Errorf("WriteText: banner %q %d times, want once", banner, n)
	}
	if strings.Contains(without.String(), banner) {
		t.Errorf("WriteTextWith without Banner repeats the identity line:\n%s", without.String())
	}
	if !strings.HasPrefix(without.String(), "200 checks, 6000 steps, 12.0s\n") {
		t.Errorf("WriteTextWith without Banner starts with the totals line; got:\n%s", without.String())
	}
}

func TestWriteTextUnreachable(t *testing.T) {
	r := sampleReport(t)
	im := &r.Models[1]
	im.Coverage.Declare(ipam.Reach(ipam.Documented, true))
	im.Coverage.Declare(models.Reach{Clauses: map[string]string{ipam.ClMalformed: "needs a server fault"}})
	var b bytes.Buffer
	if err := WriteText(&b, r, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"- malformed (0) not reachable: needs a server fault\n",
		"32 clauses (29 passed, 1 failed, 0 known, 1 not reached, 1 not reachable), cells 30/36 (83.3%), 12 unreachable by the model\n",
		"cells Unknown/InitializeAsyncProvisioning, ",
		" unreachable: with a control endpoint",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}
