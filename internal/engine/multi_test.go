package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/specgate/specgate/models"
)

// A toy model with cells: a counter 0..5; inc and dec move it (saturating),
// reset sets it to 0, probe reads it. A cell is "<n>/<op>".
type gridModel struct{}

type gridWalker struct{ n int }

var gridAlpha = []models.Action{{Op: "inc", Idx: -1}, {Op: "dec", Idx: -1}, {Op: "reset", Idx: -1}, {Op: "probe", Idx: -1}}

func (gridModel) Info() models.Info         { return models.Info{Name: "grid"} }
func (gridModel) Alphabet() []models.Action { return gridAlpha }
func (gridModel) NewWalker(string) (Walker, error) {
	return &gridWalker{}, nil
}
func (w *gridWalker) Reset()                           { w.n = 0 }
func (w *gridWalker) Judge(models.Action) (bool, bool) { return true, true }
func (w *gridWalker) Assume(a models.Action)           { w.n = gridNext(w.n, a.Op) }
func (w *gridWalker) StateKey() uint64                 { return uint64(w.n) + 1 }
func (w *gridWalker) Cell(a models.Action) string      { return strconv.Itoa(w.n) + "/" + a.Op }

func gridNext(n int, op string) int {
	switch op {
	case "inc":
		return min(n+1, 5)
	case "dec":
		return max(n-1, 0)
	case "reset":
		return 0
	}
	return n
}

// Bugs of gridTarget, each on one cell.
const (
	bugShallow    = 1 << iota // probe at 0 answers "bad" (1 step)
	bugMid                    // reset at 3 answers "stuck" (4 steps)
	bugDeep                   // dec at 5 goes to 0 (6 steps)
	bugFlaky                  // probe at 1 answers "bad" on every third such call
	bugConcurrent             // probe at 2 answers "bad" while another session is open
	bugInterrupt              // any call made after ctx ended is a crash
)

type gridTarget struct {
	bugs      int
	slow      bool // random sleeps: the answers are the same, only slower
	continues bool // sessions continue past the shallow bug
	open      atomic.Int32
	flakyN    atomic.Int64
	mu        sync.Mutex
	rng       *rand.Rand
}

func (t *gridTarget) NewSession(ctx context.Context, _ string, _ bool) (Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.open.Add(1)
	return &gridSession{t: t}, nil
}

type gridSession struct {
	t    *gridTarget
	n    int
	cont bool
}

func (s *gridSession) Step(ctx context.Context, i int, a models.Action) (*Divergence, bool) {
	t := s.t
	if t.slow {
		t.mu.Lock()
		d := time.Duration(t.rng.IntN(40)) * time.Microsecond
		t.mu.Unlock()
		time.Sleep(d)
	}
	s.cont = false
	cell := strconv.Itoa(s.n) + "/" + a.Op
	key := uint64(s.n) + 1
	if t.bugs&bugInterrupt != 0 && ctx.Err() != nil {
		return &Divergence{Kind: KindCrash, Clause: "grid/" + a.Op, Cell: cell, Step: i + 1, Action: a.String(), Observed: KindCrash, Key: key}, true
	}
	want := gridNext(s.n, a.Op)
	got, obs := want, "ok"
	switch {
	case t.bugs&bugShallow != 0 && cell == "0/probe":
		obs = "bad"
	case t.bugs&bugMid != 0 && cell == "3/reset":
		obs = "stuck"
	case t.bugs&bugDeep != 0 && cell == "5/dec":
		got = 0
	case t.bugs&bugFlaky != 0 && cell == "1/probe" && t.flakyN.Add(1)%3 == 0:
		obs = "bad"
	case t.bugs&bugConcurrent != 0 && cell == "2/probe" && t.open.Load() > 1:
		obs = "bad"
	}
	if got != want {
		obs = "went to " + strconv.Itoa(got)
	}
	if obs != "ok" {
		s.cont = cell == "0/probe" && t.continues
		if !s.cont {
			s.n = got
		}
		return &Divergence{Kind: KindDivergence, Clause: "grid/" + a.Op, Cell: cell, Step: i + 1, Action: a.String(),
			Expected: []string{"ok"}, Observed: obs, Key: key}, true
	}
	s.n = got
	return nil, true
}
func (s *gridSession) Transcript() []string      { return []string{"at " + strconv.Itoa(s.n)} }
func (s *gridSession) Close(context.Context)     { s.t.open.Add(-1) }
func (s *gridSession) Continue(*Divergence) bool { return s.cont }

func gridRun(t *testing.T, tg *gridTarget, cfg Config) (Result, []Failure) {
	t.Helper()
	var got []Failure
	cfg.Model, cfg.Profile = "grid", "p"
	if cfg.Seed == 0 {
		cfg.Seed = 99
	}
	if cfg.Steps == 0 {
		cfg.Steps = 12
	}
	cfg.OnFailure = func(f Failure) { got = append(got, f) }
	e, err := New(gridModel{}, tg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res, got
}

func byCell(fs []Failure) map[string]Failure {
	m := map[string]Failure{}
	for _, f := range fs {
		m[f.Divergence.Cell] = f
	}
	return m
}

// Every planted bug is reported, each shrunk to its own minimum, though a
// shallow one is hit by most sequences; the shallow one is fenced off.
func TestEveryBugReportedBehindAShallowOne(t *testing.T) {
	for _, cont := range []bool{false, true} {
		res, got := gridRun(t, &gridTarget{bugs: bugShallow | bugMid | bugDeep, continues: cont}, Config{Checks: 400})
		fs := byCell(got)
		want := map[string]string{
			"0/probe": "[probe()]",
			"3/reset": "[inc() inc() inc() reset()]",
			"5/dec":   "[inc() inc() inc() inc() inc() dec()]",
		}
		if len(got) != len(want) {
			t.Fatalf("continue=%v: %d failures, want %d: %v", cont, len(got), len(want), got)
		}
		for cell, seq := range want {
			f, ok := fs[cell]
			if !ok || fmt.Sprint(f.Sequence) != seq {
				t.Errorf("continue=%v: cell %s: got %v, want %s", cont, cell, f.Sequence, seq)
			}
			if f.Class != ClassConfirmed || f.Reproduced != DefaultVerify || f.Verify != DefaultVerify {
				t.Errorf("continue=%v: cell %s: class %s %s", cont, cell, f.Class, f.Reproduction())
			}
		}
		fenced := false
		for _, fc := range res.Fenced {
			fenced = fenced || fc.Cell == "0/probe"
		}
		if fenced == cont {
			t.Errorf("continue=%v: 0/probe fenced=%v (fences %v)", cont, fenced, res.Fenced)
		}
	}
}

// A baselined shallow divergence is still reported, does not count toward
// MaxFailures, and does not hide the others.
func TestBaselinedShallowDoesNotHide(t *testing.T) {
	_, got := gridRun(t, &gridTarget{bugs: bugShallow | bugMid | bugDeep}, Config{Checks: 400, MaxFailures: 2,
		Baselined: func(d *Divergence) bool { return d.Cell == "0/probe" }})
	fs := byCell(got)
	if len(got) != 3 || !fs["0/probe"].Baselined || fs["3/reset"].Baselined || fs["5/dec"].Sequence == nil {
		t.Fatalf("got %d failures: %v", len(got), got)
	}
}

// Same seed, same failures: serial, parallel, and on a target that answers
// the same after random delays.
func TestSameSeedSameFailuresAtAnySpeed(t *testing.T) {
	_, serial := gridRun(t, &gridTarget{bugs: bugShallow | bugMid | bugDeep}, Config{Checks: 300, Parallel: 1})
	for _, par := range []int{1, 4} {
		tg := &gridTarget{bugs: bugShallow | bugMid | bugDeep, slow: true, rng: rand.New(rand.NewPCG(uint64(par), 7))}
		_, got := gridRun(t, tg, Config{Checks: 300, Parallel: par})
		if !reflect.DeepEqual(got, serial) {
			t.Fatalf("parallel %d, slow: failures differ from the serial run:\n%v\n%v", par, got, serial)
		}
	}
}

// A failure that does not reproduce every time is reported once, flaky,
// with its k/K and its original sequence and transcript.
func TestFlakyFailure(t *testing.T) {
	_, got := gridRun(t, &gridTarget{bugs: bugFlaky}, Config{Checks: 200})
	if len(got) != 1 {
		t.Fatalf("%d failures, want 1: %v", len(got), got)
	}
	f := got[0]
	if f.Class != ClassFlaky || f.Reproduced >= f.Verify || f.Divergence.Cell != "1/probe" || len(f.Transcript) == 0 {
		t.Fatalf("got class %s %s cell %s transcript %v", f.Class, f.Reproduction(), f.Divergence.Cell, f.Transcript)
	}
	if len(f.Sequence) != f.Original {
		t.Fatalf("a flaky failure was shrunk: %d of %d steps", len(f.Sequence), f.Original)
	}
}

// A failure seen only with other sequences in flight never reproduces
// alone: it is concurrent-only, never confirmed.
func TestConcurrentOnlyFailure(t *testing.T) {
	tg := &gridTarget{bugs: bugConcurrent, slow: true, rng: rand.New(rand.NewPCG(1, 2))}
	_, got := gridRun(t, tg, Config{Checks: 600, Parallel: 4})
	if len(got) != 1 {
		t.Fatalf("%d failures, want 1 (sessions never overlapped?): %v", len(got), got)
	}
	if f := got[0]; f.Class != ClassConcurrentOnly || f.Reproduced != 0 {
		t.Fatalf("class %s %s, want concurrent-only 0/%d", f.Class, f.Reproduction(), f.Verify)
	}
	// Serial: the bug cannot show.
	if _, got := gridRun(t, &gridTarget{bugs: bugConcurrent}, Config{Checks: 200, Parallel: 1}); len(got) != 0 {
		t.Fatalf("serial run reported %v", got)
	}
}

// A call cut short because the run was interrupted is never a failure.
func TestInterruptInventsNothing(t *testing.T) {
	for _, at := range []int{0, 1, 7, 40} {
		ctx, cancel := context.WithCancel(context.Background())
		var got []Failure
		e, err := New(gridModel{}, &gridTarget{bugs: bugInterrupt}, Config{Model: "grid", Profile: "p", Seed: 3, Checks: 100000, Steps: 12,
			Parallel: 2, OnFailure: func(f Failure) { got = append(got, f) },
			OnCheck: func(check, _ int) {
				if check == at {
					cancel()
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Run(ctx)
		cancel()
		if err != nil || !res.Interrupted || len(got) != 0 || len(res.Failures) != 0 || len(res.Faults) != 0 {
			t.Fatalf("interrupt after check %d: err %v interrupted %v failures %v faults %v", at, err, res.Interrupted, got, res.Faults)
		}
	}
}

// Shrinking is bounded by replays: a budget of 1 still reports the
// verified original, marked exhausted, identically on every run.
func TestShrinkBudgetIsAReplayCount(t *testing.T) {
	var first []Failure
	for run := 0; run < 2; run++ {
		_, got := gridRun(t, &gridTarget{bugs: bugDeep}, Config{Checks: 600, ShrinkReplays: 1})
		if len(got) != 1 || !got[0].Exhausted || got[0].Replays != 1 || got[0].Partial != "" {
			t.Fatalf("got %v", got)
		}
		if run == 0 {
			first = got
		} else if !reflect.DeepEqual(got, first) {
			t.Fatalf("two runs differ:\n%v\n%v", got, first)
		}
	}
}
