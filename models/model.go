// Package models holds the pure reference models of the protocol state
// machines specgate checks. Nothing in this tree performs I/O, starts
// goroutines or reads clocks: a model is a function from (state, action) to
// the set of outcomes the specification allows.
package models

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Action is one step of a generated sequence. It is deliberately a small,
// comparable value so that sequences can be generated, shrunk, compared and
// written to failure files without allocation or reflection. Each model
// documents which fields it uses.
type Action struct {
	// Op names the call, for example "GetCommand" or "server.CloseDevice".
	Op string `json:"op"`
	// Idx selects the object the call applies to (a device or a session),
	// -1 when the call has no such argument.
	Idx int `json:"idx"`
	// Arg is a small integer argument (a device count, a variant), 0 if unused.
	Arg int `json:"arg,omitempty"`
}

// ArgNames says what an operation's Idx and Arg mean, so a rendered action
// names its arguments in the model's vocabulary: CompleteCommand(device=1)
// is the call on device index 1, whatever command id goes on the wire.
type ArgNames struct {
	// Idx names Idx ("device", "session"); "" renders Idx bare.
	Idx string
	// Arg names Arg ("devices", "family"); when set, Arg is always
	// rendered, 0 included. ArgValues, when given, renders Arg as
	// ArgValues[Arg] ("family=schema").
	Arg       string
	ArgValues []string
}

// argNames is filled by the model packages' NameArgs calls at init time
// and only read afterwards.
var argNames = map[string]ArgNames{}

// NameArgs records what op's arguments mean for String. Model packages
// call it from init, once per operation.
func NameArgs(op string, n ArgNames) { argNames[op] = n }

// String renders the action the way every report, failure file and the
// terminal print it: Op(name=value, ...) with the names NameArgs gave.
func (a Action) String() string {
	if strings.HasPrefix(a.Op, "ctl.Set") {
		return a.Op + "(" + strconv.FormatBool(a.Arg == 1) + ")"
	}
	var b strings.Builder
	b.WriteString(a.Op)
	b.WriteByte('(')
	sep := ""
	n, named := argNames[a.Op]
	if a.Idx >= 0 {
		if n.Idx != "" {
			b.WriteString(n.Idx)
			b.WriteByte('=')
		}
		b.WriteString(strconv.Itoa(a.Idx))
		sep = ", "
	}
	if named && n.Arg != "" {
		b.WriteString(sep)
		b.WriteString(n.Arg)
		b.WriteByte('=')
		if a.Arg >= 0 && a.Arg < len(n.ArgValues) {
			b.WriteString(n.ArgValues[a.Arg])
		} else {
			b.WriteString(strconv.Itoa(a.Arg))
		}
	} else if a.Arg != 0 {
		b.WriteString(sep)
		b.WriteString("arg=")
		b.WriteString(strconv.Itoa(a.Arg))
	}
	b.WriteByte(')')
	return b.String()
}

// Clause identifies the piece of specification text a transition implements.
type Clause struct {
	// ID is the stable identifier used in reports, e.g.
	// "vdi/client-table/Active/GetCommand".
	ID string `json:"id"`
	// Source cites the document and section, e.g. "SQL Server VDI spec,
	// Client Transitions (vdi2005_7tyr.htm), Table B".
	Source string `json:"source"`
	// Text is the normative text or table cell the clause reproduces.
	Text string `json:"text"`
}

// Ambiguity records a point where the specification contradicts itself.
// It is one choice point of its model: a profile or a vendor's statement
// names the side the run takes (Choice), and the model reads that choice
// in one place. No side is picked silently.
type Ambiguity struct {
	ID      string          `json:"id"`
	Summary string          `json:"summary"`
	Sides   []AmbiguitySide `json:"sides"`
	// Either is whether the model can also accept both readings at once
	// (the choice SideEither).
	Either bool `json:"either,omitempty"`
	// Choice maps a profile name to the side it takes: a Side.Name, or
	// SideEither.
	Choice map[string]string `json:"choice"`
	// Notes says, per profile, what its choice means for the checks.
	Notes map[string]string `json:"notes,omitempty"`
}

// SideEither is the choice that accepts both sides of an ambiguity.
const SideEither = "either"

// Options lists the choices a statement may make for a: its side names,
// then SideEither when the model supports it.
func (a *Ambiguity) Options() []string {
	var o []string
	for _, s := range a.Sides {
		o = append(o, s.Name)
	}
	if a.Either {
		o = append(o, SideEither)
	}
	return o
}

// AmbiguitySide is one reading of an ambiguous point, with the clause that
// supports it.
type AmbiguitySide struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Text   string `json:"text"`
	// Clauses are the clause ids a divergence on this point is filed
	// under when the run takes this side or the other (see Related).
	Clauses []string `json:"clauses,omitempty"`
}

// Related returns the ambiguities a divergence filed under clause is on:
// those with a side that names clause.
func Related(clause string, ambs []Ambiguity) []Ambiguity {
	var out []Ambiguity
	for _, a := range ambs {
		for _, s := range a.Sides {
			if slices.Contains(s.Clauses, clause) {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

// Info describes a model for listings (`specgate models`) and reports.
type Info struct {
	Name        string      `json:"name"`
	Title       string      `json:"title"`
	Profiles    []string    `json:"profiles"`
	Clauses     []Clause    `json:"clauses"`
	Ambiguities []Ambiguity `json:"ambiguities"`
	// Cells lists the state x call cells coverage is measured against.
	Cells []string `json:"cells"`
	// Stimuli are the calls that drive the environment rather than the
	// system under test (the VDI server.* side, the IPAM control
	// endpoint), with their exact semantics.
	Stimuli []Stimulus `json:"stimuli,omitempty"`
}

// Stimulus is a call whose only purpose is to drive the environment. It is
// issued only where When holds, must answer Answer, and then has the
// effect Does. A stimulus that answers otherwise makes the sequence
// inconclusive (environment), never a divergence of the SUT: it is not the
// interface under test.
type Stimulus struct {
	Op     string `json:"op"`
	When   string `json:"when"`
	Answer string `json:"answer"`
	Does   string `json:"does"`
	Source string `json:"source"`
}

// Profiles shared by all models.
const (
	// ProfileStrict reads the seed documents literally.
	ProfileStrict = "strict"
	// ProfileDocumented follows the wider documentation: reference pages,
	// figures and wire examples.
	ProfileDocumented = "documented"
)

// CheckProfile returns an error when name is not one of profiles.
func CheckProfile(name string, profiles []string) error {
	for _, p := range profiles {
		if p == name {
			return nil
		}
	}
	return fmt.Errorf("unknown profile %q (known: %s)", name, strings.Join(profiles, ", "))
}
