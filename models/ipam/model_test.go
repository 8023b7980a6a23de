package ipam

import (
	"strings"
	"testing"

	"github.com/specgate/specgate/models"
	"pgregory.net/rapid"
)

func a(op string, idx, arg int) models.Action { return models.Action{Op: op, Idx: idx, Arg: arg} }

func cb(f Family, k CBKind, exc bool) Callback {
	return Callback{Family: f, Kind: k, CallbackPrefix: true, Exception: exc}
}

var (
	start = cb(Schema, CBStart, false)
	chk   = cb(Schema, CBCheckpoint, false)
	ok    = cb(Schema, CBComplete, false)
	fail  = cb(Schema, CBComplete, true)
)

type step struct {
	act     models.Action
	obs     Obs
	wantDiv string // clause of the expected divergence, "" for none
}

func cbs(k int, c ...Callback) Obs {
	var o Obs
	o.CB[k] = c
	return o
}

func run(t *testing.T, m *Model, steps []step) {
	t.Helper()
	for i, s := range steps {
		if e := m.Expect(s.act); !e.Judgeable {
			t.Fatalf("step %d %v: not judgeable", i+1, s.act)
		}
		o := s.obs
		d := m.Observe(s.act, &o)
		switch {
		case s.wantDiv == "" && d != nil:
			t.Fatalf("step %d %v: unexpected divergence %s: expected %v observed %s", i+1, s.act, d.Clause, d.Expected, d.Observed)
		case s.wantDiv != "" && d == nil:
			t.Fatalf("step %d %v: divergence %s not reported", i+1, s.act, s.wantDiv)
		case s.wantDiv != "" && d.Clause != s.wantDiv:
			t.Fatalf("step %d %v: clause %s, want %s (%v / %s)", i+1, s.act, d.Clause, s.wantDiv, d.Expected, d.Observed)
		}
		if d != nil {
			return
		}
	}
}

func query(op string, v bool) step { return step{act: a(op, -1, 0), obs: Obs{Value: v}} }

func TestConversionLifecycleWithControl(t *testing.T) {
	for _, p := range []Profile{Strict, Documented} {
		m := New(p, true)
		run(t, m, []step{
			query(OpIsRequired, true),
			{act: a(OpInitSchema, 0, 0)},
			{act: a(OpStartSchema, 0, 0), obs: cbs(0, start, chk, chk, ok)},
			query(OpIsRequired, false),
			query(OpIsInProgress, false),
			// A conversion after a successful one fails as not required.
			{act: a(OpInitSchema, 1, 0)},
			{act: a(OpStartSchema, 1, 0), obs: cbs(1, start, fail)},
		})
	}
}

func TestRequiredNotClearedIsCaught(t *testing.T) {
	m := New(Documented, true)
	run(t, m, []step{
		{act: a(OpInitSchema, 0, 0)},
		{act: a(OpStartSchema, 0, 0), obs: cbs(0, start, ok)},
		// The query reads what step 5 failed to write: step 5 is blamed.
		{act: a(OpIsRequired, -1, 0), obs: Obs{Value: true}, wantDiv: ClSchemaStep5},
	})
}

func TestE5InProgressAfterNotRequired(t *testing.T) {
	for _, tc := range []struct {
		p    Profile
		want bool
	}{{Strict, true}, {Documented, false}} {
		m := New(tc.p, true)
		run(t, m, []step{
			{act: a(OpCtlRequired, -1, 0)},
			{act: a(OpInitSchema, 0, 0)},
			{act: a(OpStartSchema, 0, 0), obs: cbs(0, start, fail)},
			query(OpIsInProgress, tc.want),
		})
		m = New(tc.p, true)
		run(t, m, []step{
			{act: a(OpCtlRequired, -1, 0)},
			{act: a(OpInitSchema, 0, 0)},
			{act: a(OpStartSchema, 0, 0), obs: cbs(0, start, fail)},
			{act: a(OpIsInProgress, -1, 0), obs: Obs{Value: !tc.want}, wantDiv: ClSchemaStep3}, // step 3 (IPAM-E5) wrote it
		})
	}
}

func TestE6E13CompleteWithoutStart(t *testing.T) {
	// Documented (figures): a rejection may skip the start notification.
	run(t, New(Documented, true), []step{
		{act: a(OpCtlRequired, -1, 0)},
		{act: a(OpInitSchema, 0, 0)},
		{act: a(OpStartSchema, 0, 0), obs: cbs(0, fail)},
	})
	// Strict (state table, 3.15.4.7 preamble): Complete needs a Start
	// first; the Start the server skipped is what breaks.
	run(t, New(Strict, true), []step{
		{act: a(OpCtlRequired, -1, 0)},
		{act: a(OpInitSchema, 0, 0)},
		{act: a(OpStartSchema, 0, 0), obs: cbs(0, fail), wantDiv: ClSchemaStart},
	})
}

func TestE3FaultResponseToOneWayStart(t *testing.T) {
	steps := func(want string) []step {
		return []step{
			{act: a(OpCtlRequired, -1, 0)},
			{act: a(OpInitSchema, 0, 0)},
			{act: a(OpStartSchema, 0, 0), obs: Obs{Fault: true}, wantDiv: want},
		}
	}
	run(t, New(Strict, true), steps(""))
	run(t, New(Documented, true), steps(ClSchemaFault))
}

func TestE16ActionPrefix(t *testing.T) {
	serverPrefix := start
	serverPrefix.CallbackPrefix = false
	run(t, New(Documented, true), []step{{act: a(OpInitSchema, 0, 0)}, {act: a(OpStartSchema, 0, 0), obs: cbs(0, serverPrefix, ok)}})
	run(t, New(Strict, true), []step{{act: a(OpInitSchema, 0, 0)}, {act: a(OpStartSchema, 0, 0), obs: cbs(0, serverPrefix, ok), wantDiv: ClSchemaAction}})
}

func TestE1ProvisionStartInConversion(t *testing.T) {
	provStart := cb(Provision, CBStart, false)
	run(t, New(Strict, true), []step{{act: a(OpInitSchema, 0, 0)}, {act: a(OpStartSchema, 0, 0), obs: cbs(0, provStart, ok)}})
	run(t, New(Documented, true), []step{{act: a(OpInitSchema, 0, 0)}, {act: a(OpStartSchema, 0, 0), obs: cbs(0, provStart, ok), wantDiv: ClSchemaAction}})
}

func TestCallbackMachine(t *testing.T) {
	for _, p := range []Profile{Strict, Documented} {
		run(t, New(p, true), []step{{act: a(OpInitSchema, 0, 0)}, {act: a(OpStartSchema, 0, 0), obs: cbs(0, start, ok, chk), wantDiv: ClSchemaCBDone}})
		run(t, New(p, true), []step{{act: a(OpInitSchema, 0, 0)}, {act: a(OpStartSchema, 0, 0), obs: cbs(0, start, ok, ok), wantDiv: ClSchemaCBDone}})
		run(t, New(p, true), []step{{act: a(OpInitSchema, 0, 0)}, {act: a(OpStartSchema, 0, 0), obs: cbs(0, chk, start, ok), wantDiv: ClSchemaCBInit}})
		run(t, New(p, true), []step{{act: a(OpInitSchema, 0, 0)}, {act: a(OpStartSchema, 0, 0), obs: cbs(0, start, start, ok), wantDiv: ClSchemaCBProg}})
		// A late duplicate Complete arriving during a later step is caught too.
		run(t, New(p, true), []step{{act: a(OpInitSchema, 0, 0)}, {act: a(OpStartSchema, 0, 0), obs: cbs(0, start, ok)},
			{act: a(OpIsConfigured, -1, 0), obs: func() Obs { o := cbs(0, ok); o.Value = true; return o }(), wantDiv: ClSchemaCBDone}})
	}
}

func TestQuiescence(t *testing.T) {
	o := cbs(0, start, chk)
	o.Silent[0] = true
	run(t, New(Documented, true), []step{{act: a(OpInitSchema, 0, 0)}, {act: a(OpStartSchema, 0, 0), obs: o, wantDiv: ClQuiescence}})
}

func TestSecondConversionWhileHeld(t *testing.T) {
	for _, p := range []Profile{Strict, Documented} {
		m := New(p, true)
		run(t, m, []step{
			{act: a(OpCtlHold, -1, 0)},
			{act: a(OpInitSchema, 0, 0)},
			{act: a(OpStartSchema, 0, 0), obs: cbs(0, start, chk)},
			query(OpIsInProgress, true),
			{act: a(OpInitSchema, 1, 0)},
			{act: a(OpStartSchema, 1, 0), obs: cbs(1, start, fail)},
			{act: a(OpCtlRelease, -1, 0), obs: cbs(0, ok)},
			query(OpIsInProgress, false),
			query(OpIsRequired, false),
		})
		// A server that accepts the second conversion is caught.
		m = New(p, true)
		run(t, m, []step{
			{act: a(OpCtlHold, -1, 0)},
			{act: a(OpInitSchema, 0, 0)},
			{act: a(OpStartSchema, 0, 0), obs: cbs(0, start)},
			{act: a(OpInitSchema, 1, 0)},
			{act: a(OpStartSchema, 1, 0), obs: cbs(1, start), wantDiv: ClSchemaStep1},
		})
	}
}

func TestGateWithoutControl(t *testing.T) {
	m := New(Documented, false)
	run(t, m, []step{
		query(OpIsConfigured, false),
		{act: a(OpInitSchema, 0, 0), obs: Obs{Fault: true}},
		{act: a(OpInitProv, 1, 0)},
		{act: a(OpStartProv, 1, 0), obs: cbs(1, cb(Provision, CBStart, false), cb(Provision, CBComplete, false))},
		query(OpIsConfigured, true),
	})
	// Without control both outcomes of an accepted conversion are allowed.
	for _, res := range []Callback{ok, fail} {
		m = New(Documented, false)
		run(t, m, []step{
			query(OpIsRequired, true),
			{act: a(OpInitSchema, 0, 0)},
			{act: a(OpStartSchema, 0, 0), obs: cbs(0, start, res)},
			query(OpIsRequired, res.Exception),
		})
	}
	// A query answer that no world allows is a divergence.
	m = New(Documented, false)
	run(t, m, []step{
		query(OpIsConfigured, false),
		{act: a(OpIsRequired, -1, 0), obs: Obs{Value: true}, wantDiv: ClGate3},
	})
}

func TestInfo(t *testing.T) {
	inf := Info()
	ids := map[string]bool{}
	for _, c := range inf.Clauses {
		if ids[c.ID] {
			t.Errorf("duplicate clause %s", c.ID)
		}
		ids[c.ID] = true
	}
	need := []string{"IPAM-E1", "IPAM-E3", "IPAM-E5", "IPAM-E6", "IPAM-E13", "IPAM-E16"}
	for _, id := range need {
		found := false
		for _, am := range inf.Ambiguities {
			if am.ID == id && len(am.Sides) == 2 && am.Choice["strict"] != "" && am.Choice["documented"] != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("ambiguity %s missing or incomplete", id)
		}
	}
}

// TestAssumeIsConsistent walks random sequences with Assume and checks the
// model never reaches an empty world set or an inconsistent session.
func TestAssumeIsConsistent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		control := rapid.Bool().Draw(t, "control")
		m := New(Profile(rapid.IntRange(0, 1).Draw(t, "p")), control)
		alpha := Alphabet(control)
		for i := 0; i < 50; i++ {
			act := rapid.SampledFrom(alpha).Draw(t, "a")
			if e := m.Expect(act); !e.Judgeable {
				continue
			}
			m.Assume(act)
			if m.W == 0 {
				t.Fatalf("no world left after %v", act)
			}
			for k, s := range m.S {
				if s.Phase == Held && !m.Hold && !strings.HasPrefix(act.Op, "ctl.") {
					t.Fatalf("slot %d held without hold", k)
				}
			}
		}
	})
}
