package engine

import (
	"fmt"
	"strconv"

	"github.com/specgate/specgate/models"
	"pgregory.net/rapid"
)

// legalBias is how many of every legalBias+1 draws pick a legal call; the
// rest pick any call the model can judge, legal or not.
const legalBias = 3

// SequenceGen returns rapid's generator of action sequences for a model and
// profile. The sequence is drawn with t.Repeat, so rapid's shrinker removes
// steps; each step is one draw that selects an action of the fixed alphabet,
// biased toward legal calls but including illegal ones, because protocol
// errors are part of conformance. The average length is rapid's -rapid.steps.
func SequenceGen(m Model, profile string) (*rapid.Generator[[]models.Action], error) {
	if _, err := m.NewWalker(profile); err != nil {
		return nil, err
	}
	alpha := m.Alphabet()
	k := len(alpha)
	if k == 0 {
		return nil, fmt.Errorf("model %s has an empty alphabet", m.Info().Name)
	}
	pick := rapid.IntRange(0, (legalBias+1)*k-1)
	return rapid.Custom(func(t *rapid.T) []models.Action {
		w, _ := m.NewWalker(profile)
		seq := make([]models.Action, 0, 32)
		t.Repeat(map[string]func(*rapid.T){
			"step": func(t *rapid.T) {
				r := pick.Draw(t, "a")
				wantLegal := r < legalBias*k
				start := r % k
				for j := 0; j < k; j++ {
					a := alpha[(start+j)%k]
					judgeable, legal := w.Judge(a)
					if !judgeable || (wantLegal && !legal) {
						continue
					}
					seq = append(seq, a)
					w.Assume(a)
					return
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
