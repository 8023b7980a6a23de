package report

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// ANSI SGR sequences used by WriteText when colour is on.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// IsTerminal reports whether f is a character device (a terminal), the
// usual test for "colour on by default".
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice != 0
}

// WriteText writes the h2spec-style terminal summary of r to w: per model
// a tree of its clauses grouped by their path segments
// (vdi/client-table/Active/GetCommand under vdi, client-table, Active),
// with ✔ (passed, or only known deviations), × (failed) or - (never
// reached) and the clause's hit count; under each failing clause the
// Expected: and Actual: lines, the minimal sequence, the transcript and
// the replay command; then the baseline, and a final summary line. ANSI
// colour codes are written only when color is true.
func WriteText(w io.Writer, r *Report, color bool) error {
	return WriteTextWith(w, r, TextOptions{Color: color, Banner: true})
}

// TextOptions configure WriteTextWith.
type TextOptions struct {
	// Color turns ANSI colour on.
	Color bool
	// Banner writes the identity line (version, target, profile, seed)
	// first. A caller that printed Banner(r) when the run started leaves
	// it off, so the terminal shows it once.
	Banner bool
}

// Banner is the identity line of a run: version, target, profile, seed.
func Banner(r *Report) string {
	return fmt.Sprintf("specgate %s  target %s  profile %s  seed %d", r.Run.Version, r.Run.Target, r.Run.Profile, r.Run.Seed)
}

// WriteTextWith is WriteText with options.
func WriteTextWith(w io.Writer, r *Report, o TextOptions) error {
	t := &textWriter{w: w, color: o.Color}
	if o.Banner {
		t.printf("%s%s\n", t.c(ansiBold, "specgate"), strings.TrimPrefix(Banner(r), "specgate"))
	}
	t.header(r)
	tot := textTotals{}
	for i := range r.Models {
		t.model(r, &r.Models[i], &tot)
	}
	t.baseline(r)
	t.summary(r, &tot)
	return t.err
}

type textWriter struct {
	w     io.Writer
	color bool
	err   error
}

type textTotals struct {
	clauses, passed, failed, known, unreached int
	unreachable                               int
	newDivs, knownDivs                        int
	cells, reached                            int
	inconclusive                              int
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, format, args...)
}

// c wraps s in the given SGR sequence when colour is on.
func (t *textWriter) c(sgr, s string) string {
	if !t.color || s == "" {
		return s
	}
	return sgr + s + ansiReset
}

// header writes the run's totals: checks, steps, wall time, and whether
// the run was cut short.
func (t *textWriter) header(r *Report) {
	extra := ""
	if r.Run.Shard != "" {
		extra += "  shard " + r.Run.Shard
	}
	switch {
	case r.Run.Interrupted:
		extra += "  " + t.c(ansiYellow, "INTERRUPTED (the reports hold what was found so far)")
	case r.Run.Partial:
		extra += "  " + t.c(ansiYellow, "PARTIAL (over budget or stopped at the first failure)")
	}
	t.printf("%d checks, %d steps, %.1fs%s\n", r.Run.Checks, r.Run.Steps, r.Run.WallTime, extra)
}

// treeNode is one path segment of the clause tree.
type treeNode struct {
	name     string
	row      *clauseRow
	children []*treeNode
	index    map[string]*treeNode
}

func (n *treeNode) child(name string) *treeNode {
	if n.index == nil {
		n.index = map[string]*treeNode{}
	}
	if c, ok := n.index[name]; ok {
		return c
	}
	c := &treeNode{name: name}
	n.index[name] = c
	n.children = append(n.children, c)
	return c
}

// clauseTree groups the rows by the segments of their ids, dropping a
// first segment equal to the model name (the tree's root).
func clauseTree(model string, rows []*clauseRow) *treeNode {
	root := &treeNode{name: model}
	for _, row := range rows {
		segs := strings.Split(row.ID, "/")
		if len(segs) > 1 && segs[0] == model {
			segs = segs[1:]
		}
		n := root
		for _, s := range segs {
			n = n.child(s)
		}
		if n.row != nil { // two ids mapping to the same path: keep both
			n = n.child(row.ID)
		}
		n.row = row
	}
	return root
}

func (t *textWriter) model(r *Report, m *Model, tot *textTotals) {
	profile := modelProfile(r, m)
	t.printf("\n%s  %s\n", t.c(ansiBold, m.Name+"/"+profile), t.c(ansiDim, m.Title))
	rows := clauseRows(m)
	root := clauseTree(m.Name, rows)
	for _, c := range root.children {
		t.node(c, 1)
	}
	passed, failed, known, unreached, unreachable := 0, 0, 0, 0, 0
	for _, row := range rows {
		switch row.Status {
		case statusPass:
			passed++
		case statusFail:
			failed++
		case statusKnown:
			known++
		case statusUnreached:
			unreached++
		case statusUnreachable:
			unreachable++
		}
	}
	newDivs, knownDivs := 0, 0
	for _, d := range m.Divergences {
		if d.Known {
			knownDivs++
		} else {
			newDivs++
		}
	}
	cells, reached, outOfReach := 0, 0, 0
	if m.Coverage != nil {
		cells, reached = m.Coverage.Reachable()
		outOfReach = len(m.Coverage.Cells) - cells
	}
	tot.clauses += len(rows)
	tot.passed += passed
	tot.failed += failed
	tot.known += known
	tot.unreached += unreached
	tot.unreachable += unreachable
	tot.newDivs += newDivs
	tot.knownDivs += knownDivs
	tot.cells += cells
	tot.reached += reached
	outCells := ""
	if outOfReach > 0 {
		outCells = fmt.Sprintf(", %d unreachable by the model", outOfReach)
	}
	t.printf("  %s: %d checks, %d steps, %d clauses (%d passed, %d failed, %d known, %d not reached, %d not reachable), cells %d/%d (%.1f%%)%s\n",
		m.Name, m.Checks, m.Steps, len(rows), passed, failed, known, unreached, unreachable, reached, cells, 100*cellRatio(m), outCells)
	if m.Coverage != nil {
		// One line per reason: the cells it covers, then why.
		byReason := map[string][]string{}
		var reasons []string
		for _, c := range sortedKeys(m.Coverage.Unreachable) {
			why := m.Coverage.Unreachable[c]
			if byReason[why] == nil {
				reasons = append(reasons, why)
			}
			byReason[why] = append(byReason[why], c)
		}
		for _, why := range reasons {
			t.printf("    %s cells %s unreachable: %s\n", t.c(ansiDim, "-"), strings.Join(byReason[why], ", "), why)
		}
	}
	tot.inconclusive += len(m.Inconclusive)
	for i := range m.Inconclusive {
		d := &m.Inconclusive[i]
		t.printf("    %s %s at step %d in %s [%s]: expected %s; observed %s (%s)\n", t.c(ansiYellow, "? inconclusive:"),
			d.Action, d.Step, d.Cell, d.Clause, strings.Join(d.Expected, " | "), d.Observed, d.Detail)
		if d.File != "" {
			t.printf("        Saved:  %s\n        Replay: %s\n", d.File, d.Replay)
		}
	}
	for _, w := range m.Warnings {
		t.printf("    warning: %s\n", w)
	}
	for _, f := range m.Faults {
		t.printf("    transport fault %s: %d of %d calls (%.3g%%), first at check %d step %d %s%s\n",
			f.Kind, f.Occurrences, f.Calls, 100*f.Rate, f.FirstCheck, f.FirstStep, f.FirstAction, unshrunkOf(f))
	}
	for _, f := range m.Fenced {
		t.printf("    fenced: %s in cell %s (known %s, from check %d)\n", f.Action, f.Cell, f.Signature, f.Check)
	}
	if m.Unreported > 0 {
		t.printf("    %d more distinct failures seen past --max-failures (not shrunk)\n", m.Unreported)
	}
}

// verification renders how the failure held up on replay.
func verification(d *Divergence) string {
	if d.Verify == 0 {
		return ""
	}
	s := fmt.Sprintf(", %s, reproduced %d/%d", d.Class, d.Reproduced, d.Verify)
	if d.ShrinkPartial != "" {
		s += ", shrinking cut short (" + d.ShrinkPartial + "): partial"
	} else if d.ShrinkExhausted {
		s += ", shrink replay budget used up"
	}
	return s
}

func (t *textWriter) node(n *treeNode, depth int) {
	indent := strings.Repeat("  ", depth)
	if n.row == nil {
		t.printf("%s%s\n", indent, n.name)
	} else {
		row := n.row
		var mark, note string
		switch row.Status {
		case statusFail:
			mark = t.c(ansiRed, "×")
			note = t.c(ansiRed, fmt.Sprintf("(%d) FAIL", row.Count))
		case statusKnown:
			mark = t.c(ansiGreen, "✔")
			note = fmt.Sprintf("(%d) ", row.Count) + t.c(ansiYellow, "known deviation")
		case statusUnreached:
			mark = t.c(ansiDim, "-")
			note = t.c(ansiDim, "(0) not reached")
		case statusUnreachable:
			mark = t.c(ansiDim, "-")
			note = t.c(ansiDim, "(0) not reachable: "+row.Reason)
		default:
			mark = t.c(ansiGreen, "✔")
			note = fmt.Sprintf("(%d)", row.Count)
		}
		name := n.name
		if row.Status == statusFail {
			name = t.c(ansiRed, name)
		}
		t.printf("%s%s %s %s\n", indent, mark, name, note)
		for _, d := range row.Divs {
			t.divergence(d, indent+"    ")
		}
	}
	for _, c := range n.children {
		t.node(c, depth+1)
	}
}

func (t *textWriter) divergence(d *Divergence, in string) {
	head := d.Kind
	if d.Known {
		head += " (known deviation, listed in the baseline)"
	}
	color := ansiRed
	if d.Known {
		color = ansiYellow
	}
	t.printf("%s-> %s at step %d, %s (cell %s)\n", in, t.c(color, head), d.Step, d.Action, d.Cell)
	t.printf("%s%s %s\n", in, t.c(ansiGreen, "Expected:"), expectedText(d))
	t.printf("%s%s %s\n", in, t.c(color, "  Actual:"), actualText(d))
	steps := stepLabels(d)
	t.printf("%sSequence: %d steps (shrunk from %d)%s\n", in, len(steps), d.Original, verification(d))
	if d.Statement != "" {
		t.printf("%sChoice: %s\n", in, d.Statement)
	}
	if d.Note != "" {
		t.printf("%sNote:   %s\n", in, d.Note)
	}
	for i, s := range steps {
		line := fmt.Sprintf("%2d. %s", i+1, s)
		if i+1 == d.Step {
			line = t.c(color, line+"   <- "+d.Observed)
		}
		t.printf("%s  %s\n", in, line)
	}
	if d.Step == len(steps)+1 { // judged after the last step: the settle() pseudo-step
		t.printf("%s  %s\n", in, t.c(color, fmt.Sprintf("%2d. %s   <- %s", d.Step, d.Action, d.Observed)))
	}
	if len(d.Transcript) > 0 {
		t.printf("%sWire:\n", in)
		for _, l := range d.Transcript {
			t.printf("%s  %s\n", in, t.c(ansiDim, l))
		}
	}
	if d.File != "" {
		t.printf("%sSaved:  %s\n", in, d.File)
	}
	t.printf("%sReplay: %s\n", in, t.c(ansiCyan, d.Replay))
}

func (t *textWriter) baseline(r *Report) {
	b := r.Baseline
	if b == nil {
		return
	}
	t.printf("\nbaseline %s: %d known, %d new, %d gone", b.File, len(b.Known), len(b.New), len(b.Resolved))
	if len(b.NotChecked) > 0 {
		t.printf(", %d not checked", len(b.NotChecked))
	}
	if len(b.Pending) > 0 {
		t.printf(", %d pending", len(b.Pending))
	}
	if len(b.Expired) > 0 {
		t.printf(", %d expired", len(b.Expired))
	}
	t.printf("\n")
	for _, s := range b.Resolved {
		t.printf("  %s %s (its proof no longer shows it)\n", t.c(ansiYellow, "gone:"), s)
	}
	for _, s := range b.Expired {
		t.printf("  %s %s (renew the entry or fix the bug)\n", t.c(ansiYellow, "expired:"), s)
	}
	for _, s := range b.Reproduced {
		t.printf("  still there: %s (not met by this run; its proof still shows it)\n", s)
	}
	for _, s := range b.Pending {
		t.printf("  pending: %s (a check this baseline has not accepted: specgate baseline accept --baseline %s)\n", s, b.File)
	}
	for _, s := range b.New {
		t.printf("  %s %s\n", t.c(ansiRed, "new: "), s)
	}
}

func (t *textWriter) summary(r *Report, tot *textTotals) {
	ratio := 1.0
	if tot.cells > 0 {
		ratio = float64(tot.reached) / float64(tot.cells)
	}
	verdict := fmt.Sprintf("%s (exit %d)", r.Verdict, r.ExitCode)
	switch r.ExitCode {
	case ExitConformant:
		verdict = t.c(ansiGreen+ansiBold, verdict)
	default:
		verdict = t.c(ansiRed+ansiBold, verdict)
	}
	inc := ""
	if tot.inconclusive > 0 {
		inc = fmt.Sprintf(", %d inconclusive (environment)", tot.inconclusive)
	}
	t.printf("\n%d clauses: %d passed, %d failed, %d known deviations, %d not reached, %d not reachable; %d new divergences, %d known%s; cell coverage %.1f%%; %s\n",
		tot.clauses, tot.passed, tot.failed, tot.known, tot.unreached, tot.unreachable, tot.newDivs, tot.knownDivs, inc, 100*ratio, verdict)
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// unshrunkOf says which sequence a fault's first step number counts in:
// the first check's own, unshrunk one, not the shrunk sequence below.
func unshrunkOf(f Fault) string {
	if f.FirstLength == 0 {
		return ""
	}
	return fmt.Sprintf(" (of that check's %d unshrunk steps)", f.FirstLength)
}
