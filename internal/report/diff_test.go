package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/specgate/specgate/internal/coverage"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/models"
)

func diffModel(name string, cells map[string]int, divs ...Divergence) Model {
	return Model{Name: name, Checks: 10, Steps: 100,
		Coverage:    &coverage.Coverage{Model: name, Cells: cells, Clauses: map[string]int{}},
		Divergences: divs}
}

func diffDivergence(sig, cell, class string, known bool, n int) Divergence {
	return Divergence{Divergence: engine.Divergence{Clause: "c/" + cell, Cell: cell, Observed: "X"},
		Signature: sig, Class: class, Known: known, Reproduced: 3, Verify: 3,
		Sequence: make([]models.Action, n)}
}

func TestCompareClassifiesEveryChange(t *testing.T) {
	old := &Report{Models: []Model{
		diffModel("vdi", map[string]int{"A/x": 5, "A/y": 2, "B/x": 0},
			diffDivergence("s-fixed", "A/x", "confirmed", false, 3),
			diffDivergence("s-same", "A/x", "confirmed", false, 2),
			diffDivergence("s-unlisted", "A/y", "confirmed", true, 2),
			diffDivergence("s-shorter", "A/y", "confirmed", false, 5)),
		diffModel("gone", map[string]int{}),
	}}
	cur := &Report{Models: []Model{
		diffModel("vdi", map[string]int{"A/x": 1, "A/y": 0, "B/x": 4},
			diffDivergence("s-same", "A/x", "confirmed", false, 2),
			diffDivergence("s-unlisted", "A/y", "confirmed", false, 2),
			diffDivergence("s-shorter", "A/y", "flaky", false, 4),
			diffDivergence("s-new-known", "B/x", "confirmed", true, 1)),
	}}
	d := Compare(old, cur, "old.json", "new.json")
	if len(d.Models) != 2 || d.Models[0].Name != "gone" || d.Models[0].Missing != "new" {
		t.Fatalf("models = %+v, want gone (missing in new) then vdi", d.Models)
	}
	m := d.Models[1]
	if len(m.New) != 1 || m.New[0].Signature != "s-new-known" || !m.New[0].Known {
		t.Errorf("new = %+v", m.New)
	}
	if len(m.Fixed) != 1 || m.Fixed[0].Signature != "s-fixed" {
		t.Errorf("fixed = %+v", m.Fixed)
	}
	if m.Unchanged != 1 || len(m.Changed) != 2 {
		t.Fatalf("unchanged %d, changed %+v", m.Unchanged, m.Changed)
	}
	got := map[string]string{}
	for _, c := range m.Changed {
		got[c.Signature] = fieldsLine(c.Fields)
	}
	if got["s-unlisted"] != "known true -> false" || got["s-shorter"] != "class confirmed -> flaky; length 5 -> 4" {
		t.Errorf("changed fields = %v", got)
	}
	// A/y has a divergence in the new run: it is not reported as lost.
	if len(m.Cells.Lost) != 0 || strings.Join(m.Cells.Gained, ",") != "B/x" {
		t.Errorf("cells = %+v, want B/x gained and nothing lost", m.Cells)
	}
	want := []string{
		"gone: model run before, missing now",
		"vdi: s-unlisted no longer listed in the baseline",
	}
	if strings.Join(d.Reasons, "|") != strings.Join(want, "|") || !d.Worse {
		t.Errorf("reasons = %q, want %q (a new but known divergence is not worse)", d.Reasons, want)
	}
	var b bytes.Buffer
	WriteDiffText(&b, d)
	for _, line := range []string{"  - fixed    s-fixed", "  + new      s-new-known  (known, confirmed, 1 steps)", "verdict: worse (2)"} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("text lacks %q:\n%s", line, b.String())
		}
	}
}

func TestCompareCoverageLost(t *testing.T) {
	old := &Report{Models: []Model{diffModel("vdi", map[string]int{"A/x": 5, "B/x": 0})}}
	cur := &Report{Models: []Model{diffModel("vdi", map[string]int{"A/x": 0, "B/x": 1})}}
	d := Compare(old, cur, "o", "n")
	m := d.Models[0]
	if strings.Join(m.Cells.Lost, ",") != "A/x" || strings.Join(m.Cells.Gained, ",") != "B/x" {
		t.Fatalf("cells = %+v", m.Cells)
	}
	if !d.Worse || d.Reasons[0] != "vdi: cell A/x no longer reached" {
		t.Fatalf("reasons = %q", d.Reasons)
	}
	if Compare(cur, cur, "n", "n").Worse {
		t.Fatal("a report compared with itself is worse")
	}
}
