package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/specgate/specgate/models"
	"pgregory.net/rapid"
)

// Config parameterises a run.
type Config struct {
	Model   string // model name, for failures
	Profile string
	Seed    uint64 // run seed; 0 is not allowed (the CLI picks one)
	Checks  int    // number of sequences
	Steps   int    // average sequence length
	// FirstCheck offsets check numbering (sharding, corpus).
	FirstCheck int
	// ShrinkTime bounds rapid's minimisation per failure.
	ShrinkTime time.Duration
	// MaxFailures stops the run after this many distinct divergences (0 = 20).
	MaxFailures int
	// OnFailure is called once per distinct divergence, as soon as it is
	// shrunk, so the caller can write it before the run goes on.
	OnFailure func(Failure)
	// OnCheck is called after each check with the number of steps executed.
	OnCheck func(check, steps int)
	Logger  *slog.Logger
}

// Failure is one shrunk divergence.
type Failure struct {
	Model      string          `json:"model"`
	Profile    string          `json:"profile"`
	Seed       uint64          `json:"seed"`
	Check      int             `json:"check"`
	CheckSeed  uint64          `json:"checkSeed"`
	Sequence   []models.Action `json:"sequence"`
	Original   int             `json:"originalLength"`
	Divergence Divergence      `json:"divergence"`
	Transcript []string        `json:"transcript,omitempty"`
}

// Result summarises a run.
type Result struct {
	Checks      int
	Steps       int
	Failures    []Failure
	Interrupted bool
}

// Engine runs one model against one target.
type Engine struct {
	model  Model
	target Target
	gen    *rapid.Generator[[]models.Action]
	cfg    Config
	log    *slog.Logger
	seq    int // session name counter
}

// New prepares an engine.
func New(m Model, t Target, cfg Config) (*Engine, error) {
	if cfg.Seed == 0 {
		return nil, errors.New("engine: seed must be non-zero")
	}
	if cfg.Checks < 0 || cfg.Steps < 1 {
		return nil, fmt.Errorf("engine: bad checks/steps %d/%d", cfg.Checks, cfg.Steps)
	}
	gen, err := SequenceGen(m, cfg.Profile)
	if err != nil {
		return nil, err
	}
	if cfg.MaxFailures == 0 {
		cfg.MaxFailures = 20
	}
	if cfg.ShrinkTime == 0 {
		cfg.ShrinkTime = 20 * time.Second
	}
	l := cfg.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &Engine{model: m, target: t, gen: gen, cfg: cfg, log: l}, nil
}

// Run executes cfg.Checks sequences, shrinking each new divergence. When ctx
// ends, Run returns what it found so far with Interrupted set.
func (e *Engine) Run(ctx context.Context) (Result, error) {
	SetSteps(e.cfg.Steps)
	var res Result
	seen := map[string]bool{}
	for i := e.cfg.FirstCheck; i < e.cfg.FirstCheck+e.cfg.Checks; i++ {
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		seq := Generate(e.gen, e.cfg.Seed, i)
		d, steps, err := e.execute(ctx, "c"+strconv.Itoa(i), seq, true)
		res.Checks++
		res.Steps += steps
		if e.cfg.OnCheck != nil {
			e.cfg.OnCheck(i, steps)
		}
		if err != nil {
			if ctx.Err() != nil {
				res.Interrupted = true
				break
			}
			return res, err
		}
		if d == nil || seen[d.Signature()] {
			continue
		}
		seen[d.Signature()] = true
		f := e.shrink(ctx, i, seq, d)
		if seen[f.Divergence.Signature()] && f.Divergence.Signature() != d.Signature() {
			continue // shrank onto a divergence already reported
		}
		seen[f.Divergence.Signature()] = true
		res.Failures = append(res.Failures, f)
		if e.cfg.OnFailure != nil {
			e.cfg.OnFailure(f)
		}
		if len(res.Failures) >= e.cfg.MaxFailures {
			break
		}
	}
	return res, nil
}

// execute runs seq on a fresh session. It returns the first divergence and
// the number of steps executed. err is set only when no session could be
// opened.
func (e *Engine) execute(ctx context.Context, name string, seq []models.Action, record bool) (*Divergence, int, error) {
	s, err := e.target.NewSession(ctx, name, record)
	if err != nil {
		return nil, 0, err
	}
	defer s.Close(ctx)
	steps := 0
	for i, a := range seq {
		d, executed := s.Step(ctx, i, a)
		if executed {
			steps++
		}
		if d != nil {
			return d, steps, nil
		}
	}
	if f, ok := s.(Finisher); ok {
		return f.Finish(ctx, len(seq)), steps, nil
	}
	return nil, steps, nil
}

// Replay runs a stored sequence on the target and returns its first
// divergence (nil when the target conforms on it) with the transcript of
// the failing step.
func Replay(ctx context.Context, t Target, seq []models.Action) (*Divergence, []string, error) {
	s, err := t.NewSession(ctx, "replay", false)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close(ctx)
	for i, a := range seq {
		if d, _ := s.Step(ctx, i, a); d != nil {
			return d, s.Transcript(), nil
		}
	}
	if f, ok := s.(Finisher); ok {
		if d := f.Finish(ctx, len(seq)); d != nil {
			return d, s.Transcript(), nil
		}
	}
	return nil, nil, nil
}

func (e *Engine) nextName(prefix string) string {
	e.seq++
	return prefix + strconv.Itoa(e.seq)
}
