package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
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
	// ShrinkTime bounds rapid's minimisation per failure (the deterministic
	// passes after it are not bounded: they make the result 1-minimal).
	ShrinkTime time.Duration
	// MaxFailures bounds how many distinct divergences are shrunk and
	// reported (0 = 20). Every check still runs, so coverage and step
	// counts do not depend on when the bound is reached.
	MaxFailures int
	// FailFast stops the run after the first divergence has been shrunk
	// and reported (the run is then not complete: Result.Stopped is set).
	FailFast bool
	// Parallel is the number of sequences in flight (0 or 1 = serial).
	// Results are identical to a serial run: checks are committed in order.
	Parallel int
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
	// Stopped is set when FailFast ended the run early.
	Stopped bool
}

// Engine runs one model against one target.
type Engine struct {
	model  Model
	target Target
	gen    *rapid.Generator[[]models.Action]
	cfg    Config
	log    *slog.Logger
	seq    atomic.Int64 // session name counter
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
//
// With Parallel > 1, workers generate and execute checks concurrently and
// a coordinator commits their results strictly in check order, shrinking
// new divergences as it meets them, so a parallel run reports the same
// divergences, failure files and coverage as a serial run of the same seed.
func (e *Engine) Run(ctx context.Context) (Result, error) {
	SetSteps(e.cfg.Steps)
	workers := max(1, e.cfg.Parallel)
	first, end := e.cfg.FirstCheck, e.cfg.FirstCheck+e.cfg.Checks
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type checkResult struct {
		i     int
		seq   []models.Action
		d     *Divergence
		steps int
		err   error
	}
	results := make(chan checkResult, 2*workers)
	var next atomic.Int64
	next.Store(int64(first))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= end || wctx.Err() != nil {
					return
				}
				seq := e.generate(i)
				d, steps, err := e.execute(wctx, "c"+strconv.Itoa(i), seq, true)
				select {
				case results <- checkResult{i, seq, d, steps, err}:
				case <-wctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	var res Result
	seen := map[string]bool{}
	pending := map[int]checkResult{}
	want := first
	for r := range results {
		pending[r.i] = r
		for {
			c, ok := pending[want]
			if !ok {
				break
			}
			delete(pending, want)
			want++
			if c.err != nil {
				if ctx.Err() != nil {
					res.Interrupted = true
					break
				}
				cancel()
				return res, c.err
			}
			res.Checks++
			res.Steps += c.steps
			if e.cfg.OnCheck != nil {
				e.cfg.OnCheck(c.i, c.steps)
			}
			if c.d == nil || seen[c.d.Signature()] || len(res.Failures) >= e.cfg.MaxFailures {
				continue
			}
			seen[c.d.Signature()] = true
			f := e.shrink(ctx, c.i, c.seq, c.d, seen)
			if seen[f.Divergence.Signature()] && f.Divergence.Signature() != c.d.Signature() {
				continue // shrank onto a divergence already reported
			}
			seen[f.Divergence.Signature()] = true
			res.Failures = append(res.Failures, f)
			if e.cfg.OnFailure != nil {
				e.cfg.OnFailure(f)
			}
			if e.cfg.FailFast {
				res.Stopped = true
				break
			}
		}
		if res.Interrupted || res.Stopped {
			break
		}
	}
	if ctx.Err() != nil && want < end && !res.Stopped {
		res.Interrupted = true
	}
	cancel()
	for range results { // let the workers finish
	}
	return res, nil
}

func (e *Engine) generate(i int) []models.Action {
	rapidMu.RLock()
	defer rapidMu.RUnlock()
	return Generate(e.gen, e.cfg.Seed, i)
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
	return prefix + strconv.FormatInt(e.seq.Add(1), 10)
}
