// Package report holds the one report model of a specgate run and its
// writers (JSON, JUnit XML, HTML, terminal).
package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/specgate/specgate/internal/coverage"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/version"
	"github.com/specgate/specgate/models"
)

// SchemaVersion is the version of the JSON report schema
// (docs/report-schema.md). Additive changes keep the version. Version 2
// numbers steps from 1 (divergence step, fault firstStep); version 1
// reports, numbered from 0, are still read and converted.
const SchemaVersion = 2

// Report is everything one run found.
type Report struct {
	Schema        string    `json:"schema"` // "specgate/report"
	SchemaVersion int       `json:"schemaVersion"`
	Run           Run       `json:"run"`
	Models        []Model   `json:"models"`
	Verdict       string    `json:"verdict"` // see the Verdict* constants
	ExitCode      int       `json:"exitCode"`
	Baseline      *Baseline `json:"baseline,omitempty"`
}

// Run is the run's metadata.
type Run struct {
	Version  string    `json:"specgateVersion"`
	Target   string    `json:"target"`
	Profile  string    `json:"profile"`
	Seed     uint64    `json:"seed"`
	Checks   int       `json:"checks"`
	Steps    int       `json:"steps"`
	Shard    string    `json:"shard,omitempty"` // "i/n"
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	WallTime float64   `json:"wallTimeSeconds"`
	Partial  bool      `json:"partial"` // interrupted or over budget
	// Interrupted is set when SIGINT or SIGTERM stopped the run.
	Interrupted bool `json:"interrupted,omitempty"`
	// MinCoverage is the minimum cell coverage ratio (0..1) the run was
	// held to (ApplyMinCoverage); 0 means no minimum.
	MinCoverage float64 `json:"minCoverage,omitempty"`
	// Build is the binary that ran: commit (and whether it was dirty),
	// date and Go version, as "specgate version" prints them.
	Build *version.Build `json:"build,omitempty"`
	// StrictEnvironment: an inconclusive (environment) sequence fails the
	// run (--strict-environment).
	StrictEnvironment bool `json:"strictEnvironment,omitempty"`
}

// Model is one model's results.
type Model struct {
	Name     string             `json:"name"`
	Title    string             `json:"title"`
	Profile  string             `json:"profile"`
	Checks   int                `json:"checks"`
	Steps    int                `json:"steps"`
	Coverage *coverage.Coverage `json:"coverage"`
	Clauses  []models.Clause    `json:"clauses"`
	// CellOrder lists the model's cells in its declared order (states,
	// then calls, as the state machine lists them); the HTML heatmap lays
	// its rows and columns out in that order.
	CellOrder   []string           `json:"cellOrder,omitempty"`
	Ambiguities []models.Ambiguity `json:"ambiguities"`
	// Choices maps every ambiguity id to the side the run took (from the
	// profile or the statement).
	Choices map[string]string `json:"choices,omitempty"`
	// Statement is the vendor's conformance statement the run judged by,
	// nil when it ran a whole profile.
	Statement   *Statement   `json:"statement,omitempty"`
	Divergences []Divergence `json:"divergences"`
	// Inconclusive lists the sequences a stimulus (a call that drives the
	// environment: VDI server.*, the IPAM control endpoint) left
	// inconclusive, kind "inconclusive", one per signature. They are not
	// divergences of the SUT and do not fail the run unless
	// --strict-environment.
	Inconclusive []Divergence `json:"inconclusive,omitempty"`
	// Warnings are run-level findings no sequence can be blamed for (for
	// example callbacks that arrived after their session's settle window).
	Warnings []string `json:"warnings,omitempty"`
	// Fenced lists the calls the generator stopped proposing after they ran
	// into a known divergence the model could not continue from.
	Fenced []engine.Fence `json:"fenced,omitempty"`
	// Faults counts the transport faults by kind.
	Faults []Fault `json:"faults,omitempty"`
	// Unreported counts distinct failures seen after --max-failures was
	// reached (they did not stop the search, but were not shrunk).
	Unreported int `json:"unreported,omitempty"`
}

// Divergence is one shrunk failure.
type Divergence struct {
	engine.Divergence
	Signature  string          `json:"signature"`
	Sequence   []models.Action `json:"sequence"`
	Steps      []string        `json:"steps"`
	Original   int             `json:"originalLength"`
	Seed       uint64          `json:"seed"`
	Check      int             `json:"check"`
	Transcript []string        `json:"transcript,omitempty"`
	// Answers holds what the SUT answered to each step up to the failing
	// one, from the replay that verified it (engine.Failure.Answers).
	Answers []string `json:"answers,omitempty"`
	File    string   `json:"file,omitempty"` // failure file path
	Replay  string   `json:"replay"`
	Known   bool     `json:"known,omitempty"` // listed in the baseline
	// Pending: new, under a clause the baseline has not accepted yet.
	Pending bool `json:"pending,omitempty"`
	// Class is "confirmed", "flaky" or "concurrent-only" (engine classes);
	// the reproduction is Reproduced of Verify replays alone.
	Class      string `json:"class"`
	Reproduced int    `json:"reproduced"`
	Verify     int    `json:"verify"`
	// ShrinkReplays is how many replays shrinking took; ShrinkExhausted
	// says the replay budget ran out (deterministic, maybe not minimal);
	// ShrinkPartial says why shrinking was cut short otherwise
	// ("shrink-time", "interrupted"), which makes the result one that may
	// differ from run to run.
	ShrinkReplays   int    `json:"shrinkReplays"`
	ShrinkExhausted bool   `json:"shrinkExhausted,omitempty"`
	ShrinkPartial   string `json:"shrinkPartial,omitempty"`
	Note            string `json:"note,omitempty"`
	// Statement says which ambiguities the divergence is on and the side
	// the run's statement or profile takes there ("" when none).
	Statement string `json:"statement,omitempty"`
}

// Fault is one kind of transport fault (crash, hang, malformed answer,
// unreachable), reported once per kind with its rate and first occurrence
// rather than once per clause it happened to land on.
type Fault struct {
	Kind string `json:"kind"`
	// Occurrences is how many checks ran into it, of Calls calls made.
	Occurrences int     `json:"occurrences"`
	Calls       int     `json:"calls"`
	Rate        float64 `json:"rate"` // Occurrences per call
	FirstCheck  int     `json:"firstCheck"`
	FirstStep   int     `json:"firstStep"` // 1-based, in the first check's unshrunk sequence
	// FirstLength is the length of that unshrunk sequence (0: unknown).
	FirstLength int    `json:"firstLength,omitempty"`
	FirstAction string `json:"firstAction"`
}

// Baseline summarises the known-deviation baseline applied to the run.
type Baseline struct {
	File     string   `json:"file"`
	Known    []string `json:"known"`    // signatures listed and seen
	New      []string `json:"new"`      // signatures seen, not listed
	Resolved []string `json:"resolved"` // listed, no longer seen (complete runs only)
	// NotChecked lists signatures that are listed but could not be judged:
	// their model was not part of the run, or the run was partial and
	// they were not seen.
	NotChecked []string `json:"notChecked,omitempty"`
	// Pending lists new divergences under clauses the baseline has not
	// accepted (checks added by a newer specgate): reported, not failing,
	// until `specgate baseline accept`.
	Pending []string `json:"pending,omitempty"`
	// Expired lists listed deviations whose Expires date has passed: the
	// run fails with exit 4 until the baseline is renewed or the bug fixed.
	Expired []string `json:"expired,omitempty"`
	// Reproduced lists listed deviations the run did not meet whose proof,
	// replayed, still showed them (they count as known, not gone).
	Reproduced []string `json:"reproduced,omitempty"`
}

// Statement is the conformance statement a model was judged by.
type Statement struct {
	File           string          `json:"file"`
	Implementation string          `json:"implementation"`
	Capabilities   map[string]bool `json:"capabilities"`
	// Differences lists where it departs from the run's --profile.
	Differences []string `json:"differences,omitempty"`
}

// StatementNote says which ambiguities a divergence under clause is on and
// which side choices takes on each: "on VDI-A7 (Close in Active while
// devices are still open): the run takes "table"; the other reading,
// "reference": VD_E_OPEN; ...". It is "" when clause is on none.
func StatementNote(clause string, ambs []models.Ambiguity, choices map[string]string) string {
	var parts []string
	for _, a := range models.Related(clause, ambs) {
		c := choices[a.ID]
		p := fmt.Sprintf("on %s (%s): the run takes %q", a.ID, a.Summary, c)
		for _, s := range a.Sides {
			if s.Name != c && c != models.SideEither {
				p += fmt.Sprintf("; the other reading, %q: %s", s.Name, s.Text)
			}
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ". ")
}
