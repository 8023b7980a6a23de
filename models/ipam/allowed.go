package ipam

import "github.com/specgate/specgate/models"

// Allowed lists what the model allows of a in the current state, as a
// divergence prints it (Div.Expected): the answers of an Initialize or a
// query in each possible world, the callback sequences of a Start, the
// control endpoint's 204. It is nil when a cannot be judged now. The
// generated expected-behaviour pages (docs/expected) read it.
func (m *Model) Allowed(a models.Action) []string {
	if !m.Expect(a).Judgeable {
		return nil
	}
	var exp []string
	switch a.Op {
	case OpInitSchema, OpInitProv:
		m.W.Each(func(w World) { exp = appendUnique(exp, initExpected(w, family(a.Op))) })
	case OpIsRequired, OpIsInProgress, OpIsConfigured:
		m.W.Each(func(w World) { exp = appendUnique(exp, queryExpected(w, a.Op)) })
	case OpStartSchema, OpStartProv:
		m.W.Each(func(w World) {
			for _, b := range m.startBranches(w, family(a.Op)) {
				exp = appendUnique(exp, b.describe(m, family(a.Op)))
			}
		})
	default:
		exp = []string{"204 from the control endpoint [" + ClControlADM + "]"}
	}
	return exp
}

// initExpected is what an Initialize of family fam answers in world w.
func initExpected(w World, fam Family) string {
	if f, cl := initFault(w, fam); f {
		return "SOAP fault [" + cl + "]"
	}
	return "response"
}

// queryExpected is what query op answers in world w.
func queryExpected(w World, op string) string {
	f, v, cl := queryResult(w, op)
	if f {
		return "SOAP fault [" + cl + "]"
	}
	return boolStr(v) + " [" + cl + "]"
}

// Split returns one copy of m per world it holds possible, each knowing
// its world exactly (nil when there is only one): what the server may turn
// out to be. The generated expectations explore every world this way.
func (m *Model) Split() []*Model {
	var out []*Model
	m.W.Each(func(w World) {
		n := *m
		n.Exercised = nil
		n.W = one(w)
		out = append(out, &n)
	})
	if len(out) < 2 {
		return nil
	}
	return out
}
