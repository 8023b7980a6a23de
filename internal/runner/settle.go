package runner

import (
	"sync"
	"time"

	"github.com/specgate/specgate/internal/soap"
)

// gapEstimator learns how far apart a server sends the callbacks of one
// burst (Start, Checkpoints, Complete of one operation), the way TCP
// learns its retransmission timeout (RFC 6298 §2): a smoothed mean and a
// smoothed mean deviation of the samples. A late callback that belongs to
// a burst (a duplicate Complete, a checkpoint after Complete) follows the
// callback it repeats by about one such gap, so the settle window after a
// sequence is the mean plus four deviations, kept between the configured
// minimum and maximum. Timing never reaches a failure message: the
// window only decides how long to listen.
type gapEstimator struct {
	mu     sync.Mutex
	srtt   time.Duration
	rttvar time.Duration
	n      int
}

// burst adds the gaps between consecutive callbacks received in one
// step's batch.
func (g *gapEstimator) burst(evs []soap.Event) {
	if len(evs) < 2 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := 1; i < len(evs); i++ {
		g.add(evs[i].Time.Sub(evs[i-1].Time))
	}
}

// add folds one sample in (RFC 6298 with alpha 1/8, beta 1/4).
func (g *gapEstimator) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	if g.n == 0 {
		g.srtt, g.rttvar = d, d/2
	} else {
		dev := g.srtt - d
		if dev < 0 {
			dev = -dev
		}
		g.rttvar = (3*g.rttvar + dev) / 4
		g.srtt = (7*g.srtt + d) / 8
	}
	g.n++
}

// gapWarmup is how many gaps the estimator must see before it narrows
// the window. Like RFC 6298's conservative initial timeout, a handful of
// samples (one replayed sequence gives two or three) says too little
// about a loaded machine's jitter: a replay on a fresh target therefore
// always listens the full window.
const gapWarmup = 8

// window returns the settle window: srtt + 4·rttvar within [lo, hi], and
// hi until gapWarmup samples have been seen.
func (g *gapEstimator) window(lo, hi time.Duration) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n < gapWarmup {
		return hi
	}
	return min(hi, max(lo, g.srtt+4*g.rttvar))
}
