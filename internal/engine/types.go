// Package engine draws action sequences from a model with rapid, replays
// them on a target through a Session, shrinks every divergence to a minimal
// sequence and reports it as a Failure. The engine performs no I/O of its
// own: targets (the runner's sessions) do.
package engine

import (
	"context"
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
)

// Divergence is what a Session reports when a step breaks the model. Every
// field must be deterministic for a given sequence: no ports, ids, times.
type Divergence struct {
	Kind     string   `json:"kind"`
	Clause   string   `json:"clause"`
	Cell     string   `json:"cell"`
	Step     int      `json:"step"`
	Action   string   `json:"action"`
	Expected []string `json:"expected"`
	Observed string   `json:"observed"`
	Detail   string   `json:"detail,omitempty"`
}

// Message renders the divergence in one deterministic paragraph.
func (d *Divergence) Message() string {
	var b strings.Builder
	b.WriteString(d.Kind)
	b.WriteString(" at step ")
	b.WriteString(itoa(d.Step + 1))
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

// Signature identifies "the same divergence" for dedupe and baselines.
func (d *Divergence) Signature() string { return d.Kind + "|" + d.Clause }

// sameFailure is the shrinking predicate: a candidate keeps the failure
// when it fails the same way (a divergence, a crash, a hang...). As with
// rapid's own "same failure site" rule, the minimal sequence may break a
// neighbouring clause of the one first seen; the report names the clause
// the minimal sequence breaks.
func sameFailure(a, b *Divergence) bool { return a.Kind == b.Kind }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
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
