package runner

import (
	"testing"
	"time"

	"github.com/specgate/specgate/internal/soap"
)

func TestGapEstimatorWindow(t *testing.T) {
	g := &gapEstimator{}
	lo, hi := time.Millisecond, 10*time.Millisecond
	if w := g.window(lo, hi); w != hi {
		t.Fatalf("window before any sample = %v, want the maximum %v", w, hi)
	}
	base := time.Unix(0, 0)
	evs := []soap.Event{{Time: base}, {Time: base.Add(100 * time.Microsecond)}, {Time: base.Add(200 * time.Microsecond)}}
	g.burst(evs)
	if w := g.window(lo, hi); w != hi {
		t.Fatalf("window after %d samples = %v, want the maximum %v until %d samples", g.n, w, hi, gapWarmup)
	}
	for g.n < gapWarmup {
		g.burst(evs)
	}
	if w := g.window(lo, hi); w != lo {
		t.Fatalf("window after 100µs gaps = %v, want the minimum %v", w, lo)
	}
	// Gaps of 4 ms: srtt and the deviation grow, the window follows.
	for i := 0; i < 20; i++ {
		g.burst([]soap.Event{{Time: base}, {Time: base.Add(4 * time.Millisecond)}})
	}
	w := g.window(lo, hi)
	if w <= 4*time.Millisecond || w > hi {
		t.Fatalf("window after 4ms gaps = %v, want above 4ms and at most %v", w, hi)
	}
	// A single event is no gap.
	n := g.n
	g.burst(evs[:1])
	if g.n != n {
		t.Fatalf("a single event added a sample")
	}
	// A huge gap is capped at the maximum.
	g.burst([]soap.Event{{Time: base}, {Time: base.Add(time.Second)}})
	if w := g.window(lo, hi); w != hi {
		t.Fatalf("window after a 1s gap = %v, want the maximum %v", w, hi)
	}
}
