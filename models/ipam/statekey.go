package ipam

import (
	"hash/fnv"

	"github.com/specgate/specgate/models"
)

// StateKey hashes the state that decides every expectation (the possible
// worlds, the sessions, the hold and the armed faults) into a word. The
// engine fences a known divergence (an action in a state) by it and
// deduplicates states when it searches for a shorter failing sequence.
func (m *Model) StateKey() uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(m.key()))
	return h.Sum64() | 1 // never 0, which means "no key"
}

// Cell names the cell action a falls in from the current state, as the
// runner reports it: "<worlds>/<op>".
func (m *Model) Cell(a models.Action) string { return m.W.Label() + "/" + a.Op }

// FenceKey is StateKey: which IPAM expectations hold depends on the whole
// state (the worlds, the sessions, the hold), so a known divergence is
// fenced in that state only.
func (m *Model) FenceKey(models.Action) uint64 { return m.StateKey() }
