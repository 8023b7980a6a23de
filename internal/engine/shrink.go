package engine

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/specgate/specgate/models"
)

// pairLimit bounds the quadratic pair-deletion pass.
const pairLimit = 16

// searchNodes bounds the model states the shorter-sequence search visits.
const searchNodes = 20000

// memoCap bounds the shrink replays whose result minimize remembers, so
// that its memory does not grow with the replay budget. Past it a
// candidate seen again is replayed again: the result is the same on a
// deterministic SUT and the choice of what is remembered is fixed, so the
// shrunk sequence stays a function of the seed.
const memoCap = 1 << 13

// process verifies the failure check c found, shrinks it when it
// reproduces, and verifies the shrunk sequence. ok is false when ctx ended
// before the original sequence was verified: nothing is reported then.
//
// Verification replays run alone: workers are held off while the
// coordinator verifies, so "reproduced k/K" means k of K replays with
// nothing else in flight. Shrink replays do not: workers go on with
// later checks meanwhile (see lend), and a shrink replay's result does
// not depend on them on a deterministic SUT, so the shrunk sequence is
// the same at any Parallel.
func (e *Engine) process(ctx context.Context, c checkResult) (f Failure, ok bool) {
	d := c.d
	K := e.cfg.Verify
	f = Failure{
		Model:      e.cfg.Model,
		Profile:    e.cfg.Profile,
		Seed:       e.cfg.Seed,
		Check:      c.i,
		CheckSeed:  CheckSeed(e.cfg.Seed, c.i),
		Sequence:   c.seq,
		Original:   len(c.seq),
		Divergence: *d,
		Transcript: c.transcript,
		Verify:     K,
	}
	name := "c" + strconv.Itoa(c.i) + "-"
	// One replay alone decides whether the original can be shrunk; only
	// when it does not reproduce is it replayed K times in all, to classify.
	first, _, _, done := e.verify(ctx, c.kn, name+"v", c.seq, d.Signature(), 1, false)
	if !done {
		return f, false
	}
	if first == 0 {
		k0, _, _, done := e.verify(ctx, c.kn, name+"v", c.seq, d.Signature(), K-1, false)
		if !done {
			return f, false
		}
		f.Reproduced, f.Class = k0, ClassFlaky
		if k0 == 0 && c.concurrent {
			f.Class = ClassConcurrentOnly
			f.Note = "seen only while other sequences were in flight on the same SUT; it did not reproduce alone"
		} else {
			f.Note = "the original sequence did not fail the same way on every replay alone; it is kept unshrunk"
		}
		e.log.Info("failure not reproducible", "signature", d.Signature(), "class", f.Class, "reproduced", k0, "of", K)
		return f, true
	}
	sh := e.minimize(ctx, c.kn, name+"s", c.seq, d)
	f.Replays, f.Exhausted, f.Partial = sh.replays, sh.exhausted, sh.partial
	// The first replay of the final verification waits every deadline in
	// full (WithFullWaits): a failure is never reported on shortened waits.
	k, final, transcript, answers, done := e.verifyAnswers(ctx, c.kn, name+"w", sh.best, d.Signature(), K, true)
	switch {
	case !done:
		// Interrupted while verifying the shrunk sequence: keep the
		// original, which reproduced once alone.
		f.Class, f.Partial, f.Reproduced, f.Verify = ClassConfirmed, "interrupted", 1, 1
	case k == K:
		f.Class, f.Sequence, f.Reproduced = ClassConfirmed, sh.best, k
		f.Divergence, f.Transcript, f.Answers = *final, transcript, answers
	default:
		f.Class, f.Reproduced = ClassFlaky, k
		f.Note = "the shrunk sequence did not fail the same way on every replay alone; the original is kept"
	}
	e.log.Info("failure shrunk", "signature", d.Signature(), "from", len(c.seq), "to", len(f.Sequence),
		"replays", sh.replays, "class", f.Class)
	return f, true
}

// verify replays seq k times on fresh sessions and counts the replays that
// show sig. last is the divergence (and transcript) of the last one that
// did. done is false when ctx ended first. full makes the first replay
// wait every deadline in full (WithFullWaits).
func (e *Engine) verify(ctx context.Context, kn *knowledge, name string, seq []models.Action, sig string, k int, full bool) (n int, last *Divergence, transcript []string, done bool) {
	n, last, transcript, _, done = e.verifyAnswers(ctx, kn, name, seq, sig, k, full)
	return n, last, transcript, done
}

// verifyAnswers is verify that also returns the per-step answers of the
// last replay that showed sig. Verification replays run alone: they hold
// execMu exclusively, so no other sequence is in flight on the SUT.
func (e *Engine) verifyAnswers(ctx context.Context, kn *knowledge, name string, seq []models.Action, sig string, k int, full bool) (n int, last *Divergence, transcript, answers []string, done bool) {
	e.execMu.Lock()
	defer e.execMu.Unlock()
	for j := 0; j < k; j++ {
		rctx := ctx
		if full && j == 0 {
			rctx = WithFullWaits(ctx)
		}
		r := e.execute(rctx, name+strconv.Itoa(j), seq, false, kn)
		if r.interrupted || ctx.Err() != nil {
			return n, last, transcript, answers, false
		}
		if r.d != nil && r.d.Signature() == sig {
			n++
			last, transcript, answers = r.d, r.transcript, r.answers
		}
	}
	return n, last, transcript, answers, true
}

type shrinkResult struct {
	best      []models.Action
	replays   int
	exhausted bool
	partial   string
}

// minimize shrinks orig, which fails with d, to a short sequence that
// fails with d's signature. Only a candidate that shows that very
// signature counts: one that shows another failure is not a success. It
// is bounded by Config.ShrinkReplays replays (and by Config.ShrinkTime
// when set), never by the machine's speed, so the same seed shrinks to
// the same sequence everywhere. The passes:
//
//  1. truncate after the divergent step (steps after it never ran);
//  2. search the model, shortest first, for a shorter sequence whose last
//     call falls in the divergence's cell (deletion cannot turn a
//     sequence into a shorter one that uses other calls; this can), on
//     half the budget;
//  3. delete single steps, then pairs, while the failure stays.
func (e *Engine) minimize(ctx context.Context, kn *knowledge, name string, orig []models.Action, d *Divergence) shrinkResult {
	sig := d.Signature()
	var sr shrinkResult
	var deadline time.Time
	if e.cfg.ShrinkTime > 0 {
		deadline = time.Now().Add(e.cfg.ShrinkTime)
	}
	tried := map[string]bool{}
	limit, searchCut := e.cfg.ShrinkReplays, false
	stopped := func() bool { return sr.exhausted || searchCut || sr.partial != "" }
	fails := func(seq []models.Action) bool {
		key := e.seqKey(seq)
		if v, ok := tried[key]; ok {
			return v
		}
		switch {
		case stopped():
			return false
		case sr.replays >= limit && limit < e.cfg.ShrinkReplays:
			searchCut = true
			return false
		case sr.replays >= e.cfg.ShrinkReplays:
			sr.exhausted = true
			return false
		case ctx.Err() != nil:
			sr.partial = "interrupted"
			return false
		case !deadline.IsZero() && time.Now().After(deadline):
			sr.partial = "shrink-time"
			return false
		}
		sr.replays++
		r := e.execute(ctx, name+strconv.Itoa(sr.replays), seq, false, kn)
		if r.interrupted {
			sr.partial = "interrupted"
			return false
		}
		ok := r.d != nil && r.d.Signature() == sig
		if len(tried) < memoCap {
			tried[key] = ok
		}
		return ok
	}
	best := orig
	tried[e.seqKey(orig)] = true
	if d.Step >= 1 && d.Step < len(orig) && fails(orig[:d.Step]) {
		best = orig[:d.Step]
	}
	// The search first, on part of the budget: most of its candidates pass,
	// which is cheap even when a failing replay is not (a hang costs the
	// call deadline); deletion then works on a short sequence.
	limit = e.cfg.ShrinkReplays / 2
	if shorter := e.searchShorter(best, d.Cell, fails, stopped); shorter != nil {
		best = shorter
	}
	limit, searchCut = e.cfg.ShrinkReplays, false
	best = deletePass(best, fails)
	sr.best = append([]models.Action(nil), best...)
	return sr
}

// seqKey identifies seq in the shrink memo: two bytes per action (its
// alphabet index), or, if an action is not in the alphabet, its text
// after a marker byte that no index encoding starts with.
func (e *Engine) seqKey(seq []models.Action) string {
	if b, ok := e.encode(seq); ok {
		return string(b)
	}
	var b strings.Builder
	b.WriteByte(0xff)
	for _, a := range seq {
		b.WriteString(a.Op)
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(a.Idx))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(a.Arg))
		b.WriteByte(';')
	}
	return b.String()
}

// encode packs seq as two bytes per action, its alphabet index; ok is
// false when an action is not in the alphabet (or the alphabet is too big).
func (e *Engine) encode(seq []models.Action) (b []byte, ok bool) {
	b = make([]byte, 0, 2*len(seq)+1)
	b = append(b, 0)
	for _, a := range seq {
		i, ok := e.index[a]
		if !ok || i >= 1<<16 {
			return nil, false
		}
		b = append(b, byte(i), byte(i>>8))
	}
	return b, true
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
			if j >= len(seq) {
				continue
			}
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

// searchShorter looks for a failing sequence shorter than best among the
// sequences the model can judge, breadth first and in alphabet order,
// replaying only those whose last call falls in cell. States are
// deduplicated by their StateKey when the walker has one. It returns nil
// when it finds none (or the budget ran out).
func (e *Engine) searchShorter(best []models.Action, cell string, fails func([]models.Action) bool, stopped func() bool) []models.Action {
	if cell == "" || len(best) <= 1 {
		return nil
	}
	probe, err := e.model.NewWalker(e.cfg.Profile)
	if err != nil {
		return nil
	}
	celler, ok := probe.(Celler)
	if !ok {
		return nil
	}
	_, keyed := probe.(StateKeyer)
	alpha := e.model.Alphabet()
	at := func(path []models.Action) Walker {
		w, _ := e.model.NewWalker(e.cfg.Profile)
		for _, a := range path {
			w.Assume(a)
		}
		return w
	}
	if len(alpha) >= 1<<16 {
		return nil
	}
	// The frontier holds each path as two bytes per call (its alphabet
	// index): up to searchNodes paths, so it is kept compact.
	decode := func(p string) []models.Action {
		out := make([]models.Action, len(p)/2, len(p)/2+1)
		for j := range out {
			out[j] = alpha[int(p[2*j])|int(p[2*j+1])<<8]
		}
		return out
	}
	extend := func(p string, i int) string { return p + string([]byte{byte(i), byte(i >> 8)}) }
	seen := map[uint64]bool{}
	if keyed {
		seen[probe.(StateKeyer).StateKey()] = true
	}
	frontier := []string{""}
	nodes := 0
	for depth := 0; depth+1 < len(best) && len(frontier) > 0; depth++ {
		// Candidates of length depth+1 first, then the next frontier.
		for _, p := range frontier {
			path := decode(p)
			w := at(path)
			celler = w.(Celler)
			for _, a := range alpha {
				if ok, _ := w.Judge(a); !ok || celler.Cell(a) != cell {
					continue
				}
				cand := append(path[:len(path):len(path)], a)
				if fails(cand) {
					return cand
				}
				if stopped() {
					return nil
				}
			}
		}
		if depth+2 >= len(best) {
			break
		}
		var next []string
		for _, p := range frontier {
			path := decode(p)
			w := at(path)
			for i, a := range alpha {
				if ok, _ := w.Judge(a); !ok {
					continue
				}
				if keyed {
					cw := at(append(path[:len(path):len(path)], a))
					k := cw.(StateKeyer).StateKey()
					if seen[k] {
						continue
					}
					seen[k] = true
				}
				if nodes++; nodes > searchNodes {
					return nil
				}
				next = append(next, extend(p, i))
			}
		}
		frontier = next
	}
	return nil
}
