package vdi

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/specgate/specgate/models"
	"pgregory.net/rapid"
)

func act(op string, idx, arg int) models.Action { return models.Action{Op: op, Idx: idx, Arg: arg} }

var (
	aCreate1    = act(OpCreateEx, -1, 1)
	aServerOpen = act(OpServerOpen, -1, 0)
	aGetConfig  = act(OpGetConfiguration, -1, 0)
	aOpen0      = act(OpOpenDevice, 0, 0)
	aGetCmd0    = act(OpGetCommand, 0, 0)
	aSend0      = act(OpServerSendCommand, 0, 0)
	aSrvClose0  = act(OpServerCloseDevice, 0, 0)
	aAbort      = act(OpSignalAbort, -1, 0)
)

// pathTo is the shortest path into each state with a one-device set.
var pathTo = map[State][]models.Action{
	DNE:                nil,
	Configurable:       {aCreate1, aServerOpen},
	Initializing:       {aCreate1, aServerOpen, aGetConfig},
	Active:             {aCreate1, aServerOpen, aGetConfig, aOpen0},
	NormallyTerminated: {aCreate1, aServerOpen, aGetConfig, aOpen0, aSrvClose0, aGetCmd0},
	Abort:              {aCreate1, aAbort},
}

var fnAction = map[Fn]models.Action{
	FnCreate:           aCreate1,
	FnGetConfiguration: aGetConfig,
	FnOpenDevice:       aOpen0,
	FnGetCommand:       aGetCmd0,
	FnCompleteCommand:  act(OpCompleteCommand, 0, 0),
	FnSignalAbort:      aAbort,
	FnClose:            act(OpClose, -1, 0),
}

// parseCell turns "NOERROR or VD_E_CLOSE -> NormallyTerminated" into
// outcome strings "HR -> State", with the current state when no arrow.
func parseCell(cell string, cur State) []string {
	next := cur.String()
	codes := cell
	if i := strings.Index(cell, " -> "); i >= 0 {
		codes, next = cell[:i], cell[i+4:]
	}
	parts := strings.Split(codes, " or ")
	var out []string
	for i, p := range parts {
		n := cur.String()
		if i == len(parts)-1 {
			n = next
		}
		out = append(out, strings.TrimSpace(p)+" -> "+n)
	}
	sort.Strings(out)
	return out
}

func reach(t *testing.T, p Profile, s State) *Model {
	t.Helper()
	m := New(p)
	for _, a := range pathTo[s] {
		e := m.Expect(a)
		if e.N == 0 || e.Out[0].HR != NOERROR && a.Op != OpGetCommand {
			t.Fatalf("path to %v: %v not legal (%v)", s, a, e.Allowed())
		}
		m.Assume(a)
	}
	if m.State != s {
		t.Fatalf("path to %v ends in %v", s, m.State)
	}
	return m
}

func outcomes(e Expect) []string {
	var out []string
	for _, o := range e.Allowed() {
		out = append(out, o.String())
	}
	sort.Strings(out)
	return out
}

// TestSeedTableCells checks all 42 cells of the seed table against the
// strict profile, each with its status, next state and clause id.
func TestSeedTableCells(t *testing.T) {
	n := 0
	for _, f := range Fns {
		for _, s := range States {
			n++
			t.Run(CellID(s, f), func(t *testing.T) {
				want := parseCell(SeedTable[f][s], s)
				var got []string
				if s == Active && f == FnGetCommand {
					// The cell has two outcomes; each is reached in its own situation.
					m := reach(t, Strict, s)
					m.Assume(aSend0)
					e1 := m.Expect(aGetCmd0)
					m2 := reach(t, Strict, s)
					m2.Assume(aSrvClose0)
					e2 := m2.Expect(aGetCmd0)
					got = append(outcomes(e1), outcomes(e2)...)
					sort.Strings(got)
					for _, e := range []Expect{e1, e2} {
						if e.Clause() != CellID(s, f) {
							t.Errorf("clause = %q, want %q", e.Clause(), CellID(s, f))
						}
					}
				} else {
					e := reach(t, Strict, s).Expect(fnAction[f])
					got = outcomes(e)
					if e.Clause() != CellID(s, f) {
						t.Errorf("clause = %q, want %q", e.Clause(), CellID(s, f))
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("cell %q: model allows %v, seed table says %v", SeedTable[f][s], got, want)
				}
			})
		}
	}
	if n != 42 {
		t.Fatalf("checked %d cells, want 42", n)
	}
}

// TestDocumentedDiffersOnlyAtAmbiguities checks that each documented-profile
// deviation from the table cites a clause outside the table.
func TestDocumentedDiffersOnlyAtAmbiguities(t *testing.T) {
	for _, f := range Fns {
		for _, s := range States {
			ms, md := reach(t, Strict, s), reach(t, Documented, s)
			es, ed := ms.Expect(fnAction[f]), md.Expect(fnAction[f])
			if fmt.Sprint(outcomes(es)) == fmt.Sprint(outcomes(ed)) {
				continue
			}
			if strings.HasPrefix(ed.Clause(), "vdi/client-table/") {
				t.Errorf("%v: documented differs from strict (%v vs %v) but cites the table", CellID(s, f), outcomes(ed), outcomes(es))
			}
		}
	}
}

func TestMultiDeviceNormalTermination(t *testing.T) {
	m := New(Documented)
	for _, a := range []models.Action{act(OpCreateEx, -1, 2), aServerOpen, aGetConfig, aOpen0, act(OpOpenDevice, 1, 0),
		aSrvClose0, act(OpServerCloseDevice, 1, 0)} {
		m.Assume(a)
	}
	e := m.Expect(aGetCmd0)
	if got := outcomes(e); fmt.Sprint(got) != "[VD_E_CLOSE -> Active]" {
		t.Fatalf("first device's VD_E_CLOSE: %v, want Active", got)
	}
	m.Assume(aGetCmd0)
	e = m.Expect(act(OpGetCommand, 1, 0))
	if got := outcomes(e); fmt.Sprint(got) != "[VD_E_CLOSE -> NormallyTerminated]" {
		t.Fatalf("last device's VD_E_CLOSE: %v, want NormallyTerminated", got)
	}
}

func TestAmbiguitiesCiteBothSides(t *testing.T) {
	inf := Info()
	ids := map[string]bool{}
	for _, c := range inf.Clauses {
		ids[c.ID] = true
	}
	for _, a := range inf.Ambiguities {
		if len(a.Sides) < 2 || a.Choice[models.ProfileStrict] == "" || a.Choice[models.ProfileDocumented] == "" {
			t.Errorf("%s: needs two sides and a choice per profile", a.ID)
		}
	}
	if len(inf.Clauses) < 42 {
		t.Fatalf("only %d clauses", len(inf.Clauses))
	}
}

func TestHRWireForm(t *testing.T) {
	if VD_E_PROTOCOL.Hex() != "0x8077000C" {
		t.Fatalf("VD_E_PROTOCOL = %s", VD_E_PROTOCOL.Hex())
	}
	for h := range hrNames {
		got, err := ParseHR(h.Hex())
		if err != nil || got != h {
			t.Fatalf("ParseHR(%s) = %v, %v", h.Hex(), got, err)
		}
	}
	for _, bad := range []string{"", "0x", "0x123456789", "12", "0xZZ"} {
		if _, err := ParseHR(bad); err == nil {
			t.Errorf("ParseHR(%q) accepted", bad)
		}
	}
}

// TestModelProperties walks random sequences and checks invariants that
// hold in every profile.
func TestModelProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := Profile(rapid.IntRange(0, 1).Draw(t, "profile"))
		m := New(p)
		for i := 0; i < 60; i++ {
			a := rapid.SampledFrom(Alphabet).Draw(t, "a")
			e := m.Expect(a)
			seen := map[HR]bool{}
			for _, o := range e.Allowed() {
				if seen[o.HR] {
					t.Fatalf("%v in %v: duplicate status %v", a, m.State, o.HR)
				}
				seen[o.HR] = true
				if o.Clause == "" {
					t.Fatalf("%v in %v: outcome without clause", a, m.State)
				}
			}
			m.Assume(a)
			if m.State == DNE && m.N != 0 {
				t.Fatalf("DNE with %d devices", m.N)
			}
			if m.State != DNE && m.N == 0 {
				t.Fatalf("%v without devices", m.State)
			}
			if m.State == NormallyTerminated && m.stillOpen() != 0 {
				t.Fatalf("NormallyTerminated with %d devices still open", m.stillOpen())
			}
		}
	})
}
