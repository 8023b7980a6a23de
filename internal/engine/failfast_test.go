package engine

import (
	"context"
	"testing"

	"github.com/specgate/specgate/models"
)

// envTarget is counterTarget's buggy SUT whose environment also refuses
// "reset" at 0: an inconclusive result with no effect, after which the
// session can go on.
type envTarget struct{ counterTarget }

type envSession struct {
	counterSession
	cont bool
}

func (t *envTarget) NewSession(context.Context, string, bool) (Session, error) {
	return &envSession{counterSession: counterSession{t: &t.counterTarget}}, nil
}

func (s *envSession) Step(ctx context.Context, i int, a models.Action) (*Divergence, bool) {
	s.cont = false
	if a.Op == "reset" && s.n == 0 {
		s.cont = true
		return &Divergence{Kind: KindInconclusive, Clause: "counter/reset", Step: i + 1, Action: a.String(),
			Expected: []string{"0"}, Observed: "refused"}, true
	}
	return s.counterSession.Step(ctx, i, a)
}

func (s *envSession) Continue(*Divergence) bool { return s.cont }

// TestFailFastPassesInconclusive: an inconclusive result (met first here)
// does not end a --fail-fast run, which goes on to the divergence; under
// StrictEnvironment the inconclusive result ends it.
func TestFailFastPassesInconclusive(t *testing.T) {
	cfg := Config{Model: "counter", Profile: "p", Seed: 5, Checks: 100000, Steps: 20, FailFast: true}
	e, _ := New(counterModel{}, &envTarget{counterTarget{buggy: true}}, cfg)
	res, _ := e.Run(context.Background())
	if !res.Stopped || len(res.Failures) != 2 {
		t.Fatalf("stopped=%v failures=%d, want stopped after 2", res.Stopped, len(res.Failures))
	}
	if res.Failures[0].Divergence.Kind != KindInconclusive || res.Failures[1].Divergence.Kind != KindDivergence {
		t.Fatalf("failures %s, %s; want inconclusive then divergence", res.Failures[0].Divergence.Kind, res.Failures[1].Divergence.Kind)
	}
	cfg.StrictEnvironment = true
	e, _ = New(counterModel{}, &envTarget{counterTarget{buggy: true}}, cfg)
	res, _ = e.Run(context.Background())
	if !res.Stopped || len(res.Failures) != 1 || res.Failures[0].Divergence.Kind != KindInconclusive {
		t.Fatalf("strict: stopped=%v failures=%d", res.Stopped, len(res.Failures))
	}
}
