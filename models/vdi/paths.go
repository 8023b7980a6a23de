package vdi

import "github.com/specgate/specgate/models"

// ShortestPath returns the shortest sequence of calls with exactly one
// allowed outcome (walked with Assume) from the Does Not Exist state to a
// state satisfying goal, or nil when none exists within maxLen steps.
// Conformance suites use it to set up the state a clause needs.
func ShortestPath(p Profile, goal func(*Model) bool, maxLen int) []models.Action {
	type node struct {
		m    Model
		path []models.Action
	}
	start := *New(p)
	if goal(&start) {
		return []models.Action{}
	}
	seen := map[Model]bool{start: true}
	frontier := []node{{m: start}}
	for depth := 0; depth < maxLen && len(frontier) > 0; depth++ {
		var next []node
		for _, n := range frontier {
			for _, a := range Alphabet {
				m := n.m
				if e := m.Expect(a); e.N != 1 {
					continue
				}
				m.Assume(a)
				if seen[m] {
					continue
				}
				seen[m] = true
				path := append(append([]models.Action(nil), n.path...), a)
				if goal(&m) {
					return path
				}
				next = append(next, node{m: m, path: path})
			}
		}
		frontier = next
	}
	return nil
}

// Pending reports how many commands device d has queued, and whether its
// close is still to be delivered.
func (m *Model) Pending(d int) (queued int, closePending bool) {
	if !m.known(d) {
		return 0, false
	}
	dv := &m.Dev[d]
	return int(dv.nq), dv.ServerClosed && !dv.CloseSeen
}
