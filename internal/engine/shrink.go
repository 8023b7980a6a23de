package engine

import (
	"context"
	"strconv"

	"github.com/specgate/specgate/models"
	"pgregory.net/rapid"
)

// pairLimit bounds the quadratic pair-deletion pass.
const pairLimit = 16

// shrink minimises the failing sequence of check i. rapid shrinks first,
// replaying check i from its seed (so the search and the shrinker see the
// same sequence); a deterministic deletion pass then removes every single
// step and every pair of steps whose removal keeps the same divergence, so
// the result is 1- and 2-minimal whatever rapid's budget allowed.
func (e *Engine) shrink(ctx context.Context, i int, orig []models.Action, d *Divergence) Failure {
	best := orig
	fails := func(seq []models.Action) bool {
		if ctx.Err() != nil {
			return false
		}
		got, _, err := e.execute(ctx, e.nextName("s"), seq, false)
		return err == nil && got != nil && sameFailure(got, d)
	}

	initRapid()
	rapidMu.Lock()
	setRapidFlag("rapid.checks", "1")
	setRapidFlag("rapid.seed", strconv.FormatUint(CheckSeed(e.cfg.Seed, i), 10))
	setRapidFlag("rapid.shrinktime", e.cfg.ShrinkTime.String())
	setRapidFlag("rapid.nofailfile", "true")
	setRapidFlag("rapid.steps", strconv.Itoa(e.cfg.Steps))
	tb := &collectTB{name: e.cfg.Model + "/" + e.cfg.Profile}
	rapid.Check(tb, func(t *rapid.T) {
		seq := e.gen.Draw(t, "seq")
		if fails(seq) {
			if len(seq) <= len(best) {
				best = append([]models.Action(nil), seq...)
			}
			t.Fatalf("%s", d.Kind)
		}
	})
	rapidMu.Unlock()

	best = deletePass(best, fails)

	f := Failure{
		Model:     e.cfg.Model,
		Profile:   e.cfg.Profile,
		Seed:      e.cfg.Seed,
		Check:     i,
		CheckSeed: CheckSeed(e.cfg.Seed, i),
		Sequence:  best,
		Original:  len(orig),
	}
	final, transcript, err := Replay(ctx, e.target, best)
	if err == nil && final != nil && sameFailure(final, d) {
		f.Divergence, f.Transcript = *final, transcript
	} else {
		f.Divergence = *d
	}
	e.log.Info("divergence shrunk", "clause", f.Divergence.Clause, "from", len(orig), "to", len(best))
	return f
}

// deletePass removes single steps, then pairs of steps, while fails stays
// true, until neither removes anything.
func deletePass(seq []models.Action, fails func([]models.Action) bool) []models.Action {
	without := func(s []models.Action, idx ...int) []models.Action {
		out := make([]models.Action, 0, len(s))
	next:
		for j, a := range s {
			for _, k := range idx {
				if j == k {
					continue next
				}
			}
			out = append(out, a)
		}
		return out
	}
	for changed := true; changed; {
		changed = false
		for j := len(seq) - 1; j >= 0; j-- {
			if c := without(seq, j); fails(c) {
				seq, changed = c, true
			}
		}
		if changed || len(seq) > pairLimit {
			continue
		}
		for j := 0; j < len(seq) && !changed; j++ {
			for k := j + 1; k < len(seq); k++ {
				if c := without(seq, j, k); fails(c) {
					seq, changed = c, true
					break
				}
			}
		}
	}
	return seq
}
