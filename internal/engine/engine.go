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

// Defaults of Config.
const (
	// DefaultShrinkReplays bounds the replays spent shrinking one failure.
	DefaultShrinkReplays = 1000
	// DefaultVerify is how many times a failure is replayed alone before it
	// is reported.
	DefaultVerify = 3
	// DefaultMaxFailures bounds the distinct failures shrunk and reported.
	DefaultMaxFailures = 20
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
	// ShrinkReplays bounds the replays spent shrinking one failure (0 =
	// DefaultShrinkReplays). It is a count, not a time, so the shrunk
	// sequence is the same on a fast or a loaded machine.
	ShrinkReplays int
	// ShrinkTime, when positive, is an escape hatch: shrinking one failure
	// stops after it, and a failure it cut short is marked partial. Zero
	// (the default) sets no time bound.
	ShrinkTime time.Duration
	// Verify is how many times each failure is replayed on a fresh session
	// before it is reported (0 = DefaultVerify).
	Verify int
	// MaxFailures bounds how many distinct failures are shrunk and
	// reported (0 = DefaultMaxFailures); baselined ones do not count.
	// Every check still runs, so coverage and step counts do not depend on
	// when the bound is reached.
	MaxFailures int
	// FailFast stops the run after the first failure has been reported
	// (the run is then not complete: Result.Stopped is set). An
	// inconclusive result (KindInconclusive) does not stop it unless
	// StrictEnvironment is set: it does not fail the gate either.
	FailFast bool
	// StrictEnvironment makes an inconclusive result count as a failure
	// for FailFast.
	StrictEnvironment bool
	// Parallel is the number of sequences in flight (0 or 1 = serial).
	// Results are identical to a serial run: checks are committed in order.
	Parallel int
	// Baselined, when set, says whether the caller's baseline lists a
	// divergence. A baselined failure is still shrunk and reported (the
	// caller decides what it means for the verdict) but does not count
	// toward MaxFailures.
	Baselined func(*Divergence) bool
	// OnFailure is called once per distinct failure, as soon as it is
	// verified and shrunk, so the caller can write it before the run goes on.
	OnFailure func(Failure)
	// OnCheck is called after each check with the number of steps executed.
	OnCheck func(check, steps int)
	Logger  *slog.Logger
}

// Failure classes.
const (
	// ClassConfirmed: the shrunk sequence reproduced on every verification.
	ClassConfirmed = "confirmed"
	// ClassFlaky: the failure did not reproduce on every verification.
	ClassFlaky = "flaky"
	// ClassConcurrentOnly: the failure never reproduced alone, and it was
	// seen while other sequences were in flight on the same SUT.
	ClassConcurrentOnly = "concurrent-only"
)

// Failure is one distinct, verified divergence.
type Failure struct {
	Model     string `json:"model"`
	Profile   string `json:"profile"`
	Seed      uint64 `json:"seed"`
	Check     int    `json:"check"`
	CheckSeed uint64 `json:"checkSeed"`
	// Sequence is the shrunk sequence, or the original one when the
	// failure is not confirmed (flaky, concurrent-only).
	Sequence   []models.Action `json:"sequence"`
	Original   int             `json:"originalLength"`
	Divergence Divergence      `json:"divergence"`
	Transcript []string        `json:"transcript,omitempty"`
	// Answers holds, per step of Sequence up to the failing one, what the
	// SUT answered (Answerer), from the replay that verified it; "" for a
	// step the model skipped. Empty when the session cannot say.
	Answers []string `json:"answers,omitempty"`
	// Class is ClassConfirmed, ClassFlaky or ClassConcurrentOnly.
	Class string `json:"class"`
	// Reproduced of Verify replays showed the same signature.
	Reproduced int `json:"reproduced"`
	Verify     int `json:"verify"`
	// Replays is how many replays shrinking took.
	Replays int `json:"shrinkReplays"`
	// Exhausted is set when shrinking used up Config.ShrinkReplays: the
	// sequence may not be minimal (the result is still deterministic).
	Exhausted bool `json:"shrinkBudgetExhausted,omitempty"`
	// Partial says why shrinking was cut short by something other than the
	// replay count ("shrink-time", "interrupted"); such a result may differ
	// from run to run.
	Partial string `json:"partial,omitempty"`
	// Baselined is set when Config.Baselined listed the divergence.
	Baselined bool `json:"baselined,omitempty"`
	// Note explains an unusual classification in one sentence.
	Note string `json:"note,omitempty"`
}

// Reproduction renders "reproduced k/K".
func (f *Failure) Reproduction() string {
	return "reproduced " + strconv.Itoa(f.Reproduced) + "/" + strconv.Itoa(f.Verify)
}

// Result summarises a run.
type Result struct {
	Checks   int
	Steps    int
	Failures []Failure
	// Fenced lists the calls the generator stopped proposing, in the order
	// they were fenced.
	Fenced []Fence
	// Faults counts the transport faults by kind.
	Faults []FaultStat
	// Unreported counts the distinct signatures seen after MaxFailures was
	// reached (known, so they did not stop the search, but not shrunk).
	Unreported  int
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
	index  map[models.Action]int // alphabet index of each action
	cur    atomic.Pointer[knowledge]
	// execMu lets the coordinator replay alone: workers hold it shared
	// while they run a check, verification holds it exclusively.
	execMu   sync.RWMutex
	inflight atomic.Int32
	class    map[string]string // signature -> class of its failure
}

// New prepares an engine.
func New(m Model, t Target, cfg Config) (*Engine, error) {
	if cfg.Seed == 0 {
		return nil, errors.New("engine: seed must be non-zero")
	}
	if cfg.Checks < 0 || cfg.Steps < 1 {
		return nil, fmt.Errorf("engine: bad checks/steps %d/%d", cfg.Checks, cfg.Steps)
	}
	if cfg.ShrinkReplays < 0 || cfg.Verify < 0 || cfg.MaxFailures < 0 {
		return nil, fmt.Errorf("engine: negative shrink replays, verify or max failures (%d, %d, %d)",
			cfg.ShrinkReplays, cfg.Verify, cfg.MaxFailures)
	}
	e := &Engine{model: m, target: t, cfg: cfg, index: map[models.Action]int{}, class: map[string]string{}}
	e.cur.Store(&knowledge{known: map[string]bool{}})
	gen, err := sequenceGen(m, cfg.Profile, e.cur.Load)
	if err != nil {
		return nil, err
	}
	e.gen = gen
	for i, a := range m.Alphabet() {
		if _, dup := e.index[a]; !dup {
			e.index[a] = i
		}
	}
	if e.cfg.MaxFailures == 0 {
		e.cfg.MaxFailures = DefaultMaxFailures
	}
	if e.cfg.ShrinkReplays == 0 {
		e.cfg.ShrinkReplays = DefaultShrinkReplays
	}
	if e.cfg.Verify == 0 {
		e.cfg.Verify = DefaultVerify
	}
	e.log = cfg.Logger
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e, nil
}

// checkResult is what executing one sequence found.
type checkResult struct {
	i   int
	seq []models.Action
	kn  *knowledge
	// d is the first divergence the run did not know yet (nil if none).
	d          *Divergence
	transcript []string
	answers    []string // per step, in replays (not exploring runs) of an Answerer
	// stop is the known divergence the session could not continue from.
	stop        *Divergence
	steps       int
	concurrent  bool // another sequence was in flight during the check
	interrupted bool // ctx ended before the sequence did
	err         error
	sess        Session
}

func (r *checkResult) commit(keep bool) {
	if c, ok := r.sess.(Committer); ok {
		c.Commit(keep)
	}
	r.sess = nil
}

// Run executes cfg.Checks sequences, reporting each distinct failure once,
// verified and shrunk. When ctx ends, Run returns what it found so far
// with Interrupted set.
//
// Workers generate and execute checks concurrently; a coordinator commits
// their results strictly in check order. A check depends on what the run
// knew when it started (the signatures seen, the calls fenced), so the
// coordinator commits it only if it ran on the knowledge of every earlier
// check, and otherwise runs it again. A parallel run therefore reports the
// same failures, failure files and coverage as a serial run of the seed.
func (e *Engine) Run(ctx context.Context) (Result, error) {
	SetSteps(e.cfg.Steps)
	workers := max(1, e.cfg.Parallel)
	first, end := e.cfg.FirstCheck, e.cfg.FirstCheck+e.cfg.Checks
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// tokens keep workers at most `workers` checks ahead of the commit:
	// a serial run never runs a check on stale knowledge.
	tokens := make(chan struct{}, workers)
	for range workers {
		tokens <- struct{}{}
	}
	// Room for the checks run on lent tokens too (see lend).
	results := make(chan checkResult, workers*(lookahead+1))
	var next atomic.Int64
	next.Store(int64(first))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-tokens:
				case <-wctx.Done():
					return
				}
				i := int(next.Add(1) - 1)
				if i >= end || wctx.Err() != nil {
					return
				}
				e.execMu.RLock()
				seq, kn := e.generate(i)
				r := e.execute(wctx, "c"+strconv.Itoa(i), seq, true, kn)
				e.execMu.RUnlock()
				r.i, r.seq, r.kn = i, seq, kn
				select {
				case results <- r:
				case <-wctx.Done():
					r.commit(false)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	var res Result
	faults := map[string]*FaultStat{}
	pending := map[int]checkResult{}
	want := first
	debt := 0 // tokens lent to the workers and not yet repaid
	var runErr error
loop:
	for r := range results {
		pending[r.i] = r
		for {
			c, ok := pending[want]
			if !ok {
				break
			}
			delete(pending, want)
			want++
			if c.err == nil && !c.interrupted && c.kn != e.cur.Load() {
				// Run on stale knowledge: run it again on the current one.
				c.commit(false)
				seq, kn := e.generate(c.i)
				again := e.execute(ctx, "c"+strconv.Itoa(c.i), seq, true, kn)
				again.i, again.seq, again.kn = c.i, seq, kn
				c = again
			}
			if c.err != nil || c.interrupted || ctx.Err() != nil {
				c.commit(false)
				if ctx.Err() != nil || c.interrupted {
					res.Interrupted = true
				} else {
					runErr = c.err
				}
				break loop
			}
			c.commit(true)
			if debt > 0 {
				debt-- // repay a token lent while a failure was processed
			} else {
				tokens <- struct{}{}
			}
			debt += e.commitCheck(ctx, &res, faults, c, tokens)
			if res.Interrupted || res.Stopped {
				break loop
			}
		}
	}
	if ctx.Err() != nil && want < end && !res.Stopped {
		res.Interrupted = true
	}
	cancel()
	for r := range results { // let the workers finish
		r.commit(false)
	}
	for _, r := range pending {
		r.commit(false)
	}
	res.Faults = sortedFaults(faults)
	return res, runErr
}

// commitCheck counts check c and reports or fences what it ran into. It
// returns how many tokens it lent the workers while it processed a new
// failure (see lend).
func (e *Engine) commitCheck(ctx context.Context, res *Result, faults map[string]*FaultStat, c checkResult, tokens chan<- struct{}) (lent int) {
	res.Checks++
	res.Steps += c.steps
	if e.cfg.OnCheck != nil {
		e.cfg.OnCheck(c.i, c.steps)
	}
	for _, d := range []*Divergence{c.stop, c.d} {
		if d == nil || !IsTransport(d.Kind) {
			continue
		}
		if fs, ok := faults[d.Kind]; ok {
			fs.Occurrences++
		} else {
			faults[d.Kind] = &FaultStat{Kind: d.Kind, Occurrences: 1, FirstCheck: c.i, FirstStep: d.Step, FirstLength: len(c.seq), FirstAction: d.Action}
		}
	}
	if c.stop != nil {
		e.fence(res, c)
	}
	if c.d == nil {
		return 0
	}
	sig := c.d.Signature()
	baselined := e.cfg.Baselined != nil && e.cfg.Baselined(c.d)
	if !baselined && e.reported(res) >= e.cfg.MaxFailures {
		res.Unreported++
		e.publish(e.cur.Load().withKnown(sig))
		e.class[sig] = ClassConfirmed
		return 0
	}
	// The signature is known from here on, as it is for every later check
	// of a serial run: the checks workers run while it is processed stand.
	e.publish(e.cur.Load().withKnown(sig))
	stop, lentc := e.lend(tokens, e.ends(c.d))
	f, ok := e.process(ctx, c)
	close(stop)
	lent = <-lentc
	e.class[sig] = f.Class
	if !ok {
		res.Interrupted = true
		return
	}
	f.Baselined = baselined
	res.Failures = append(res.Failures, f)
	if e.cfg.OnFailure != nil {
		e.cfg.OnFailure(f)
	}
	if e.ends(c.d) {
		res.Stopped = true
	}
	return lent
}

// ends reports whether failure d ends a FailFast run.
func (e *Engine) ends(d *Divergence) bool {
	return e.cfg.FailFast && (d.Kind != KindInconclusive || e.cfg.StrictEnvironment)
}

// lookahead bounds the checks workers run ahead of the commit, per
// worker, while a failure is verified and shrunk.
const lookahead = 32

// lend hands the workers up to lookahead tokens per worker until stop is
// closed, so that they keep running later checks while the coordinator
// processes a failure instead of waiting for it (none under FailFast);
// the count lent arrives on the returned channel once stop is closed.
// Those checks run on the knowledge the run has after the failure (its
// signature is published first) and are committed in order afterwards, so
// a lent token changes nothing but when a check runs.
func (e *Engine) lend(tokens chan<- struct{}, last bool) (stop chan struct{}, lent <-chan int) {
	stop = make(chan struct{})
	out := make(chan int, 1)
	go func() {
		n, limit := 0, lookahead*max(1, e.cfg.Parallel)
		if last {
			// The run ends with this failure: later checks would be
			// dropped, and would only slow its shrink replays down.
			limit = 0
		}
		for ; n < limit; n++ {
			select {
			case tokens <- struct{}{}:
			case <-stop:
				out <- n
				return
			}
		}
		<-stop
		out <- n
	}()
	return stop, out
}

func (e *Engine) reported(res *Result) int {
	n := 0
	for i := range res.Failures {
		if !res.Failures[i].Baselined {
			n++
		}
	}
	return n
}

// fence stops the generator from proposing the call that ran into a known
// divergence, in the state it ran into it, unless the failure is not
// reproducible (a flaky failure is not tied to a call).
func (e *Engine) fence(res *Result, c checkResult) {
	d := c.stop
	sig := d.Signature()
	if cl := e.class[sig]; cl == ClassFlaky || cl == ClassConcurrentOnly {
		return
	}
	if d.Key == 0 || d.Step < 1 || d.Step > len(c.seq) {
		return
	}
	idx, ok := e.index[c.seq[d.Step-1]]
	if !ok || e.cur.Load().fenced(d.Key, idx) {
		return
	}
	e.publish(e.cur.Load().withFence(d.Key, idx))
	res.Fenced = append(res.Fenced, Fence{Cell: d.Cell, Action: d.Action, Signature: sig, Check: c.i})
	e.log.Info("call fenced off", "cell", d.Cell, "action", d.Action, "signature", sig)
}

// publish makes k the run's knowledge. Generation holds rapidMu shared, so
// a sequence is drawn on one consistent knowledge.
func (e *Engine) publish(k *knowledge) {
	rapidMu.Lock()
	e.cur.Store(k)
	rapidMu.Unlock()
}

func (e *Engine) generate(i int) ([]models.Action, *knowledge) {
	rapidMu.RLock()
	defer rapidMu.RUnlock()
	return Generate(e.gen, e.cfg.Seed, i), e.cur.Load()
}

// execute runs seq on a fresh session. Known divergences (kn) do not end
// the sequence when the session can continue from them; the first unknown
// one does. err is set only when no session could be opened for a reason
// other than ctx ending.
func (e *Engine) execute(ctx context.Context, name string, seq []models.Action, record bool, kn *knowledge) (r checkResult) {
	s, err := e.target.NewSession(ctx, name, record)
	if err != nil {
		if ctx.Err() != nil {
			return checkResult{interrupted: true}
		}
		return checkResult{err: err}
	}
	r.sess = s
	e.inflight.Add(1)
	defer e.inflight.Add(-1)
	defer s.Close(ctx)
	concurrent := func() {
		if e.inflight.Load() > 1 {
			r.concurrent = true
		}
	}
	ans, _ := s.(Answerer)
	if record {
		ans = nil // exploring runs keep no answers
	}
	for i, a := range seq {
		concurrent()
		d, executed := s.Step(ctx, i, a)
		if executed {
			r.steps++
		}
		if ans != nil {
			answer := ""
			if executed {
				answer = ans.Answer()
			}
			r.answers = append(r.answers, answer)
		}
		if ctx.Err() != nil {
			// A call cut short by the harness says nothing about the SUT.
			r.interrupted = true
			return r
		}
		if d == nil {
			continue
		}
		if kn.isKnown(d) {
			if c, ok := s.(Continuer); ok && c.Continue(d) {
				continue
			}
			r.stop = d
			return r
		}
		r.d, r.transcript = d, s.Transcript()
		return r
	}
	if f, ok := s.(Finisher); ok {
		d := f.Finish(ctx, len(seq))
		if ctx.Err() != nil {
			r.interrupted = true
			return r
		}
		if d != nil && !kn.isKnown(d) {
			r.d, r.transcript = d, s.Transcript()
		}
	}
	concurrent()
	return r
}

// Replay runs a stored sequence on the target and returns its first
// divergence (nil when the target conforms on it) with the transcript of
// the failing step.
func Replay(ctx context.Context, t Target, seq []models.Action) (*Divergence, []string, error) {
	return ReplaySteps(ctx, t, seq, nil)
}

// StepResult is one step of a replay as ReplaySteps reports it.
type StepResult struct {
	// Step is the 1-based step number; len(sequence)+1 for the check made
	// after the last step (late callbacks), whose Action is nil.
	Step     int
	Action   *models.Action
	Executed bool        // false: the model could not judge the action there (skipped)
	D        *Divergence // nil: the step conformed
	Wire     []string    // the wire transcript of the step
}

// ReplaySteps is Replay that also hands every step, as it is judged, to
// each (which may be nil): its number, action, wire transcript and
// verdict. It stops at the first divergence, as Replay does.
func ReplaySteps(ctx context.Context, t Target, seq []models.Action, each func(StepResult)) (*Divergence, []string, error) {
	ctx = WithFullWaits(ctx)
	s, err := t.NewSession(ctx, "replay", false)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close(ctx)
	for i := range seq {
		d, executed := s.Step(ctx, i, seq[i])
		if d != nil && ctx.Err() != nil {
			return nil, nil, fmt.Errorf("replay interrupted: %w", ctx.Err())
		}
		if each != nil {
			var wire []string
			if executed {
				wire = s.Transcript()
			}
			each(StepResult{Step: i + 1, Action: &seq[i], Executed: executed, D: d, Wire: wire})
		}
		if d != nil {
			return d, s.Transcript(), nil
		}
	}
	if f, ok := s.(Finisher); ok {
		d := f.Finish(ctx, len(seq))
		if d != nil && ctx.Err() != nil {
			return nil, nil, fmt.Errorf("replay interrupted: %w", ctx.Err())
		}
		if each != nil {
			each(StepResult{Step: len(seq) + 1, Executed: true, D: d, Wire: s.Transcript()})
		}
		if d != nil {
			return d, s.Transcript(), nil
		}
	}
	return nil, nil, nil
}
