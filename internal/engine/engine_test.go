package engine

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/specgate/specgate/models"
)

// A toy model: a counter that must never exceed 3; "inc" is legal below 3,
// "dec" above 0, "reset" always.
type counterModel struct{}

type counterWalker struct{ n int }

func (counterModel) Info() models.Info { return models.Info{Name: "counter"} }
func (counterModel) Alphabet() []models.Action {
	return []models.Action{{Op: "inc", Idx: -1}, {Op: "dec", Idx: -1}, {Op: "reset", Idx: -1}}
}
func (counterModel) NewWalker(profile string) (Walker, error) {
	if profile != "p" {
		return nil, fmt.Errorf("unknown profile %q", profile)
	}
	return &counterWalker{}, nil
}
func (w *counterWalker) Reset() { w.n = 0 }
func (w *counterWalker) Judge(a models.Action) (bool, bool) {
	switch a.Op {
	case "inc":
		return true, w.n < 3
	case "dec":
		return true, w.n > 0
	}
	return true, true
}
func (w *counterWalker) Assume(a models.Action) {
	switch a.Op {
	case "inc":
		if w.n < 3 {
			w.n++
		}
	case "dec":
		if w.n > 0 {
			w.n--
		}
	case "reset":
		w.n = 0
	}
}

// counterTarget is a SUT with a bug: "dec" at 2 goes to 0.
type counterTarget struct{ buggy bool }

type counterSession struct {
	t *counterTarget
	n int
}

func (t *counterTarget) NewSession(context.Context, string, bool) (Session, error) {
	return &counterSession{t: t}, nil
}
func (s *counterSession) Step(_ context.Context, i int, a models.Action) (*Divergence, bool) {
	want := s.n
	switch a.Op {
	case "inc":
		if s.n < 3 {
			want++
		}
	case "dec":
		if s.n > 0 {
			want--
		}
	case "reset":
		want = 0
	}
	got := want
	if s.t.buggy && a.Op == "dec" && s.n == 2 {
		got = 0
	}
	s.n = got
	if got != want {
		return &Divergence{Kind: KindDivergence, Clause: "counter/dec", Step: i + 1, Action: a.String(),
			Expected: []string{fmt.Sprint(want)}, Observed: fmt.Sprint(got)}, true
	}
	return nil, true
}
func (s *counterSession) Transcript() []string  { return nil }
func (s *counterSession) Close(context.Context) {}

func TestSameSeedSameSequences(t *testing.T) {
	gen, err := SequenceGen(counterModel{}, "p")
	if err != nil {
		t.Fatal(err)
	}
	SetSteps(20)
	for i := 0; i < 20; i++ {
		a, b := Generate(gen, 7, i), Generate(gen, 7, i)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("check %d: the same seed gave %v and %v", i, a, b)
		}
	}
	if reflect.DeepEqual(Generate(gen, 7, 0), Generate(gen, 8, 0)) && reflect.DeepEqual(Generate(gen, 7, 1), Generate(gen, 8, 1)) {
		t.Fatal("different seeds gave the same sequences")
	}
	if CheckSeed(1, 0) == 0 || CheckSeed(1, 0) == CheckSeed(1, 1) {
		t.Fatal("check seeds are not distinct and non-zero")
	}
}

func TestFindsAndShrinksToMinimum(t *testing.T) {
	for _, par := range []int{1, 3} {
		var got []Failure
		e, err := New(counterModel{}, &counterTarget{buggy: true}, Config{Model: "counter", Profile: "p", Seed: 5,
			Checks: 300, Steps: 20, Parallel: par, OnFailure: func(f Failure) { got = append(got, f) }})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || res.Checks != 300 {
			t.Fatalf("parallel %d: %d failures after %d checks", par, len(got), res.Checks)
		}
		// The minimum is inc, inc, dec.
		if s := fmt.Sprint(got[0].Sequence); s != "[inc() inc() dec()]" || got[0].Original < 3 {
			t.Fatalf("parallel %d: shrunk to %s (from %d)", par, s, got[0].Original)
		}
	}
	// A conformant target: nothing found, every check ran.
	e, _ := New(counterModel{}, &counterTarget{}, Config{Model: "counter", Profile: "p", Seed: 5, Checks: 100, Steps: 20})
	res, _ := e.Run(context.Background())
	if len(res.Failures) != 0 || res.Checks != 100 || res.Steps == 0 {
		t.Fatalf("conformant run: %+v", res)
	}
}

func TestDeletePassIsOneMinimal(t *testing.T) {
	in := []models.Action{{Op: "a"}, {Op: "x"}, {Op: "b"}, {Op: "y"}, {Op: "c"}}
	fails := func(s []models.Action) bool { // fails iff a, b, c appear in order
		want := "abc"
		for _, a := range s {
			if len(want) > 0 && a.Op == want[:1] {
				want = want[1:]
			}
		}
		return want == ""
	}
	out := deletePass(in, fails)
	if fmt.Sprint(out) != fmt.Sprint([]models.Action{{Op: "a"}, {Op: "b"}, {Op: "c"}}) {
		t.Fatalf("deletePass = %v", out)
	}
}

func TestFailFastAndInterrupt(t *testing.T) {
	e, _ := New(counterModel{}, &counterTarget{buggy: true}, Config{Model: "counter", Profile: "p", Seed: 5, Checks: 100000, Steps: 20, FailFast: true})
	res, _ := e.Run(context.Background())
	if !res.Stopped || res.Checks >= 100000 || len(res.Failures) != 1 {
		t.Fatalf("fail-fast: stopped=%v checks=%d failures=%d", res.Stopped, res.Checks, len(res.Failures))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e, _ = New(counterModel{}, &counterTarget{}, Config{Model: "counter", Profile: "p", Seed: 5, Checks: 1000, Steps: 20})
	res, _ = e.Run(ctx)
	if !res.Interrupted {
		t.Fatal("a cancelled run is not marked interrupted")
	}
	if _, err := New(counterModel{}, &counterTarget{}, Config{Profile: "nope", Seed: 1, Steps: 1}); err == nil {
		t.Fatal("unknown profile accepted")
	}
	if _, err := New(counterModel{}, &counterTarget{}, Config{Profile: "p", Seed: 0, Steps: 1}); err == nil {
		t.Fatal("seed 0 accepted")
	}
}
