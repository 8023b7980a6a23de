package engine

import (
	"maps"
	"slices"
	"sort"

	"github.com/specgate/specgate/models"
)

// knowledge is what a run knows when a check starts: the signatures
// already seen (reported, baselined or past the failure bound) and the
// calls fenced off. A check's result depends on it, so a check is
// committed only when it ran on the knowledge of every check before it;
// otherwise the coordinator runs it again. Values are immutable once
// published; the coordinator replaces them.
type knowledge struct {
	version int
	known   map[string]bool
	// fence maps a fence key to the set of alphabet indices fenced where
	// the walker's FenceKey of that action is the key; fencedIdx lists the
	// indices fenced anywhere (the only ones the generator must check).
	fence     map[uint64]map[int]bool
	fencedIdx []int
}

func (k *knowledge) isKnown(d *Divergence) bool { return d != nil && k.known[d.Signature()] }

func (k *knowledge) fenced(key uint64, i int) bool {
	if len(k.fence) == 0 {
		return false
	}
	return k.fence[key][i]
}

// fencedMask returns the candidates of mask (alphabet of at most 64
// actions) that are fenced in w's current state.
func (k *knowledge) fencedMask(w Fencer, alpha []models.Action, mask uint64) uint64 {
	var m uint64
	for _, i := range k.fencedIdx {
		if i < 64 && mask&(1<<i) != 0 && k.fenced(w.FenceKey(alpha[i]), i) {
			m |= 1 << i
		}
	}
	return m
}

// fencedAt reports whether action i is fenced in w's current state.
func (k *knowledge) fencedAt(w Fencer, alpha []models.Action, i int) bool {
	for _, j := range k.fencedIdx {
		if j == i {
			return k.fenced(w.FenceKey(alpha[i]), i)
		}
	}
	return false
}

func (k *knowledge) withKnown(sig string) *knowledge {
	n := &knowledge{version: k.version + 1, known: maps.Clone(k.known), fence: k.fence, fencedIdx: k.fencedIdx}
	if n.known == nil {
		n.known = map[string]bool{}
	}
	n.known[sig] = true
	return n
}

func (k *knowledge) withFence(key uint64, i int) *knowledge {
	n := &knowledge{version: k.version + 1, known: k.known, fence: make(map[uint64]map[int]bool, len(k.fence)+1),
		fencedIdx: k.fencedIdx}
	if !slices.Contains(n.fencedIdx, i) {
		n.fencedIdx = append(slices.Clone(k.fencedIdx), i)
	}
	for s, set := range k.fence {
		n.fence[s] = set
	}
	set := maps.Clone(n.fence[key])
	if set == nil {
		set = map[int]bool{}
	}
	set[i] = true
	n.fence[key] = set
	return n
}

// Fence is one call the generator stopped proposing: the action, in the
// model state where a known divergence showed and the model could not
// continue from what the SUT answered.
type Fence struct {
	// Cell is the table cell of the fenced call.
	Cell string `json:"cell"`
	// Action is the fenced call.
	Action string `json:"action"`
	// Signature is the known divergence that caused the fence.
	Signature string `json:"signature"`
	// Check is the check in which it was fenced.
	Check int `json:"check"`
}

// FaultStat counts one kind of transport fault over the run.
type FaultStat struct {
	Kind string `json:"kind"`
	// Occurrences is how many checks ran into it.
	Occurrences int `json:"occurrences"`
	// FirstCheck and FirstStep (1-based) locate its first occurrence, in
	// that check's unshrunk sequence of FirstLength steps (not the shrunk
	// sequence the failure is reported with).
	FirstCheck  int `json:"firstCheck"`
	FirstStep   int `json:"firstStep"`
	FirstLength int `json:"firstLength"`
	// FirstAction is the call of its first occurrence.
	FirstAction string `json:"firstAction"`
}

func sortedFaults(m map[string]*FaultStat) []FaultStat {
	out := make([]FaultStat, 0, len(m))
	for _, f := range m {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}
