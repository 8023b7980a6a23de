// Package expected renders what every model expects of every call in
// every state, for each profile, straight from the models: the pages in
// docs/expected are its output, and a test keeps them equal to it, so the
// documentation a vendor reads cannot drift from what specgate judges.
package expected

import (
	"strings"

	"github.com/specgate/specgate/models"
)

// Case is one situation of a cell: the shortest sequence that reaches it
// and what the model allows of the call there.
type Case struct {
	After   []string `json:"after"`
	Allowed []string `json:"allowed"`
}

// step is what exploring one action from a state gives: its cell, what is
// allowed (nil: not judged) and the states the allowed outcomes lead to.
type step[S any] func(s S, a models.Action) (cell string, allowed []string, next []S)

// explore walks a model breadth first from start over alpha, keeping for
// every cell each distinct allowed set with the first (shortest) path that
// reaches it, in the order found. It stops after limit states.
func explore[S any, K comparable](start S, alpha []models.Action, key func(S) K, next step[S], limit int) map[string][]Case {
	return exploreFrom([]S{start}, []string{""}, alpha, key, next, limit)
}

// exploreFrom is explore from several starts, each with a label ("" for
// none) that heads its paths.
func exploreFrom[S any, K comparable](starts []S, labels []string, alpha []models.Action, key func(S) K, next step[S], limit int) map[string][]Case {
	type node struct {
		s    S
		path []string
	}
	seen := map[K]bool{}
	var queue []node
	for i, s := range starts {
		if !seen[key(s)] {
			seen[key(s)] = true
			n := node{s: s}
			if labels[i] != "" {
				n.path = []string{labels[i]}
			}
			queue = append(queue, n)
		}
	}
	out := map[string][]Case{}
	have := map[string]bool{}
	for len(queue) > 0 && len(seen) <= limit {
		n := queue[0]
		queue = queue[1:]
		for _, a := range alpha {
			cell, allowed, nexts := next(n.s, a)
			if allowed == nil {
				continue
			}
			sig := cell + "\x00" + strings.Join(allowed, "\x01")
			if !have[sig] {
				have[sig] = true
				out[cell] = append(out[cell], Case{After: n.path, Allowed: allowed})
			}
			for _, s := range nexts {
				if k := key(s); !seen[k] {
					seen[k] = true
					p := append(append([]string(nil), n.path...), a.String())
					queue = append(queue, node{s: s, path: p})
				}
			}
		}
	}
	return out
}
