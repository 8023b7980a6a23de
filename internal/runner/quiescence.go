package runner

import (
	"sync"
	"sync/atomic"
	"time"
)

// silenceKey names an awaited callback: the call that awaits it and
// whether it is awaited after a hold is released (which callback, Start
// or Complete, follows from the call). Both are deterministic functions of
// the sequence.
type silenceKey struct {
	op      string
	release bool
}

// quiescence decides how long an awaited callback is waited for.
//
// A wait is cut to an adaptive deadline (the server's pace in this run:
// its response times and how long after a call its callbacks came, learnt
// like the settle window as srtt + 4·rttvar, doubled, within
// [QuiescenceMin, Quiescence]) only where a full --quiescence wait has
// already seen the server never send the callback awaited by the same
// call in this run. Everywhere else, and on every replay marked
// engine.WithFullWaits (the first replay of a failure's final
// verification, and specgate replay), the full deadline applies. So a
// silence is never reported without a full wait, and a conformant server,
// which no full wait ever saw silent, is never judged on a short one.
//
// Why results do not depend on machine speed: a short wait only repeats a
// judgement a full wait made. A server that never answers the call stays
// silent on the short deadline too, so the shrinker sees the same
// outcomes, takes the same path and reaches the same sequence as with
// full waits everywhere, only sooner; the failure is then reported after
// one more full wait. The key is the call, not the model state: shrink
// candidates reach the failing call through different states and cells
// (one that goes silent in a neighbouring cell shows another signature
// and is rejected), and keying by state would make each of them wait in
// full. The one case judged differently is a server that was silent on a
// call for a full wait and, elsewhere in the run, answers the same call
// slower than twice its usual pace plus four deviations: that answer
// counts as silence, and the final verification's full wait shows the
// failure as flaky if it was one.
type quiescence struct {
	done *gapEstimator // the server's pace: responses, callbacks after the call

	mu        sync.Mutex
	confirmed map[silenceKey]bool

	full, short atomic.Int64 // waits that ended in silence, by deadline
}

func newQuiescence() *quiescence {
	return &quiescence{done: &gapEstimator{}, confirmed: map[silenceKey]bool{}}
}

// deadline returns how long to wait at k; short says it is cut.
func (q *quiescence) deadline(k silenceKey, lo, hi time.Duration, full bool) (time.Duration, bool) {
	if full {
		return hi, false
	}
	q.mu.Lock()
	ok := q.confirmed[k]
	q.mu.Unlock()
	if !ok {
		return hi, false
	}
	w := q.done.window(lo, hi)
	if w < hi {
		w = min(hi, max(lo, 2*w))
	}
	return w, w < hi
}

// arrived records how long the server took to answer a call or to send
// a callback after it.
func (q *quiescence) arrived(d time.Duration) {
	q.done.mu.Lock()
	q.done.add(d)
	q.done.mu.Unlock()
}

// silent records a wait that ended without the callback.
func (q *quiescence) silent(k silenceKey, short bool) {
	if short {
		q.short.Add(1)
		return
	}
	q.full.Add(1)
	q.mu.Lock()
	q.confirmed[k] = true
	q.mu.Unlock()
}
