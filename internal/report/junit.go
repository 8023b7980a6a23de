package report

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"github.com/specgate/specgate/internal/atomicfile"
)

// JUnit XML, in the dialect Jenkins, GitLab and GitHub test reporters read.
type junitTestsuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit stores r atomically at path as JUnit XML: one <testsuite> per
// model and one <testcase> per clause of the model (classname
// "model/profile", name the clause id). A clause with a divergence not in
// the baseline fails (<failure type="kind">, whose text holds Expected:,
// Actual:, the minimal sequence, the transcript and the replay command); a
// clause whose divergences are all known deviations passes with the
// deviation in <system-out>; a clause never exercised is <skipped
// message="not reached"/>. Divergences naming a clause the model does not
// list get a test case of their own, so no failure is lost.
func WriteJUnit(path string, r *Report) error {
	data, err := MarshalJUnit(r)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}

// MarshalJUnit returns the JUnit XML written by WriteJUnit.
func MarshalJUnit(r *Report) ([]byte, error) {
	ts := junitTestsuites{Name: "specgate", Time: seconds(r.Run.WallTime)}
	for _, m := range r.Models {
		suite := junitSuite{Name: m.Name}
		if !r.Run.Started.IsZero() {
			suite.Timestamp = r.Run.Started.UTC().Format("2006-01-02T15:04:05")
		}
		profile := modelProfile(r, &m)
		suite.Properties = []junitProperty{
			{"title", m.Title},
			{"profile", profile},
			{"target", r.Run.Target},
			{"seed", strconv.FormatUint(r.Run.Seed, 10)},
			{"checks", strconv.Itoa(m.Checks)},
			{"steps", strconv.Itoa(m.Steps)},
			{"cellCoverage", strconv.FormatFloat(cellRatio(&m), 'f', 4, 64)},
			{"specgateVersion", r.Run.Version},
		}
		classname := m.Name + "/" + profile
		for _, row := range clauseRows(&m) {
			c := junitCase{Classname: classname, Name: row.ID, Time: "0"}
			var failing, known []*Divergence
			for _, d := range row.Divs {
				if d.Known {
					known = append(known, d)
				} else {
					failing = append(failing, d)
				}
			}
			switch {
			case len(failing) > 0:
				var text []string
				for _, d := range failing {
					text = append(text, failureText(d))
				}
				c.Failure = &junitFailure{Message: failing[0].Message(), Type: failing[0].Kind,
					Text: "\n" + strings.Join(text, "\n\n") + "\n"}
				suite.Failures++
			case len(known) == 0 && row.Status == statusUnreached:
				c.Skipped = &junitSkipped{Message: "not reached"}
				suite.Skipped++
			case len(known) == 0 && row.Status == statusUnreachable:
				c.Skipped = &junitSkipped{Message: "not reachable: " + row.Reason}
				suite.Skipped++
			}
			if len(known) > 0 {
				var out []string
				for _, d := range known {
					out = append(out, "known deviation: "+d.Message()+"\n"+failureText(d))
				}
				c.SystemOut = strings.Join(out, "\n\n")
			}
			suite.Tests++
			suite.Cases = append(suite.Cases, c)
		}
		for i := range m.Inconclusive {
			d := &m.Inconclusive[i]
			c := junitCase{Classname: classname + "/environment", Name: d.Action + " in " + d.Cell, Time: "0",
				Skipped: &junitSkipped{Message: "inconclusive: " + d.Message()}, SystemOut: failureText(d)}
			if r.Run.StrictEnvironment {
				c.Skipped = nil
				c.Failure = &junitFailure{Message: d.Message(), Type: d.Kind, Text: "\n" + failureText(d) + "\n"}
				suite.Failures++
			} else {
				suite.Skipped++
			}
			suite.Tests++
			suite.Cases = append(suite.Cases, c)
		}
		ts.Tests += suite.Tests
		ts.Failures += suite.Failures
		ts.Skipped += suite.Skipped
		ts.Suites = append(ts.Suites, suite)
	}
	data, err := xml.MarshalIndent(&ts, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode JUnit report: %w", err)
	}
	return append(append([]byte(xml.Header), data...), '\n'), nil
}

func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

// failureText is the multi-line account of one divergence shared by the
// JUnit and terminal writers.
func failureText(d *Divergence) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Clause:   %s\n", d.Clause)
	fmt.Fprintf(&b, "Kind:     %s\n", d.Kind)
	fmt.Fprintf(&b, "At:       step %d, %s (cell %s)\n", d.Step, d.Action, d.Cell)
	fmt.Fprintf(&b, "Expected: %s\n", expectedText(d))
	fmt.Fprintf(&b, "Actual:   %s\n", actualText(d))
	steps := stepLabels(d)
	fmt.Fprintf(&b, "Sequence: %d steps (shrunk from %d), seed %d, check %d%s\n", len(steps), d.Original, d.Seed, d.Check, verification(d))
	if d.Note != "" {
		fmt.Fprintf(&b, "Note:     %s\n", d.Note)
	}
	for i, s := range steps {
		fmt.Fprintf(&b, "  %2d. %s\n", i+1, s)
	}
	if d.Step == len(steps)+1 { // judged after the last step: the settle() pseudo-step
		fmt.Fprintf(&b, "  %2d. %s (after the last step)\n", d.Step, d.Action)
	}
	if len(d.Transcript) > 0 {
		b.WriteString("Transcript:\n")
		for _, l := range d.Transcript {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	if d.File != "" {
		fmt.Fprintf(&b, "File:     %s\n", d.File)
	}
	fmt.Fprintf(&b, "Replay:   %s", d.Replay)
	return b.String()
}

func expectedText(d *Divergence) string {
	if len(d.Expected) == 0 {
		return "(nothing)"
	}
	return strings.Join(d.Expected, " | ")
}

func actualText(d *Divergence) string {
	if d.Detail != "" {
		return d.Observed + " (" + d.Detail + ")"
	}
	return d.Observed
}

// stepLabels renders the minimal sequence, one label per step.
func stepLabels(d *Divergence) []string {
	if len(d.Sequence) > 0 {
		out := make([]string, len(d.Sequence))
		for i, a := range d.Sequence {
			out[i] = a.String()
		}
		return out
	}
	return d.Steps
}

func modelProfile(r *Report, m *Model) string {
	if m.Profile != "" {
		return m.Profile
	}
	return r.Run.Profile
}

// Clause statuses.
const (
	statusPass      = "pass"
	statusFail      = "fail"
	statusKnown     = "known"
	statusUnreached = "not reached"
	// statusUnreachable is an unreached clause the model says the
	// generator cannot reach (clauseRow.Reason says why).
	statusUnreachable = "not reachable"
)

// clauseRow is one clause of a model with its count and divergences.
type clauseRow struct {
	ID     string
	Source string
	Text   string
	Count  int
	Listed bool // the model lists the clause
	Divs   []*Divergence
	Status string
	// Reason is why the model says the clause is out of the generator's
	// reach (set with statusUnreachable).
	Reason string
}

// clauseRows lists the model's clauses in order, then the clauses only
// named by divergences.
func clauseRows(m *Model) []*clauseRow {
	var rows []*clauseRow
	byID := map[string]*clauseRow{}
	for _, c := range m.Clauses {
		if _, dup := byID[c.ID]; dup {
			continue
		}
		row := &clauseRow{ID: c.ID, Source: c.Source, Text: c.Text, Listed: true}
		byID[c.ID] = row
		rows = append(rows, row)
	}
	for i := range m.Divergences {
		d := &m.Divergences[i]
		id := d.Clause
		if id == "" {
			id = "(no clause)"
		}
		row := byID[id]
		if row == nil {
			row = &clauseRow{ID: id}
			byID[id] = row
			rows = append(rows, row)
		}
		row.Divs = append(row.Divs, d)
	}
	for _, row := range rows {
		reached := true
		if m.Coverage != nil {
			row.Count = m.Coverage.Clauses[row.ID]
			reached = row.Count > 0
		}
		known, failing := 0, 0
		for _, d := range row.Divs {
			if d.Known {
				known++
			} else {
				failing++
			}
		}
		switch {
		case failing > 0:
			row.Status = statusFail
		case known > 0:
			row.Status = statusKnown
		case !reached && m.Coverage != nil && m.Coverage.ClauseReasons[row.ID] != "":
			row.Status, row.Reason = statusUnreachable, m.Coverage.ClauseReasons[row.ID]
		case !reached:
			row.Status = statusUnreached
		default:
			row.Status = statusPass
		}
	}
	return rows
}
