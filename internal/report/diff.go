package report

import (
	"fmt"
	"sort"
)

// Diff is what changed between two runs' reports: divergences that are new,
// fixed or changed (matched by signature), coverage gained and lost per cell
// and per clause, and the checks and steps of each model. It is what a
// nightly gate publishes as "since last night".
type Diff struct {
	Old    DiffRun     `json:"old"`
	New    DiffRun     `json:"new"`
	Models []ModelDiff `json:"models"`
	// Worse is set when anything got worse: a divergence that is new and
	// not listed in the new run's baseline, a divergence that was known and
	// is no longer listed, a cell or clause reached before and not now, or a
	// model that was run before and is missing now.
	Worse bool `json:"worse"`
	// Reasons lists, one line each, why Worse is set.
	Reasons []string `json:"reasons,omitempty"`
}

// DiffRun is the identity of one side of a diff.
type DiffRun struct {
	File     string `json:"file"`
	Version  string `json:"specgateVersion"`
	Target   string `json:"target"`
	Seed     uint64 `json:"seed"`
	Verdict  string `json:"verdict"`
	ExitCode int    `json:"exitCode"`
}

// ModelDiff is the difference for one model.
type ModelDiff struct {
	Name string `json:"name"`
	// Missing is "old" or "new" when the model is only in one report.
	Missing   string         `json:"missing,omitempty"`
	Checks    [2]int         `json:"checks"` // old, new
	Steps     [2]int         `json:"steps"`
	CellRatio [2]float64     `json:"cellRatio"`
	New       []DiffDiv      `json:"new"`
	Fixed     []DiffDiv      `json:"fixed"`
	Changed   []DiffChange   `json:"changed"`
	Unchanged int            `json:"unchanged"`
	Cells     CoverageChange `json:"cells"`
	Clauses   CoverageChange `json:"clauses"`
}

// DiffDiv names one divergence in a diff.
type DiffDiv struct {
	Signature string `json:"signature"`
	Clause    string `json:"clause"`
	Cell      string `json:"cell,omitempty"`
	Observed  string `json:"observed"`
	Class     string `json:"class,omitempty"`
	Known     bool   `json:"known,omitempty"`
	Length    int    `json:"length"`
	File      string `json:"file,omitempty"`
	Replay    string `json:"replay,omitempty"`
}

// DiffChange is a divergence present in both runs whose details changed.
type DiffChange struct {
	DiffDiv
	Fields []FieldChange `json:"fields"`
}

// FieldChange is one changed detail of a divergence.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// CoverageChange lists the cells (or clauses) reached in only one run.
type CoverageChange struct {
	Gained []string `json:"gained"`
	Lost   []string `json:"lost"`
}

// Compare computes the diff from old to new.
func Compare(old, new *Report, oldFile, newFile string) *Diff {
	d := &Diff{Old: diffRun(old, oldFile), New: diffRun(new, newFile)}
	oldModels, newModels := modelsByName(old), modelsByName(new)
	for _, name := range unionKeys(oldModels, newModels) {
		md := compareModel(name, oldModels[name], newModels[name])
		d.Models = append(d.Models, md)
		d.Reasons = append(d.Reasons, worseReasons(md)...)
	}
	d.Worse = len(d.Reasons) > 0
	return d
}

func diffRun(r *Report, file string) DiffRun {
	return DiffRun{File: file, Version: r.Run.Version, Target: r.Run.Target, Seed: r.Run.Seed,
		Verdict: r.Verdict, ExitCode: r.ExitCode}
}

func modelsByName(r *Report) map[string]*Model {
	m := map[string]*Model{}
	for i := range r.Models {
		m[r.Models[i].Name] = &r.Models[i]
	}
	return m
}

func unionKeys(a, b map[string]*Model) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]*Model{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func compareModel(name string, o, n *Model) ModelDiff {
	md := ModelDiff{Name: name}
	switch {
	case o == nil:
		md.Missing = "old"
		o = &Model{}
	case n == nil:
		md.Missing = "new"
		n = &Model{}
	}
	md.Checks = [2]int{o.Checks, n.Checks}
	md.Steps = [2]int{o.Steps, n.Steps}
	md.CellRatio = [2]float64{cellRatio(o), cellRatio(n)}
	compareDivergences(&md, o.Divergences, n.Divergences)
	if md.Missing == "" {
		md.Cells = compareCounts(cellCounts(o), cellCounts(n))
		md.Clauses = compareCounts(clauseCounts(o), clauseCounts(n))
	}
	return md
}

func compareDivergences(md *ModelDiff, old, new []Divergence) {
	oldBy := map[string]*Divergence{}
	for i := range old {
		oldBy[old[i].Signature] = &old[i]
	}
	newSeen := map[string]bool{}
	for i := range new {
		nd := &new[i]
		newSeen[nd.Signature] = true
		od, ok := oldBy[nd.Signature]
		if !ok {
			md.New = append(md.New, diffDiv(nd))
			continue
		}
		if fields := changedFields(od, nd); len(fields) > 0 {
			md.Changed = append(md.Changed, DiffChange{DiffDiv: diffDiv(nd), Fields: fields})
		} else {
			md.Unchanged++
		}
	}
	for i := range old {
		if !newSeen[old[i].Signature] {
			md.Fixed = append(md.Fixed, diffDiv(&old[i]))
		}
	}
}

func diffDiv(d *Divergence) DiffDiv {
	return DiffDiv{Signature: d.Signature, Clause: d.Clause, Cell: d.Cell, Observed: d.Observed,
		Class: d.Class, Known: d.Known, Length: len(d.Sequence), File: d.File, Replay: d.Replay}
}

// changedFields lists the details of one signature that differ between two
// runs: its verification class, reproduction, known status and the length
// of its minimal sequence.
func changedFields(o, n *Divergence) []FieldChange {
	var out []FieldChange
	add := func(field, a, b string) {
		if a != b {
			out = append(out, FieldChange{Field: field, Old: a, New: b})
		}
	}
	add("class", o.Class, n.Class)
	add("reproduced", fmt.Sprintf("%d/%d", o.Reproduced, o.Verify), fmt.Sprintf("%d/%d", n.Reproduced, n.Verify))
	add("known", fmt.Sprint(o.Known), fmt.Sprint(n.Known))
	add("length", fmt.Sprint(len(o.Sequence)), fmt.Sprint(len(n.Sequence)))
	return out
}

// cellCounts is the model's cell coverage with the cells where it diverged
// or was fenced counted as reached: a call that broke is reported as a
// divergence, not again as coverage lost.
func cellCounts(m *Model) map[string]int {
	out := map[string]int{}
	if m.Coverage != nil {
		for k, v := range m.Coverage.Cells {
			out[k] = v
		}
	}
	for _, d := range m.Divergences {
		if d.Cell != "" {
			out[d.Cell]++
		}
	}
	for _, f := range m.Fenced {
		out[f.Cell]++
	}
	return out
}

// clauseCounts is the model's clause coverage with every clause a
// divergence was reported under counted as reached.
func clauseCounts(m *Model) map[string]int {
	out := map[string]int{}
	if m.Coverage != nil {
		for k, v := range m.Coverage.Clauses {
			out[k] = v
		}
	}
	for _, d := range m.Divergences {
		if d.Clause != "" {
			out[d.Clause]++
		}
	}
	return out
}

// compareCounts lists the names reached (count > 0) in only one of the two.
func compareCounts(old, new map[string]int) CoverageChange {
	var c CoverageChange
	for k, v := range new {
		if v > 0 && old[k] == 0 {
			c.Gained = append(c.Gained, k)
		}
	}
	for k, v := range old {
		if v > 0 && new[k] == 0 {
			c.Lost = append(c.Lost, k)
		}
	}
	sort.Strings(c.Gained)
	sort.Strings(c.Lost)
	return c
}

// worseReasons says, one line each, what got worse in one model.
func worseReasons(md ModelDiff) []string {
	var out []string
	if md.Missing == "new" {
		out = append(out, fmt.Sprintf("%s: model run before, missing now", md.Name))
	}
	for _, d := range md.New {
		if !d.Known {
			out = append(out, fmt.Sprintf("%s: new divergence %s", md.Name, d.Signature))
		}
	}
	for _, c := range md.Changed {
		for _, f := range c.Fields {
			if f.Field == "known" && f.Old == "true" {
				out = append(out, fmt.Sprintf("%s: %s no longer listed in the baseline", md.Name, c.Signature))
			}
		}
	}
	for _, x := range md.Cells.Lost {
		out = append(out, fmt.Sprintf("%s: cell %s no longer reached", md.Name, x))
	}
	for _, x := range md.Clauses.Lost {
		out = append(out, fmt.Sprintf("%s: clause %s no longer reached", md.Name, x))
	}
	return out
}
