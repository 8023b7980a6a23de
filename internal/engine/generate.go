package engine

import (
	"fmt"
	"math/bits"
	"strconv"

	"github.com/specgate/specgate/models"
	"pgregory.net/rapid"
)

// legalBias is how many of every legalBias+1 draws pick a legal call; the
// rest pick any call the model can judge, legal or not. (Drawing the bias
// per sequence, uniform walks included, was measured: it found shallow
// error cells no sooner and deep mutants up to twice as late.)
const legalBias = 3

// rejectionTries is how many weighted draws a step judges before it falls
// back to judging every action.
const rejectionTries = 24

// Weighter is implemented by models that weight their actions for
// generation: an action of weight 4 is drawn four times as often as one of
// weight 1 among the candidates of a step.
type Weighter interface {
	Weight(a models.Action) int
}

// SequenceGen returns rapid's generator of action sequences for a model and
// profile.
//
// A sequence first draws a swarm mask that switches off a random subset of
// the model's operations for the whole sequence (swarm testing: sequences
// that never abort or close reach deeper states), then draws steps with
// t.Repeat, so rapid's shrinker removes steps. Each step is one draw that
// picks by weight among the legal calls (legalBias in legalBias+1 draws)
// or among every call the model can judge, legal or not: protocol errors
// are part of conformance. For walkers with a JudgeKey the pick prefers
// calls the sequence has not yet made from that state (novelty within the
// sequence; measured: the deep mutants first-close, deep and hang found in
// 1.5-2.7x fewer steps), so a sequence spreads over the cells of the
// states it reaches instead of repeating itself. It depends only on the
// sequence so far, so replays and rapid's shrinking see the same choices.
// The average length is rapid's -rapid.steps.
//
// Calls fenced off by the engine (a known divergence the model cannot
// continue from) are never proposed; SequenceGen itself fences nothing.
func SequenceGen(m Model, profile string) (*rapid.Generator[[]models.Action], error) {
	return sequenceGen(m, profile, nil)
}

// sequenceGen is SequenceGen with the run's knowledge: know, when non-nil,
// returns the fences to respect. It is read once per sequence, under
// rapidMu, which the coordinator holds exclusively to publish new fences.
func sequenceGen(m Model, profile string, know func() *knowledge) (*rapid.Generator[[]models.Action], error) {
	if _, err := m.NewWalker(profile); err != nil {
		return nil, err
	}
	alpha := m.Alphabet()
	k := len(alpha)
	if k == 0 {
		return nil, fmt.Errorf("model %s has an empty alphabet", m.Info().Name)
	}
	opBit := make([]uint64, k)
	ops := map[string]int{}
	for i, a := range alpha {
		if _, ok := ops[a.Op]; !ok {
			ops[a.Op] = len(ops)
		}
		opBit[i] = 1 << (ops[a.Op] % 64)
	}
	weight := make([]int, k)
	for i, a := range alpha {
		weight[i] = 1
		if wt, ok := m.(Weighter); ok {
			weight[i] = max(1, wt.Weight(a))
		}
	}
	// byWeight maps each of totalW slots to an action index, slot counts
	// proportional to weights: sampling by weight is one table lookup.
	var byWeight []int
	for i := range alpha {
		for range weight[i] {
			byWeight = append(byWeight, i)
		}
	}
	totalW := uint64(len(byWeight))
	sample := func(x uint64) int {
		hi, _ := bits.Mul64(x, totalW) // x·totalW / 2^64: uniform in [0, totalW)
		return byWeight[hi]
	}
	swarmGen := rapid.Uint64Range(0, 1<<min(len(ops), 63)-1)
	pick := rapid.IntRange(0, 1<<24-1)
	memo := &judgeMemo{}
	return rapid.Custom(func(t *rapid.T) []models.Action {
		w, _ := m.NewWalker(profile)
		var kn *knowledge
		if know != nil {
			kn = know()
		}
		fw, fencing := w.(Fencer)
		fencing = fencing && kn != nil && len(kn.fence) > 0
		keyer, keyed := w.(JudgeKeyer)
		keyed = keyed && k <= 64
		off := swarmGen.Draw(t, "swarm")
		var offMask uint64 // the actions the swarm switched off
		if keyed {
			for i := range alpha {
				if off&opBit[i] != 0 {
					offMask |= 1 << i
				}
			}
		}
		seq := make([]models.Action, 0, 32)
		cand := make([]int, 0, k)
		var tried map[uint64]uint64 // per state key: actions this sequence took there
		if keyed {
			tried = make(map[uint64]uint64, 16)
		}
		t.Repeat(map[string]func(*rapid.T){
			"step": func(t *rapid.T) {
				r := pick.Draw(t, "a")
				wantLegal := r%(legalBias+1) != legalBias
				r /= legalBias + 1
				if keyed {
					// The memo: the judgeable and legal sets of this state
					// as bitmasks, then one weighted pick among the
					// switched-on candidates (all candidates when the
					// swarm left none).
					key := keyer.JudgeKey()
					set := memo.get(key, w, alpha)
					c := set.judgeable
					if wantLegal {
						c = set.legal
					}
					if fencing {
						c &^= kn.fencedMask(fw, alpha, c)
					}
					on := c &^ offMask
					for _, mask := range [3]uint64{on &^ tried[key], on, c} {
						if i, ok := pickWeighted(mask, weight, r); ok {
							tried[key] |= 1 << i
							seq = append(seq, alpha[i])
							w.Assume(alpha[i])
							return
						}
					}
					t.Skip("no judgeable action")
				}
				// Rejection sampling: draw an action by weight and judge
				// only it; retry with indices derived from the same draw
				// (one draw per step keeps shrinking simple). This has the
				// distribution of the full scan below at a fraction of the
				// judgements; the scan remains the fallback.
				x := uint64(r)*0x9E3779B97F4A7C15 + 1
				for try := 0; try < rejectionTries; try++ {
					x ^= x >> 29
					x *= 0xBF58476D1CE4E5B9
					x ^= x >> 32
					i := sample(x)
					if off&opBit[i] != 0 || fencing && kn.fencedAt(fw, alpha, i) {
						continue
					}
					if judgeable, legal := w.Judge(alpha[i]); judgeable && (legal || !wantLegal) {
						seq = append(seq, alpha[i])
						w.Assume(alpha[i])
						return
					}
				}
				for pass := 0; pass < 2; pass++ {
					cand = cand[:0]
					total := 0
					for i, a := range alpha {
						if pass == 0 && off&opBit[i] != 0 || fencing && kn.fencedAt(fw, alpha, i) {
							continue
						}
						judgeable, legal := w.Judge(a)
						if judgeable && (legal || !wantLegal) {
							cand = append(cand, i)
							total += weight[i]
						}
					}
					if total > 0 {
						x := r % total
						for _, i := range cand {
							if x < weight[i] {
								a := alpha[i]
								seq = append(seq, a)
								w.Assume(a)
								return
							}
							x -= weight[i]
						}
					}
				}
				t.Skip("no judgeable action")
			},
		})
		return seq
	}), nil
}

// Generate returns the sequence of check i of a run with the given seed.
// It is what the search phase executes, and exactly what rapid replays when
// it shrinks that check (rapid.Check with -rapid.seed=CheckSeed(seed, i)).
// Call SetSteps before generating.
func Generate(gen *rapid.Generator[[]models.Action], seed uint64, i int) []models.Action {
	return gen.Example(int(CheckSeed(seed, i)))
}

// SetSteps sets the average sequence length (rapid's -rapid.steps). It must
// not run concurrently with generation.
func SetSteps(steps int) {
	initRapid()
	rapidMu.Lock()
	defer rapidMu.Unlock()
	setRapidFlag("rapid.steps", strconv.Itoa(steps))
}
