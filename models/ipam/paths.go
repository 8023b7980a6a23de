package ipam

import (
	"fmt"

	"github.com/specgate/specgate/models"
)

func (m *Model) key() string {
	return fmt.Sprint(m.W, m.S, m.Hold, m.FailNext)
}

func (m *Model) clone() *Model {
	c := *m
	c.Exercised = append([]string(nil), m.Exercised...)
	return &c
}

// ShortestPathTo returns the shortest sequence of actions (with control)
// whose last step exercises clause when the server behaves as the model's
// first allowed outcome, or nil when none exists within maxLen steps.
// Conformance suites use it to set up each clause's check.
func ShortestPathTo(p Profile, clause string, maxLen int) []models.Action {
	type node struct {
		m    *Model
		path []models.Action
	}
	alpha := Alphabet(true)
	start := New(p, true)
	seen := map[string]bool{start.key(): true}
	frontier := []node{{m: start}}
	for depth := 0; depth < maxLen && len(frontier) > 0; depth++ {
		var next []node
		for _, n := range frontier {
			for _, a := range alpha {
				if e := n.m.Expect(a); !e.Judgeable {
					continue
				}
				m := n.m.clone()
				m.Assume(a)
				path := append(append([]models.Action(nil), n.path...), a)
				for _, c := range m.Exercised {
					if c == clause {
						return path
					}
				}
				if k := m.key(); !seen[k] {
					seen[k] = true
					next = append(next, node{m: m, path: path})
				}
			}
		}
		frontier = next
	}
	return nil
}
