// Package engine draws action sequences from a model with rapid, replays
// them on a target through a Session, shrinks every divergence to a minimal
// sequence and reports it as a Failure. The engine performs no I/O of its
// own: targets (the runner's sessions) do.
package engine

import (
	"context"
	"strconv"
	"strings"

	"github.com/specgate/specgate/models"
)

// Divergence kinds.
const (
	KindDivergence  = "divergence"  // the SUT answered something the model does not allow
	KindCrash       = "crash"       // the SUT process died or dropped the connection
	KindHang        = "hang"        // the SUT did not answer before the deadline
	KindMalformed   = "malformed"   // the SUT answered something unparseable
	KindUnreachable = "unreachable" // the SUT could not be reached at all
	// KindInconclusive: a stimulus (a call that drives the environment,
	// not the SUT's interface) did not do what the sequence needs, so the
	// sequence proves nothing about the SUT. Reported apart from
	// divergences; it does not fail a run unless --strict-environment.
	KindInconclusive = "inconclusive"
)

// EnvironmentDetail starts the Detail of an inconclusive result.
const EnvironmentDetail = "environment: "

// Divergence is what a Session reports when a step breaks the model. Every
// field must be deterministic for a given sequence: no ports, ids, times.
type Divergence struct {
	Kind   string `json:"kind"`
	Clause string `json:"clause"`
	Cell   string `json:"cell"`
	// Step is the 1-based number of the failing step in the sequence;
	// len(sequence)+1 when the failure was found after the last step
	// (late callbacks, judged by the settle() pseudo-step).
	Step     int      `json:"step"`
	Action   string   `json:"action"`
	Expected []string `json:"expected"`
	Observed string   `json:"observed"`
	Detail   string   `json:"detail,omitempty"`
	// Key is the model's FenceKey of the step's action before the step, 0
	// when the session has none. Once the divergence is known and the
	// session cannot continue from it, the engine stops proposing the
	// action wherever the walker's FenceKey of it is Key; it is never
	// reported.
	Key uint64 `json:"-"`
}

// Message renders the divergence in one deterministic paragraph.
func (d *Divergence) Message() string {
	var b strings.Builder
	b.WriteString(d.Kind)
	b.WriteString(" at step ")
	b.WriteString(strconv.Itoa(d.Step))
	b.WriteString(" ")
	b.WriteString(d.Action)
	b.WriteString(" [")
	b.WriteString(d.Clause)
	b.WriteString("]: expected ")
	if len(d.Expected) == 0 {
		b.WriteString("(nothing)")
	} else {
		b.WriteString(strings.Join(d.Expected, " | "))
	}
	b.WriteString("; observed ")
	b.WriteString(d.Observed)
	if d.Detail != "" {
		b.WriteString(" (")
		b.WriteString(d.Detail)
		b.WriteString(")")
	}
	return b.String()
}

// IsTransport reports whether kind is a transport fault (the SUT crashed,
// hung, answered garbage or could not be reached) rather than a protocol
// divergence. Transport faults are reported once per kind: where in the
// table they happened to land is not part of what went wrong.
func IsTransport(kind string) bool {
	switch kind {
	case KindCrash, KindHang, KindMalformed, KindUnreachable:
		return true
	}
	return false
}

// Signature identifies one distinct failure: its kind, clause, cell and
// observed outcome (kind alone for a transport fault). Each signature is
// shrunk on its own, reported once, and known for the rest of the run.
func (d *Divergence) Signature() string {
	if IsTransport(d.Kind) {
		return d.Kind
	}
	return d.Kind + "|" + d.Clause + "|" + d.Cell + "|" + d.Observed
}

// Walker walks a model without a SUT; generators use it to bias draws
// toward legal calls and to avoid calls the model cannot judge.
type Walker interface {
	Reset()
	// Judge reports whether a can be judged in the current state and
	// whether it is a legal (succeeding) call there.
	Judge(a models.Action) (judgeable, legal bool)
	// Assume advances as if the SUT returned the first allowed outcome.
	Assume(a models.Action)
}

// JudgeKeyer is implemented by walkers whose judgements depend on a state
// small enough to pack in a word: JudgeKey must be equal for two states
// only when Judge agrees on every action in them. The generator then
// memoizes the judgeable and legal sets per key instead of judging action
// by action; the draws it makes are the same function of the random bits
// with or without the memo.
type JudgeKeyer interface {
	JudgeKey() uint64
}

// Model is the generation side of a model family.
type Model interface {
	Info() models.Info
	Alphabet() []models.Action
	NewWalker(profile string) (Walker, error)
}

// Session is one sequence's connection to the SUT: its own device set or
// IPAM sessions, and its own copy of the model. Only the runner behind a
// Session compares what the SUT did with what the model allowed.
type Session interface {
	// Step executes action i of the sequence. executed is false when the
	// model cannot judge a in the current state (the action is skipped).
	Step(ctx context.Context, i int, a models.Action) (d *Divergence, executed bool)
	// Transcript returns the wire transcript of the last executed step.
	Transcript() []string
	// Close releases the session's resources on the SUT.
	Close(ctx context.Context)
}

// Finisher is implemented by sessions that check something after the last
// step, such as callbacks that arrive late (a duplicate Complete).
type Finisher interface {
	Finish(ctx context.Context, steps int) *Divergence
}

// Target opens sessions on one SUT for one model and profile.
type Target interface {
	// NewSession opens a session; record says whether its steps count
	// toward coverage (replays made while shrinking do not).
	NewSession(ctx context.Context, name string, record bool) (Session, error)
}

// StateKeyer is implemented by walkers (and the models behind sessions)
// that can pack the state that decides every expectation into a word: two
// states with the same key expect the same outcomes of every action. The
// engine uses it to fence off a known divergence (an action in a state)
// and to deduplicate states when it searches for a shorter sequence.
type StateKeyer interface {
	StateKey() uint64
}

// Fencer is implemented by walkers (and the models behind sessions) that
// can say what decides an action's expected outcome: FenceKey must be
// equal in two states only when the model expects the same of a in both.
// The engine fences a known divergence by it.
type Fencer interface {
	FenceKey(a models.Action) uint64
}

// Celler is implemented by walkers that name the table cell an action
// falls in from the current state: the same string a Session puts in
// Divergence.Cell. The shrinker only replays candidates whose last step
// falls in the divergence's cell.
type Celler interface {
	Cell(a models.Action) string
}

// Continuer is implemented by sessions that can go on after a divergence
// the run already knows: Continue reports whether the session's model
// could carry on from the observed outcome (for example an error status
// where the model expected another error that leaves the state as it
// was). When it returns false the engine stops the sequence there and
// fences the call off in that state for the rest of the run.
type Continuer interface {
	Continue(d *Divergence) bool
}

// Committer is implemented by sessions that hold their coverage until the
// engine knows whether the check counts: the engine calls Commit(true)
// after Close when the check is committed, Commit(false) when it was run
// on a stale view of the run's knowledge and is run again.
type Committer interface {
	Commit(keep bool)
}

// Answerer is implemented by sessions that can say, on one line, what the
// SUT answered to their last executed step (a status, a response, the
// callbacks that came). The engine keeps the answers of every step of the
// replay that verified a failure (Failure.Answers), for the report's
// sequence diagram; exploring runs do not ask.
type Answerer interface {
	Answer() string
}
