package models

import (
	"fmt"
	"slices"
)

// Row is one cell outcome of a state table: in State, Op may answer
// Status and lead to Next, as Clause says. A row with Ambiguity set
// belongs to one side (Side) of that ambiguity and applies only when the
// run takes that side (or both).
type Row struct {
	State, Op       string
	Status, Next    string
	Clause          string
	Ambiguity, Side string
}

// Violation is what Step returns when an observation is not allowed: the
// clause it breaks and what was allowed.
type Violation struct {
	Clause   string
	Expected []string
	Observed string
}

// Table is a state machine given entirely as data: its rows, clauses and
// ambiguities. It implements the one contract every model follows, in the
// shape of porcupine's Step: Allowed(state, action) for generation and
// for rendering expectations, and Step(state, action, observation), a pure
// function to the next state or a violation with its clause. A new state
// machine of this kind is one package holding one Table.
type Table struct {
	Info Info
	// Initial is the state a session starts in.
	Initial string
	// Rows lists every allowed outcome.
	Rows []Row
	// Ops lists the operations, in the order cells are listed; each
	// becomes the action {Op, Idx: -1}.
	Ops []string
	// Success is the status of a call that succeeds (the generator's
	// "legal" calls).
	Success string
}

// Choices is the side a table run takes on each ambiguity: Resolve's
// result for the table's ambiguities.
type Choices []int

// Resolve returns the choices profile (a profile name or a choices
// string) makes on t's ambiguities.
func (t *Table) Resolve(profile string) (Choices, error) {
	return Resolve(profile, t.Info.Profiles, t.Info.Ambiguities)
}

// Allowed lists the rows that apply to op in state under choices; none
// means the model cannot judge the call there (it is not sent).
func (t *Table) Allowed(c Choices, state string, a Action) []Row {
	var out []Row
	for _, r := range t.Rows {
		if r.State == state && r.Op == a.Op && t.applies(c, r) {
			out = append(out, r)
		}
	}
	return out
}

func (t *Table) applies(c Choices, r Row) bool {
	if r.Ambiguity == "" {
		return true
	}
	k := slices.IndexFunc(t.Info.Ambiguities, func(a Ambiguity) bool { return a.ID == r.Ambiguity })
	if k < 0 {
		return false
	}
	return c[k] == Either || t.Info.Ambiguities[k].Sides[c[k]].Name == r.Side
}

// Step judges observed, the status the SUT answered to a in state: the
// row it selects, or a violation filed under the clause of the first
// allowed row.
func (t *Table) Step(c Choices, state string, a Action, observed string) (Row, *Violation) {
	rows := t.Allowed(c, state, a)
	for _, r := range rows {
		if r.Status == observed {
			return r, nil
		}
	}
	v := &Violation{Observed: observed}
	for _, r := range rows {
		v.Expected = append(v.Expected, r.Status+" -> "+r.Next)
	}
	if len(rows) > 0 {
		v.Clause = rows[0].Clause
	}
	return Row{}, v
}

// Alphabet is one action per operation.
func (t *Table) Alphabet() []Action {
	out := make([]Action, len(t.Ops))
	for i, op := range t.Ops {
		out[i] = Action{Op: op, Idx: -1}
	}
	return out
}

// Cell names the cell of a in state: "<state>/<op>".
func (t *Table) Cell(state string, a Action) string { return state + "/" + a.Op }

// Check reports the first inconsistency of the table: a row naming an
// unknown state, operation, clause or ambiguity side.
func (t *Table) Check() error {
	states := map[string]bool{t.Initial: true}
	for _, r := range t.Rows {
		states[r.State] = true
	}
	clauses := map[string]bool{}
	for _, c := range t.Info.Clauses {
		clauses[c.ID] = true
	}
	for _, r := range t.Rows {
		switch {
		case !states[r.Next]:
			return fmt.Errorf("row %s/%s leads to %q, which no row starts from", r.State, r.Op, r.Next)
		case !slices.Contains(t.Ops, r.Op):
			return fmt.Errorf("row %s/%s: unknown operation", r.State, r.Op)
		case !clauses[r.Clause]:
			return fmt.Errorf("row %s/%s: clause %q is not in Info.Clauses", r.State, r.Op, r.Clause)
		case r.Ambiguity != "" && !slices.ContainsFunc(t.Info.Ambiguities, func(a Ambiguity) bool {
			return a.ID == r.Ambiguity && slices.ContainsFunc(a.Sides, func(s AmbiguitySide) bool { return s.Name == r.Side })
		}):
			return fmt.Errorf("row %s/%s: no side %q of ambiguity %q", r.State, r.Op, r.Side, r.Ambiguity)
		}
	}
	return nil
}
