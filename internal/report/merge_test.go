package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/specgate/specgate/internal/coverage"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/ipam"
	"github.com/specgate/specgate/models/vdi"
)

// checkPart is what one check of a run contributes to its report.
type checkPart struct {
	model   int // index into partInfos
	check   int
	steps   int
	cells   []int // indexes into the model's cells, one per hit
	clauses []int // indexes into the model's clauses, one per hit
	div     int   // -1, or an index into partDivs
}

var partInfos = []models.Info{vdi.Info(), ipam.Info()}

// partDivs are the divergences checks can find; several checks find the
// same ones.
var partDivs = []func(check int) Divergence{
	vdiDivergence,
	ipamHang,
	func(check int) Divergence { d := vdiDivergence(check); d.Observed = "VD_E_ABORT"; return d },
	func(check int) Divergence {
		d := ipamHang(check)
		d.Kind, d.Observed = "malformed", "no Body element"
		d.Sequence = d.Sequence[:2]
		d.Steps = d.Steps[:2]
		d.Step = 1
		return d
	},
}

var partStart = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// buildFromParts builds the report of a run that made exactly the given
// checks (in check order), as a single run would: the first check to find
// a divergence reports it, later ones with the same signature are dropped.
func buildFromParts(parts []checkPart, shard string, wall float64) *Report {
	r := &Report{Schema: Schema, SchemaVersion: SchemaVersion,
		Run: Run{Version: "v1", Target: "embedded", Profile: "documented", Seed: 99, Shard: shard,
			Started: partStart, Finished: partStart.Add(time.Duration(wall * float64(time.Second))), WallTime: wall}}
	seen := map[string]bool{}
	for _, inf := range partInfos {
		var ids []string
		for _, c := range inf.Clauses {
			ids = append(ids, c.ID)
		}
		r.Models = append(r.Models, Model{Name: inf.Name, Title: inf.Title, Profile: "documented",
			Coverage: coverage.New(inf.Name, inf.Cells, ids), Clauses: inf.Clauses, Ambiguities: inf.Ambiguities})
	}
	for _, p := range parts {
		m := &r.Models[p.model]
		inf := partInfos[p.model]
		m.Checks++
		m.Steps += p.steps
		r.Run.Checks++
		r.Run.Steps += p.steps
		for _, c := range p.cells {
			m.Coverage.Cells[inf.Cells[c%len(inf.Cells)]]++
		}
		for _, c := range p.clauses {
			m.Coverage.Clauses[inf.Clauses[c%len(inf.Clauses)].ID]++
		}
		if p.div >= 0 {
			d := partDivs[p.div](p.check)
			if (d.Clause[:3] == "vdi") != (p.model == 0) {
				continue // a divergence of the other model
			}
			d.Signature = SignatureOf(m.Name, d.Divergence)
			if !seen[d.Signature] {
				seen[d.Signature] = true
				m.Divergences = append(m.Divergences, d)
			}
		}
	}
	Recompute(r)
	return r
}

func shardParts(parts []checkPart, n int) [][]checkPart {
	out := make([][]checkPart, n)
	for _, p := range parts {
		out[p.check%n] = append(out[p.check%n], p)
	}
	return out
}

func mustJSON(t interface{ Fatal(...any) }, r *Report) []byte {
	b, err := MarshalJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMergeHalvesEqualWhole(t *testing.T) {
	var parts []checkPart
	for i := 0; i < 40; i++ {
		p := checkPart{model: i % 2, check: i, steps: 10 + i%7, cells: []int{i, 3 * i, i * i}, clauses: []int{i, i + 5}, div: -1}
		switch i {
		case 5, 8, 13: // the same vdi divergence, found by checks of both shards
			p.model, p.div = 0, 0
		case 4, 11:
			p.model, p.div = 1, 1 // ipam hang: found in both shards
		case 30:
			p.model, p.div = 0, 2
		}
		parts = append(parts, p)
	}
	whole := buildFromParts(parts, "", 7)
	halves := shardParts(parts, 2)
	a := buildFromParts(halves[0], "1/2", 7)
	b := buildFromParts(halves[1], "2/2", 5)
	if len(a.Models[0].Divergences)+len(a.Models[1].Divergences) == 0 || len(b.Models[0].Divergences)+len(b.Models[1].Divergences) == 0 {
		t.Fatal("fixture: both halves should find divergences")
	}
	aJSON, bJSON := mustJSON(t, a), mustJSON(t, b)
	for _, order := range [][]*Report{{a, b}, {b, a}} {
		got, err := Merge(order)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := mustJSON(t, got), mustJSON(t, whole); !bytes.Equal(g, w) {
			t.Errorf("merged halves differ from the whole run:\n--- merged\n%s\n--- whole\n%s", g, w)
		}
	}
	got, _ := Merge([]*Report{a, b})
	if got.Run.Shard != "" || got.Run.WallTime != 7 || got.Run.Checks != 40 || got.ExitCode != ExitDivergence {
		t.Errorf("run %+v exit %d", got.Run, got.ExitCode)
	}
	if d := got.Models[0].Divergences[0]; d.Check != 5 {
		t.Errorf("kept the divergence of check %d, want the lowest (5)", d.Check)
	}
	if !bytes.Equal(aJSON, mustJSON(t, a)) || !bytes.Equal(bJSON, mustJSON(t, b)) {
		t.Errorf("Merge modified its inputs")
	}
}

// The same property over random runs and shard counts.
func TestMergeShardsProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 30).Draw(rt, "checks")
		var parts []checkPart
		for i := 0; i < n; i++ {
			parts = append(parts, checkPart{
				model:   rapid.IntRange(0, 1).Draw(rt, "model"),
				check:   i,
				steps:   rapid.IntRange(0, 50).Draw(rt, "steps"),
				cells:   rapid.SliceOfN(rapid.IntRange(0, 200), 0, 8).Draw(rt, "cells"),
				clauses: rapid.SliceOfN(rapid.IntRange(0, 200), 0, 4).Draw(rt, "clauses"),
				div:     rapid.IntRange(-1, len(partDivs)-1).Draw(rt, "div"),
			})
		}
		k := rapid.IntRange(1, 4).Draw(rt, "shards")
		var shards []*Report
		for i, sp := range shardParts(parts, k) {
			shards = append(shards, buildFromParts(sp, "x", float64(3+i)))
		}
		whole := buildFromParts(parts, "", float64(3+k-1))
		got, err := Merge(shards)
		if err != nil {
			rt.Fatal(err)
		}
		if g, w := mustJSON(rt, got), mustJSON(rt, whole); !bytes.Equal(g, w) {
			rt.Fatalf("merge of %d shards differs from the whole run:\n--- merged\n%s\n--- whole\n%s", k, g, w)
		}
	})
}

func TestMergeDropsBaselineAndKeepsPartial(t *testing.T) {
	a := sampleReport(t)
	Apply(a, NewBaselineFromReport(a, "x"), "b.json")
	b := sampleReport(t)
	b.Run.Partial = true
	ApplyMinCoverage(b, 0.5)
	got, err := Merge([]*Report{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if got.Baseline != nil || got.Models[0].Divergences[0].Known || !got.Run.Partial || got.Run.MinCoverage != 0.5 {
		t.Errorf("merged: baseline %v known %v partial %v min %v", got.Baseline, got.Models[0].Divergences[0].Known, got.Run.Partial, got.Run.MinCoverage)
	}
	if got.ExitCode != ExitDivergence {
		t.Errorf("exit %d, want 1 (the baseline is not applied)", got.ExitCode)
	}
	if !a.Models[0].Divergences[0].Known || a.Baseline == nil {
		t.Errorf("Merge modified its input")
	}
	if got.Models[0].Coverage.Clauses[vdiFailClause] != 34 || a.Models[0].Coverage.Clauses[vdiFailClause] != 17 {
		t.Errorf("coverage not summed: %d", got.Models[0].Coverage.Clauses[vdiFailClause])
	}
}

func TestMergeRejectsMismatch(t *testing.T) {
	cases := []struct {
		change func(r *Report)
		want   string
	}{
		{func(r *Report) { r.Run.Seed = 7 }, "report 2 has seed 7, report 1 has 42"},
		{func(r *Report) { r.Run.Target = "soap:http://x" }, `report 2 has target "soap:http://x"`},
		{func(r *Report) { r.Run.Profile = "strict" }, `report 2 has profile "strict", report 1 has "documented"`},
		{func(r *Report) { r.Run.Version = "v2" }, `report 2 was written by specgate "v2"`},
		{func(r *Report) { r.SchemaVersion = 1 }, "report 2 has schemaVersion 1, report 1 has 2"},
		{func(r *Report) { r.Schema = "other" }, `report 2 has schema "other"`},
		{func(r *Report) { r.Models[0].Profile = "strict" }, `model vdi with profile "strict"`},
	}
	for _, c := range cases {
		b := sampleReport(t)
		c.change(b)
		_, err := Merge([]*Report{sampleReport(t), b})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want it to contain %q", err, c.want)
		}
	}
	if _, err := Merge(nil); err == nil {
		t.Errorf("merging nothing succeeded")
	}
	if _, err := Merge([]*Report{sampleReport(t), nil}); err == nil {
		t.Errorf("merging nil succeeded")
	}
}
