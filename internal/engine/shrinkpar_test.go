package engine

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/models"
)

// phaseTarget wraps a gridTarget and watches what runs while a failure is
// processed: how many checks start while one of its shrink replays is in
// flight, and whether anything else is open during a verification replay.
type phaseTarget struct {
	grid *gridTarget
	// shrinkStep slows each step of a shrink replay, so that shrinking
	// lasts long enough for workers to be seen (or not) meanwhile.
	shrinkStep time.Duration

	mu               sync.Mutex
	shrinking        int // shrink replays open
	verifying        int // verification replays open
	open             int // sessions open
	checksInShrink   int // checks started while a shrink replay was open
	crowdedVerifying int // verification steps run with another session open
}

type phaseSession struct {
	t    *phaseTarget
	kind byte // 'c' check, 's' shrink, 'v' verify
	Session
}

func (t *phaseTarget) NewSession(ctx context.Context, name string, record bool) (Session, error) {
	s, err := t.grid.NewSession(ctx, name, record)
	if err != nil {
		return nil, err
	}
	kind := byte('c')
	if i := strings.IndexByte(name, '-'); i >= 0 && i+1 < len(name) {
		kind = name[i+1]
		if kind == 'w' {
			kind = 'v'
		}
	}
	t.mu.Lock()
	t.open++
	switch kind {
	case 'c':
		if t.shrinking > 0 {
			t.checksInShrink++
		}
	case 's':
		t.shrinking++
	case 'v':
		t.verifying++
	}
	t.mu.Unlock()
	return &phaseSession{t: t, kind: kind, Session: s}, nil
}

func (s *phaseSession) Step(ctx context.Context, i int, a models.Action) (*Divergence, bool) {
	t := s.t
	if s.kind == 's' && t.shrinkStep > 0 {
		time.Sleep(t.shrinkStep)
	}
	if s.kind == 'v' {
		t.mu.Lock()
		if t.open > 1 {
			t.crowdedVerifying++
		}
		t.mu.Unlock()
	}
	return s.Session.Step(ctx, i, a)
}

func (s *phaseSession) Close(ctx context.Context) {
	s.Session.Close(ctx)
	t := s.t
	t.mu.Lock()
	t.open--
	switch s.kind {
	case 's':
		t.shrinking--
	case 'v':
		t.verifying--
	}
	t.mu.Unlock()
}

func (s *phaseSession) Continue(d *Divergence) bool { return s.Session.(Continuer).Continue(d) }

func phaseRun(t *testing.T, pt *phaseTarget, cfg Config) []Failure {
	t.Helper()
	var got []Failure
	cfg.Model, cfg.Profile, cfg.Seed, cfg.Steps = "grid", "p", 99, 12
	cfg.OnFailure = func(f Failure) { got = append(got, f) }
	e, err := New(gridModel{}, pt, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return got
}

// Shrinking does not pause the workers: checks go on while a failure's
// shrink replays run, and only the verification replays run alone. The
// failures (shrunk sequences included) are those of a serial run.
func TestWorkersRunWhileShrinking(t *testing.T) {
	var serial []Failure
	for _, par := range []int{1, 2} {
		pt := &phaseTarget{grid: &gridTarget{bugs: bugShallow | bugMid | bugDeep}, shrinkStep: 200 * time.Microsecond}
		got := phaseRun(t, pt, Config{Checks: 400, Parallel: par})
		if len(got) < 3 {
			t.Fatalf("parallel %d: %d failures, want the 3 planted bugs", par, len(got))
		}
		if pt.checksInShrink == 0 {
			t.Errorf("parallel %d: no check started while a failure was shrunk: shrinking paused the workers", par)
		}
		if pt.crowdedVerifying != 0 {
			t.Errorf("parallel %d: %d verification steps ran with another sequence in flight", par, pt.crowdedVerifying)
		}
		if par == 1 {
			serial = got
		} else if !reflect.DeepEqual(got, serial) {
			t.Errorf("parallel %d: failures differ from the serial run:\n%v\n%v", par, got, serial)
		}
	}
}
