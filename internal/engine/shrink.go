package engine

import (
	"context"
	"strconv"
	"time"

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
//
// reported holds the signatures already reported. When a candidate fails
// with one of them (other than d's own), the divergence is taken for that
// known failure: shrinking stops (every later candidate passes at once, so
// rapid ends quickly) and the returned Failure carries the known
// signature, which the caller drops. Against a buggy server this spares a
// full shrink budget for every new way the same bug shows.
func (e *Engine) shrink(ctx context.Context, i int, orig []models.Action, d *Divergence, reported map[string]bool) Failure {
	best := orig
	var known *Divergence
	fails := func(seq []models.Action) bool {
		if ctx.Err() != nil || known != nil {
			return false
		}
		got, _, err := e.execute(ctx, e.nextName("s"), seq, false)
		if err != nil || got == nil || !sameFailure(got, d) {
			return false
		}
		if sig := got.Signature(); sig != d.Signature() && reported[sig] {
			known = got
			return false
		}
		return true
	}

	initRapid()
	rapidMu.Lock()
	setRapidFlag("rapid.checks", "1")
	setRapidFlag("rapid.seed", strconv.FormatUint(CheckSeed(e.cfg.Seed, i), 10))
	setRapidFlag("rapid.shrinktime", e.cfg.ShrinkTime.String())
	setRapidFlag("rapid.nofailfile", "true")
	setRapidFlag("rapid.steps", strconv.Itoa(e.cfg.Steps))
	tb := &CollectTB{TestName: e.cfg.Model + "/" + e.cfg.Profile}
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

	f := Failure{
		Model:     e.cfg.Model,
		Profile:   e.cfg.Profile,
		Seed:      e.cfg.Seed,
		Check:     i,
		CheckSeed: CheckSeed(e.cfg.Seed, i),
		Original:  len(orig),
	}
	if known != nil {
		f.Sequence, f.Divergence = orig, *known
		e.log.Info("divergence taken for one already reported", "clause", d.Clause, "reported", known.Clause)
		return f
	}
	best = deletePass(best, fails)
	best = e.shortest(ctx, best, fails)
	best = e.endings(ctx, best, fails)

	f.Sequence = best
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

// exhaustiveLen and exhaustiveBudget bound the final search for a shorter
// failing sequence.
const (
	exhaustiveLen    = 3
	exhaustiveBudget = 300
)

// endings tries, for every proper prefix of best, every other call the model
// can judge as the final step, and keeps the shortest failing result (then
// deletes what became unnecessary). It finds a shorter sequence whose
// divergence shows on another call (a query instead of a second Start).
func (e *Engine) endings(ctx context.Context, best []models.Action, fails func([]models.Action) bool) []models.Action {
	deadline := time.Now().Add(e.cfg.ShrinkTime)
	alpha := e.model.Alphabet()
	for j := 1; j < len(best)-1; j++ {
		w, err := e.model.NewWalker(e.cfg.Profile)
		if err != nil {
			return best
		}
		for _, a := range best[:j] {
			w.Assume(a)
		}
		for _, a := range alpha {
			if time.Now().After(deadline) || ctx.Err() != nil {
				return best
			}
			if ok, _ := w.Judge(a); !ok {
				continue
			}
			cand := append(append([]models.Action(nil), best[:j]...), a)
			if fails(cand) {
				return deletePass(cand, fails)
			}
		}
	}
	return best
}

// shortest looks for a failing sequence shorter than best among every
// sequence of calls the model can judge, shortest first and in alphabet
// order, for lengths up to exhaustiveLen. Deletion cannot turn a sequence
// into a shorter one that uses different calls (a conversion instead of a
// provisioning, slot 0 instead of slot 1); this search can, and it makes the
// reported sequence minimal whenever the minimum is short. It is bounded by
// exhaustiveBudget replays and the shrink time.
func (e *Engine) shortest(ctx context.Context, best []models.Action, fails func([]models.Action) bool) []models.Action {
	deadline := time.Now().Add(e.cfg.ShrinkTime)
	alpha := e.model.Alphabet()
	tried := 0
	var found []models.Action
	var dfs func(prefix []models.Action, n int) bool
	dfs = func(prefix []models.Action, n int) bool {
		if len(prefix) == n {
			tried++
			if fails(prefix) {
				found = append([]models.Action(nil), prefix...)
				return true
			}
			return false
		}
		w, err := e.model.NewWalker(e.cfg.Profile)
		if err != nil {
			return false
		}
		for _, a := range prefix {
			w.Assume(a)
		}
		for _, a := range alpha {
			if tried >= exhaustiveBudget || time.Now().After(deadline) || ctx.Err() != nil {
				return false
			}
			if ok, _ := w.Judge(a); !ok {
				continue
			}
			if dfs(append(prefix, a), n) {
				return true
			}
		}
		return false
	}
	for n := 1; n < len(best) && n <= exhaustiveLen; n++ {
		if dfs(make([]models.Action, 0, n), n) {
			return found
		}
		if tried >= exhaustiveBudget || time.Now().After(deadline) {
			break
		}
	}
	return best
}
