package engine

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/specgate/specgate/models"
)

// wideModel has one state and four calls, all in cell "x", and no state
// key: the shorter-sequence search has 4^n candidates of length n, so it
// spends all of its replay budget, whatever the budget.
type wideModel struct{}

type wideWalker struct{}

var wideAlpha = []models.Action{{Op: "a", Idx: -1}, {Op: "b", Idx: -1}, {Op: "c", Idx: -1}, {Op: "d", Idx: -1}}

func (wideModel) Info() models.Info                 { return models.Info{Name: "wide"} }
func (wideModel) Alphabet() []models.Action         { return wideAlpha }
func (wideModel) NewWalker(string) (Walker, error)  { return wideWalker{}, nil }
func (wideWalker) Reset()                           {}
func (wideWalker) Judge(models.Action) (bool, bool) { return true, true }
func (wideWalker) Assume(models.Action)             {}
func (wideWalker) Cell(models.Action) string        { return "x" }

// wideTarget fails on the wideLen-th call of a session, whatever the calls:
// only a sequence of wideLen calls or more fails, so every search
// candidate passes. Every sample-th session measures the live heap.
type wideTarget struct {
	mu       sync.Mutex // workers run checks while shrink replays run
	sessions int
	sample   int
	peak     uint64
}

const wideLen = 12

// wideSample: every wideSample-th session samples the live heap.
const wideSample = 250

type wideSession struct{ n int }

func (t *wideTarget) NewSession(context.Context, string, bool) (Session, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sessions++
	if t.sample > 0 && t.sessions%t.sample == 0 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.peak = max(t.peak, ms.HeapAlloc)
	}
	return &wideSession{}, nil
}

func (s *wideSession) Step(_ context.Context, i int, a models.Action) (*Divergence, bool) {
	if s.n++; s.n < wideLen {
		return nil, true
	}
	return &Divergence{Kind: KindDivergence, Clause: "wide/" + strconv.Itoa(wideLen), Cell: "x", Step: i,
		Action: a.String(), Expected: []string{"ok"}, Observed: "bad"}, true
}
func (s *wideSession) Transcript() []string  { return []string{"call " + strconv.Itoa(s.n)} }
func (s *wideSession) Close(context.Context) {}

// wideShrink runs checks until the first failure and shrinks it on a
// budget of replays; it returns the replays shrinking took and the peak
// live heap growth over the run (sampled every wideSample sessions).
func wideShrink(t testing.TB, budget int) (replays int, growth int64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	tg := &wideTarget{sample: wideSample}
	e, err := New(wideModel{}, tg, Config{Model: "wide", Profile: "p", Seed: 5, Checks: 200, Steps: 40,
		FailFast: true, ShrinkReplays: budget, Verify: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 1 {
		t.Fatalf("budget %d: %d failures, want 1", budget, len(res.Failures))
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return res.Failures[0].Replays, int64(tg.peak) - int64(base)
}

// Shrinking keeps nothing per replay that grows with the budget: spending
// 4x the replays on one failure does not grow the peak live heap by more
// than a fixed allowance (the search's visited states are bounded by
// searchNodes, not by the budget).
func TestShrinkMemoryIndependentOfBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test spends 40,000 shrink replays; make test runs it")
	}
	const n = 10_000
	r1, g1 := wideShrink(t, n)
	r4, g4 := wideShrink(t, 4*n)
	if r1 < n/2 || r4 < 4*n/2 {
		t.Fatalf("the search did not spend its budget: %d of %d, %d of %d replays", r1, n, r4, 4*n)
	}
	t.Logf("%d replays: peak live heap +%d KB; %d replays: +%d KB", r1, g1>>10, r4, g4>>10)
	// The extra replays may cost at most 40 bytes each at peak: the memo
	// and the search frontier are capped, so what grows is only their
	// filling up to the caps. A shrink that kept a transcript, a buffer
	// or a timer per replay, or an exact text key per candidate (about
	// 150 bytes), fails this.
	if allow := int64(r4-r1) * 40; g4-g1 > allow {
		t.Fatalf("peak live heap grows with the shrink budget: +%d KB at %d replays, +%d KB at %d (allowed +%d KB)",
			g1>>10, r1, g4>>10, r4, allow>>10)
	}
}

// BenchmarkShrinkReplayMemory shrinks one failure of the wide model on a
// budget of 20,000 replays (the search spends half of it) and reports
// the bytes allocated per shrink replay and the peak live heap growth per
// shrink replay (what a shrink keeps while it runs, divided by its
// replays): a shrink whose memory grows with its budget shows in the
// second.
func BenchmarkShrinkReplayMemory(b *testing.B) {
	var alloc, live float64
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		replays, growth := wideShrink(b, 20_000)
		runtime.ReadMemStats(&after)
		alloc = float64(after.TotalAlloc-before.TotalAlloc) / float64(replays)
		live = float64(growth) / float64(replays)
	}
	b.ReportMetric(alloc, "alloc-B/replay")
	b.ReportMetric(live, "live-B/replay")
}
