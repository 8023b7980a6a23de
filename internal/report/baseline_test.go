package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/specgate/specgate/internal/engine"
)

func TestSignatureOf(t *testing.T) {
	d := engine.Divergence{Kind: "divergence", Clause: "vdi/client-table/Active/GetCommand", Cell: "Active/GetCommand",
		Step: 3, Action: "GetCommand(0)", Expected: []string{"VD_E_CLOSE", "NOERROR", "NOERROR"}, Observed: "VD_E_TIMEOUT", Detail: "x"}
	want := "vdi|divergence|vdi/client-table/Active/GetCommand|NOERROR,VD_E_CLOSE|VD_E_TIMEOUT"
	if got := SignatureOf("vdi", d); got != want {
		t.Errorf("SignatureOf = %q, want %q", got, want)
	}
	// Step, action, cell and detail are not part of the signature; the
	// expected outcomes are a set.
	e := d
	e.Step, e.Action, e.Cell, e.Detail = 9, "GetCommand(1)", "Other/X", "y"
	e.Expected = []string{"NOERROR", "VD_E_CLOSE"}
	if SignatureOf("vdi", e) != want {
		t.Errorf("signature depends on step/action/detail or expected order: %q", SignatureOf("vdi", e))
	}
	// Separators inside components are escaped: no two different
	// deviations share a signature.
	a := engine.Divergence{Kind: "divergence", Clause: "c", Expected: []string{"a,b"}, Observed: "o"}
	b := engine.Divergence{Kind: "divergence", Clause: "c", Expected: []string{"a", "b"}, Observed: "o"}
	c := engine.Divergence{Kind: "divergence", Clause: "c|a", Expected: nil, Observed: "o"}
	if SignatureOf("m", a) == SignatureOf("m", b) || SignatureOf("m", c) == SignatureOf("m|divergence", engine.Divergence{Kind: "c", Clause: "a", Observed: "o"}) {
		t.Errorf("ambiguous signatures: %q %q %q", SignatureOf("m", a), SignatureOf("m", b), SignatureOf("m", c))
	}
	for _, o := range []string{"x", "y"} {
		f := d
		f.Observed = o
		if SignatureOf("vdi", f) == want {
			t.Errorf("observed %q not part of the signature", o)
		}
	}
	if SignatureOf("ipam", d) == want {
		t.Errorf("model not part of the signature")
	}
}

func baselineFor(t *testing.T, r *Report, reason string) *BaselineFile {
	t.Helper()
	b := NewBaselineFromReport(r, reason)
	path := filepath.Join(t.TempDir(), "baseline.json")
	if err := b.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Listed and seen: the run passes, the divergences are Known.
func TestApplyListedAndSeen(t *testing.T) {
	r := sampleReport(t)
	if r.ExitCode != ExitDivergence {
		t.Fatalf("fixture exit code %d, want 1", r.ExitCode)
	}
	b := baselineFor(t, r, "accepted for the test")
	if len(b.Deviations) != 2 {
		t.Fatalf("baseline has %d deviations, want 2", len(b.Deviations))
	}
	Apply(r, b, "baseline.json")
	if r.ExitCode != ExitConformant || r.Verdict != VerdictConformant {
		t.Errorf("exit %d verdict %q, want 0 conformant", r.ExitCode, r.Verdict)
	}
	for _, m := range r.Models {
		for _, d := range m.Divergences {
			if !d.Known || d.Signature != SignatureOf(m.Name, d.Divergence) {
				t.Errorf("%s %s: known=%v signature=%q", m.Name, d.Clause, d.Known, d.Signature)
			}
		}
	}
	if got := strings.Join(r.Baseline.Known, "\n"); got != strings.Join(sigs(r), "\n") {
		t.Errorf("Known = %v, want %v", r.Baseline.Known, sigs(r))
	}
	if len(r.Baseline.New) != 0 || len(r.Baseline.Resolved) != 0 || r.Baseline.File != "baseline.json" {
		t.Errorf("baseline summary %+v", r.Baseline)
	}
}

// Seen but not listed: the run fails with 1.
func TestApplyUnlisted(t *testing.T) {
	r := sampleReport(t)
	b := baselineFor(t, r, "accepted")
	b.Deviations = b.Deviations[:1] // keep ipam's hang only (sorted: ipam, vdi)
	Apply(r, b, "b.json")
	if r.ExitCode != ExitDivergence || r.Verdict != VerdictDivergent {
		t.Errorf("exit %d verdict %q, want 1 divergent", r.ExitCode, r.Verdict)
	}
	if len(r.Baseline.New) != 1 || !strings.HasPrefix(r.Baseline.New[0], "vdi|divergence|") {
		t.Errorf("New = %v", r.Baseline.New)
	}
	if len(r.Baseline.Known) != 1 || !strings.HasPrefix(r.Baseline.Known[0], "ipam|hang|") {
		t.Errorf("Known = %v", r.Baseline.Known)
	}
	if r.Models[0].Divergences[0].Known || !r.Models[1].Divergences[0].Known {
		t.Errorf("Known flags wrong")
	}

	// A changed observed outcome is a new deviation, not the known one.
	r = sampleReport(t)
	b = baselineFor(t, r, "accepted")
	r.Models[0].Divergences[0].Observed = "VD_E_ABORT"
	Apply(r, b, "b.json")
	if r.ExitCode != ExitDivergence || len(r.Baseline.New) != 1 || len(r.Baseline.Resolved) != 1 {
		t.Errorf("changed observed: exit %d, baseline %+v", r.ExitCode, r.Baseline)
	}
}

// Listed but gone in a complete run: 4.
func TestApplyListedAndGone(t *testing.T) {
	r := sampleReport(t)
	b := baselineFor(t, r, "accepted")
	r.Models[0].Divergences = nil // the SUT was fixed
	Apply(r, b, "b.json")
	if r.ExitCode != ExitKnownGone || r.Verdict != VerdictKnownGone {
		t.Errorf("exit %d verdict %q, want 4 %s", r.ExitCode, r.Verdict, VerdictKnownGone)
	}
	if len(r.Baseline.Resolved) != 1 || !strings.HasPrefix(r.Baseline.Resolved[0], "vdi|") || len(r.Baseline.Known) != 1 {
		t.Errorf("baseline summary %+v", r.Baseline)
	}

	// A new divergence is worse than a stale baseline.
	r = sampleReport(t)
	b = baselineFor(t, r, "accepted")
	r.Models[1].Divergences = nil
	r.Models[0].Divergences[0].Observed = "VD_E_ABORT"
	Apply(r, b, "b.json")
	if r.ExitCode != ExitDivergence {
		t.Errorf("new + gone: exit %d, want 1", r.ExitCode)
	}
}

// A partial run never reports a listed deviation as gone.
func TestApplyPartialRunNotGone(t *testing.T) {
	r := sampleReport(t)
	b := baselineFor(t, r, "accepted")
	r.Models[0].Divergences = nil
	r.Run.Partial = true
	Apply(r, b, "b.json")
	if r.ExitCode != ExitConformant || r.Verdict != VerdictPartial {
		t.Errorf("exit %d verdict %q, want 0 partial", r.ExitCode, r.Verdict)
	}
	r.Run.Interrupted = true
	Recompute(r)
	if r.ExitCode != ExitInterrupted || r.Verdict != VerdictInterrupted {
		t.Errorf("interrupted: exit %d verdict %q, want 6 interrupted", r.ExitCode, r.Verdict)
	}
	if len(r.Baseline.Resolved) != 0 || len(r.Baseline.NotChecked) != 1 {
		t.Errorf("partial run: resolved %v, not checked %v", r.Baseline.Resolved, r.Baseline.NotChecked)
	}
}

// Deviations of models that were not run are not gone.
func TestApplyModelNotRun(t *testing.T) {
	r := sampleReport(t)
	b := baselineFor(t, r, "accepted")
	r.Models = r.Models[1:] // ipam only
	Apply(r, b, "b.json")
	if r.ExitCode != ExitConformant || len(r.Baseline.NotChecked) != 1 || len(r.Baseline.Resolved) != 0 {
		t.Errorf("exit %d, baseline %+v", r.ExitCode, r.Baseline)
	}
}

func TestApplyNilBaseline(t *testing.T) {
	r := sampleReport(t)
	Apply(r, nil, "")
	if r.ExitCode != ExitDivergence || len(r.Baseline.New) != 2 {
		t.Errorf("exit %d, baseline %+v", r.ExitCode, r.Baseline)
	}
}

func TestExitCodePrecedence(t *testing.T) {
	onlyHang := func() *Report {
		r := sampleReport(t)
		r.Models[0].Divergences = nil
		return r
	}
	r := onlyHang()
	Apply(r, nil, "")
	if r.ExitCode != ExitUnreachable || r.Verdict != VerdictUnreachable {
		t.Errorf("hang only: exit %d %q, want 3", r.ExitCode, r.Verdict)
	}
	// New hang and a stale baseline entry: 3 wins over 4.
	r = sampleReport(t)
	b := NewBaselineFromReport(r, "x")
	b.Deviations = b.Deviations[1:] // vdi's divergence only (sorted: ipam, vdi)
	r.Models[0].Divergences = nil
	Apply(r, b, "")
	if r.ExitCode != ExitUnreachable || len(r.Baseline.Resolved) != 1 {
		t.Errorf("new hang + gone: exit %d, baseline %+v", r.ExitCode, r.Baseline)
	}
	// Malformed answers are divergences (1), not faults.
	r = onlyHang()
	r.Models[1].Divergences[0].Kind = engine.KindMalformed
	Recompute(r)
	if r.ExitCode != ExitDivergence {
		t.Errorf("malformed: exit %d, want 1", r.ExitCode)
	}
	// Coverage below the minimum: 5 only when nothing worse.
	r = sampleReport(t) // 62.5% of the cells in both models
	ApplyMinCoverage(r, 0.9)
	if r.ExitCode != ExitDivergence {
		t.Errorf("divergent + low coverage: exit %d, want 1", r.ExitCode)
	}
	Apply(r, NewBaselineFromReport(r, "x"), "") // after ApplyMinCoverage: the minimum is kept
	if r.ExitCode != ExitLowCoverage || r.Verdict != VerdictLowCoverage {
		t.Errorf("known + low coverage: exit %d %q, want 5", r.ExitCode, r.Verdict)
	}
	ApplyMinCoverage(r, 0.6)
	if r.ExitCode != ExitConformant {
		t.Errorf("coverage above the minimum: exit %d, want 0", r.ExitCode)
	}
	ApplyMinCoverage(r, 0.625)
	if r.ExitCode != ExitConformant {
		t.Errorf("coverage equal to the minimum: exit %d, want 0", r.ExitCode)
	}
	// Stale baseline (4) beats low coverage (5).
	r = sampleReport(t)
	b = NewBaselineFromReport(r, "x")
	r.Models[0].Divergences, r.Models[1].Divergences = nil, nil
	Apply(r, b, "")
	ApplyMinCoverage(r, 0.99)
	if r.ExitCode != ExitKnownGone {
		t.Errorf("gone + low coverage: exit %d, want 4", r.ExitCode)
	}
	// A model without coverage counts as 0%.
	r = &Report{Models: []Model{{Name: "vdi"}}}
	ApplyMinCoverage(r, 0.1)
	if r.ExitCode != ExitLowCoverage {
		t.Errorf("no coverage: exit %d, want 5", r.ExitCode)
	}
	if ExitUsage != 2 {
		t.Errorf("ExitUsage = %d", ExitUsage)
	}
}

func TestReadBaselineRejects(t *testing.T) {
	dir := t.TempDir()
	dev := `{"model":"vdi","clause":"vdi/client-table/Active/GetCommand","kind":"divergence","expected":["NOERROR"],"observed":"VD_E_TIMEOUT","reason":"vendor bug 12"}`
	cases := []struct {
		name, content, want string
	}{
		{"ok", `{"schema":"specgate/baseline","schemaVersion":1,"deviations":[` + dev + `]}`, ""},
		{"empty-ok", `{"schema":"specgate/baseline","schemaVersion":1,"deviations":[]}`, ""},
		{"newer", `{"schema":"specgate/baseline","schemaVersion":2,"deviations":[]}`, "newer specgate: schemaVersion 2"},
		{"schema", `{"schema":"specgate/report","schemaVersion":1,"deviations":[]}`, `schema is "specgate/report"`},
		{"unknown-top", `{"schema":"specgate/baseline","schemaVersion":1,"deviations":[],"extra":1}`, `unknown field "extra"`},
		{"unknown-dev", `{"schema":"specgate/baseline","schemaVersion":1,"deviations":[{"model":"vdi","clause":"c","kind":"hang","observed":"x","reason":"r","step":3}]}`, `unknown field "step"`},
		{"no-reason", `{"schema":"specgate/baseline","schemaVersion":1,"deviations":[{"model":"vdi","clause":"c","kind":"hang","observed":"x"}]}`, "deviation 1 (vdi c): reason is empty"},
		{"blank-reason", `{"schema":"specgate/baseline","schemaVersion":1,"deviations":[{"model":"vdi","clause":"c","kind":"hang","observed":"x","reason":"  "}]}`, "reason is empty"},
		{"kind", `{"schema":"specgate/baseline","schemaVersion":1,"deviations":[{"model":"vdi","clause":"c","kind":"oops","reason":"r"}]}`, `unknown kind "oops"`},
		{"model", `{"schema":"specgate/baseline","schemaVersion":1,"deviations":[{"clause":"c","kind":"hang","reason":"r"}]}`, "deviation 1: model is empty"},
		{"clause", `{"schema":"specgate/baseline","schemaVersion":1,"deviations":[{"model":"vdi","kind":"divergence","reason":"r"}]}`, "clause is empty"},
		{"transport-any-clause", `{"schema":"specgate/baseline","schemaVersion":1,"deviations":[{"model":"vdi","kind":"hang","reason":"r"}]}`, ""},
		{"dup", `{"schema":"specgate/baseline","schemaVersion":1,"deviations":[` + dev + `,` + dev + `]}`, "deviation 2 (vdi vdi/client-table/Active/GetCommand): same deviation as deviation 1"},
		{"missing-list", `{"schema":"specgate/baseline","schemaVersion":1}`, `"deviations" is missing`},
		{"trailing", `{"schema":"specgate/baseline","schemaVersion":1,"deviations":[]} []`, "after top-level value"},
		{"json", `{"schema":"specgate/baseline",`, "invalid JSON"},
	}
	for _, c := range cases {
		p := filepath.Join(dir, c.name+".json")
		if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := ReadBaseline(p)
		if c.want == "" {
			if err != nil || b == nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error is not one line naming the file: %q", c.name, err)
		}
	}
}

func TestBaselineWrite(t *testing.T) {
	r := sampleReport(t)
	// Duplicates across the report collapse to one deviation.
	r.Models[0].Divergences = append(r.Models[0].Divergences, vdiDivergence(99))
	b := NewBaselineFromReport(r, "")
	if len(b.Deviations) != 2 {
		t.Fatalf("%d deviations, want 2", len(b.Deviations))
	}
	if b.Deviations[0].Model != "ipam" || strings.Join(b.Deviations[1].Expected, ",") != "NOERROR,VD_E_CLOSE" {
		t.Errorf("deviations not sorted or expected not a sorted set: %+v", b.Deviations)
	}
	path := filepath.Join(t.TempDir(), "b.json")
	if err := b.Write(path); err == nil || !strings.Contains(err.Error(), "reason is empty") {
		t.Errorf("writing a baseline without reasons: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("invalid baseline was written")
	}
	for i := range b.Deviations {
		b.Deviations[i].Reason = "vendor ticket 7"
	}
	if err := b.Write(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "{\n  \"schema\": \"specgate/baseline\",\n  \"schemaVersion\": 1,\n  \"deviations\": [") {
		t.Errorf("unexpected file:\n%s", data)
	}
	got, err := ReadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Deviations) != 2 || got.Deviations[1].Signature() != SignatureOf("vdi", r.Models[0].Divergences[0].Divergence) {
		t.Errorf("round trip: %+v", got.Deviations)
	}
	empty := NewBaselineFromReport(&Report{}, "x")
	if err := empty.Write(path); err != nil {
		t.Errorf("empty baseline: %v", err)
	}
	if got, err := ReadBaseline(path); err != nil || len(got.Deviations) != 0 {
		t.Errorf("empty baseline round trip: %v %+v", err, got)
	}
}
