package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/models"
	"html/template"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/specgate/specgate/internal/atomicfile"
)

//go:embed report.html.tmpl
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" },
	"inc": func(i int) int { return i + 1 },
	"plural": func(n int, word string) string {
		if n == 1 {
			return "1 " + word
		}
		return strconv.Itoa(n) + " " + word + "s"
	},
}).Parse(htmlTemplateText))

// WriteHTML stores r atomically at path as one self-contained HTML page:
// inline CSS and JavaScript only, no external resources, readable offline.
// The page shows the run metadata; per model a coverage heatmap (rows are
// the states or labels, columns the operations, from the cell names
// "<State>/<Op>"), the clause table, the ambiguities with the profile's
// choice and the divergences, each with Expected/Actual, the replay command
// and an SVG sequence diagram of its minimal sequence. A script builds the
// summary line and the heatmap legends at load time from a JSON data island
// (<script type="application/json" id="specgate-data">).
func WriteHTML(path string, r *Report) error {
	data, err := RenderHTML(r)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

// RenderHTML returns the page written by WriteHTML.
func RenderHTML(r *Report) ([]byte, error) {
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, buildHTMLView(r)); err != nil {
		return nil, fmt.Errorf("render HTML report: %w", err)
	}
	return b.Bytes(), nil
}

// htmlView is the template's data.
type htmlView struct {
	R *Report
	// Total is the number of divergences over all models.
	Total    int
	Started  string
	Finished string
	Models   []*htmlModel
	Data     htmlData // the JSON data island
}

type htmlModel struct {
	Name, Title, Profile, Anchor string
	Checks, Steps                int
	Ratio                        float64
	Cells, Reached               int
	ClausesReached               int
	Heatmap                      *heatmap
	Clauses                      []*clauseRow
	Ambiguities                  []htmlAmbiguity
	Divergences                  []*htmlDivergence
	FailAnchor                   map[string]string // clause id -> first divergence anchor
	Fenced                       []engine.Fence
	Faults                       []Fault
	Inconclusive                 []Divergence
}

type htmlAmbiguity struct {
	ID, Summary string
	Sides       []htmlSide
	Choice      string
}

type htmlSide struct {
	Name, Source, Text string
	Chosen             bool
}

type htmlDivergence struct {
	*Divergence
	Anchor   string
	Expected string
	Actual   string
	Steps    []string
	Diagram  *seqDiagram
}

// The JSON data island read by the page's script.
type htmlData struct {
	Verdict  string          `json:"verdict"`
	ExitCode int             `json:"exitCode"`
	Models   []htmlDataModel `json:"models"`
}

type htmlDataModel struct {
	Name   string         `json:"name"`
	Anchor string         `json:"anchor"`
	Cells  map[string]int `json:"cells"`
	// Unreachable lists the cells the model declares unreachable; the
	// summary's coverage leaves them out, as CellRatio does.
	Unreachable []string         `json:"unreachable"`
	MaxCount    int              `json:"maxCount"`
	Divergences []htmlDataDivRef `json:"divergences"`
}

type htmlDataDivRef struct {
	Clause string `json:"clause"`
	Cell   string `json:"cell"`
	Kind   string `json:"kind"`
	Known  bool   `json:"known"`
	Anchor string `json:"anchor"`
}

var anchorRE = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// anchor turns s into an id-safe token.
func anchor(parts ...string) string {
	for i, p := range parts {
		parts[i] = strings.Trim(anchorRE.ReplaceAllString(p, "-"), "-")
	}
	return strings.Join(parts, "--")
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func buildHTMLView(r *Report) *htmlView {
	v := &htmlView{R: r, Started: fmtTime(r.Run.Started), Finished: fmtTime(r.Run.Finished)}
	v.Data = htmlData{Verdict: r.Verdict, ExitCode: r.ExitCode, Models: []htmlDataModel{}}
	for i := range r.Models {
		m := &r.Models[i]
		hm := &htmlModel{Name: m.Name, Title: m.Title, Profile: modelProfile(r, m), Anchor: anchor("m", m.Name), Inconclusive: m.Inconclusive,
			Checks: m.Checks, Steps: m.Steps, Ratio: cellRatio(m), FailAnchor: map[string]string{},
			Fenced: m.Fenced, Faults: m.Faults}
		dm := htmlDataModel{Name: m.Name, Anchor: hm.Anchor, Cells: map[string]int{}, Unreachable: []string{}, Divergences: []htmlDataDivRef{}}
		if m.Coverage != nil {
			for k, c := range m.Coverage.Cells {
				dm.Cells[k] = c
				dm.MaxCount = max(dm.MaxCount, c)
			}
			dm.Unreachable = append(dm.Unreachable, sortedKeys(m.Coverage.Unreachable)...)
			hm.Cells, hm.Reached = m.Coverage.Reachable()
			hm.Heatmap = buildHeatmap(m.Name, m.Coverage.Cells, m.CellOrder)
			hm.Heatmap.markUnreachable(m.Coverage.Unreachable)
		}
		hm.Clauses = clauseRows(m)
		for _, row := range hm.Clauses {
			if row.Count > 0 {
				hm.ClausesReached++
			}
		}
		for _, a := range m.Ambiguities {
			ha := htmlAmbiguity{ID: a.ID, Summary: a.Summary, Choice: a.Choice[hm.Profile]}
			if c, ok := m.Choices[a.ID]; ok {
				ha.Choice = c
			}
			for _, s := range a.Sides {
				ha.Sides = append(ha.Sides, htmlSide{Name: s.Name, Source: s.Source, Text: s.Text,
					Chosen: choiceNames(ha.Choice, s.Name)})
			}
			hm.Ambiguities = append(hm.Ambiguities, ha)
		}
		for j := range m.Divergences {
			d := &m.Divergences[j]
			hd := &htmlDivergence{Divergence: d, Anchor: anchor("d", m.Name, strconv.Itoa(j+1)),
				Expected: expectedText(d), Actual: actualText(d), Steps: stepLabels(d)}
			hd.Diagram = buildSeqDiagram(d, hd.Steps)
			hm.Divergences = append(hm.Divergences, hd)
			if _, ok := hm.FailAnchor[d.Clause]; !ok {
				hm.FailAnchor[d.Clause] = hd.Anchor
			}
			dm.Divergences = append(dm.Divergences, htmlDataDivRef{Clause: d.Clause, Cell: d.Cell, Kind: d.Kind, Known: d.Known, Anchor: hd.Anchor})
		}
		v.Total += len(hm.Divergences)
		v.Models = append(v.Models, hm)
		v.Data.Models = append(v.Data.Models, dm)
	}
	return v
}

// choiceNames reports whether a profile's choice text picks the side
// called name: the text is the name, or starts with it followed by a
// space, ':' or '('.
func choiceNames(choice, name string) bool {
	if choice == models.SideEither {
		return true
	}
	if name == "" || !strings.HasPrefix(choice, name) {
		return false
	}
	rest := choice[len(name):]
	return rest == "" || strings.ContainsRune(" :(", rune(rest[0]))
}

// heatmap is a model's coverage as a state x operation grid.
type heatmap struct {
	Cols []string
	Rows []heatRow
	Max  int
}

type heatRow struct {
	Name  string
	Cells []heatCell
}

type heatCell struct {
	Exists bool
	// Unreachable is the model's reason the cell can never be exercised
	// ("" for a cell that can).
	Unreachable string
	Name        string
	ID          string
	Count       int
	Level       int // 0 never reached, 1..5 by log(count)/log(max)
	Title       string
}

// splitCell splits a cell name "<State>/<Op>" at the first '/'; names
// without one go to the row "(other)".
func splitCell(name string) (row, col string) {
	if i := strings.IndexByte(name, '/'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return "(other)", name
}

// opGroup orders operations: plain calls first, then prefixed ones
// ("server.", "ctl.") grouped by prefix.
func opGroup(op string) string {
	if i := strings.IndexByte(op, '.'); i >= 0 {
		return op[:i+1]
	}
	return ""
}

// heatLevel maps a count to an intensity level 0..5 on a log scale.
func heatLevel(count, maxCount int) int {
	if count <= 0 {
		return 0
	}
	if maxCount <= 1 {
		return 5
	}
	l := 1 + int(math.Floor(4*math.Log1p(float64(count))/math.Log1p(float64(maxCount))))
	return min(max(l, 1), 5)
}

// buildHeatmap lays the cells out as a grid: rows and columns in the
// model's declared order (order: its cells, states major), then any cell
// the order does not name, sorted (alphabetically, with server./ctl.
// operations last), as for reports written without an order.
func buildHeatmap(model string, cells map[string]int, order []string) *heatmap {
	h := &heatmap{}
	rowSet, colSet := map[string]bool{}, map[string]bool{}
	var rows []string
	add := func(name string) {
		r, col := splitCell(name)
		if !rowSet[r] {
			rowSet[r] = true
			rows = append(rows, r)
		}
		if !colSet[col] {
			colSet[col] = true
			h.Cols = append(h.Cols, col)
		}
	}
	for _, name := range order {
		if _, ok := cells[name]; ok {
			add(name)
		}
	}
	declaredRows, declaredCols := len(rows), len(h.Cols)
	for _, c := range cells {
		h.Max = max(h.Max, c)
	}
	var rest []string
	for name := range cells {
		rest = append(rest, name)
	}
	sort.Strings(rest)
	for _, name := range rest {
		add(name)
	}
	sort.Strings(rows[declaredRows:])
	extra := h.Cols[declaredCols:]
	sort.Slice(extra, func(i, j int) bool {
		gi, gj := opGroup(extra[i]), opGroup(extra[j])
		if gi != gj {
			return gi < gj
		}
		return extra[i] < extra[j]
	})
	for _, r := range rows {
		hr := heatRow{Name: r}
		for _, col := range h.Cols {
			name := r + "/" + col
			if r == "(other)" {
				name = col
			}
			c, ok := cells[name]
			hc := heatCell{Exists: ok, Name: name, ID: anchor("cell", model, name), Count: c, Level: heatLevel(c, h.Max)}
			if ok {
				if c == 0 {
					hc.Title = name + ": never reached (0)"
				} else {
					hc.Title = name + ": " + strconv.Itoa(c) + " hits"
				}
			}
			hr.Cells = append(hr.Cells, hc)
		}
		h.Rows = append(h.Rows, hr)
	}
	return h
}

// markUnreachable marks the cells the model declares unreachable, with
// the reason in their tooltip.
func (h *heatmap) markUnreachable(why map[string]string) {
	for i := range h.Rows {
		for j := range h.Rows[i].Cells {
			c := &h.Rows[i].Cells[j]
			if r := why[c.Name]; r != "" && c.Exists {
				c.Unreachable = r
				c.Title = c.Name + ": unreachable: " + r
			}
		}
	}
}

// seqDiagram is an SVG sequence diagram of a minimal failing sequence.
type seqDiagram struct {
	Width, Height int
	Lifelines     []lifeline
	Arrows        []seqArrow
	// Responses are the SUT's answers to the steps before the failing
	// one (dashed return arrows), when the report has them.
	Responses []seqArrow
	Fail      *seqFail
}

type lifeline struct {
	Name   string
	X      int
	BoxX   int
	BoxW   int // wide enough for Name
	Top    int
	Bottom int
}

type seqArrow struct {
	Step           int // 1-based
	X1, X2, Y      int
	LabelX, LabelY int
	Label          string
	Failing        bool
}

// seqFail is the answer of the failing step: observed (red, dashed return
// arrow) and expected.
type seqFail struct {
	X1, X2, Y      int
	LabelX, LabelY int
	Observed       string
	ExpectedY      int
	Expected       string
	Title          string
}

const (
	seqLaneGap   = 280
	seqLeft      = 100
	seqTop       = 56
	seqStepH     = 38
	seqBoxW      = 150
	seqMaxLabel  = 64
	seqTextLimit = 110
)

// laneOf picks the lifeline of an action from its op's prefix: "server."
// calls go to the SUT's server side, "ctl." calls to its control endpoint,
// everything else to the SUT.
func laneOf(label string) string {
	switch {
	case strings.HasPrefix(label, "server."):
		return "SUT server side"
	case strings.HasPrefix(label, "ctl."):
		return "SUT control"
	}
	return "SUT"
}

// textWidth estimates the rendered width of s at perChar pixels a
// character.
func textWidth(s string, perChar int) int { return perChar * len([]rune(s)) }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func buildSeqDiagram(d *Divergence, steps []string) *seqDiagram {
	names := []string{"specgate", "SUT"}
	for _, lane := range []string{"SUT server side", "SUT control"} {
		for _, s := range steps {
			if laneOf(s) == lane {
				names = append(names, lane)
				break
			}
		}
	}
	x := map[string]int{}
	sd := &seqDiagram{}
	for i, n := range names {
		x[n] = seqLeft + i*seqLaneGap
		w := max(seqBoxW, textWidth(n, 8)+24) // 600 13px: about 8 px a character
		sd.Lifelines = append(sd.Lifelines, lifeline{Name: n, X: x[n], BoxX: x[n] - w/2, BoxW: w, Top: 40})
	}
	y := seqTop
	failAt := d.Step - 1 // Step is 1-based
	for i, s := range steps {
		y += seqStepH
		to := x[laneOf(s)]
		a := seqArrow{Step: i + 1, X1: x["specgate"], X2: to, Y: y, LabelX: x["specgate"] + 14, LabelY: y - 7,
			Label: strconv.Itoa(i+1) + ". " + clip(s, seqMaxLabel), Failing: i == failAt}
		sd.Arrows = append(sd.Arrows, a)
		if a.Failing {
			y = sd.addFail(d, to, x["specgate"], y)
		} else if i < len(d.Answers) && d.Answers[i] != "" {
			y += 20
			sd.Responses = append(sd.Responses, seqArrow{Step: i + 1, X1: to, X2: x["specgate"], Y: y,
				LabelX: x["specgate"] + 14, LabelY: y - 5, Label: clip(d.Answers[i], seqTextLimit)})
		}
	}
	if failAt < 0 || failAt >= len(steps) { // found after the last step (e.g. a late callback)
		y += seqStepH
		y = sd.addFail(d, x["SUT"], x["specgate"], y-seqStepH/2)
	}
	y += 30
	for i := range sd.Lifelines {
		sd.Lifelines[i].Bottom = y
	}
	sd.Height = y + 10
	sd.Width = max(560, seqLeft+(len(names)-1)*seqLaneGap+seqBoxW/2+20)
	// Room for every label: 12px monospace is about 7.2px a character,
	// counted as 8 so no label runs off the edge.
	for _, a := range append(sd.Arrows, sd.Responses...) {
		sd.Width = max(sd.Width, a.LabelX+20+textWidth(a.Label, 8))
	}
	if sd.Fail != nil {
		sd.Width = max(sd.Width, sd.Fail.LabelX+20+max(textWidth(sd.Fail.Expected, 8), textWidth(sd.Fail.Observed, 8)))
	}
	return sd
}

// addFail draws the observed answer as a return arrow from the lane at
// from to the lane at to, below y, and the expected outcomes under it; it
// returns the new y.
func (sd *seqDiagram) addFail(d *Divergence, from, to, y int) int {
	y += 26
	f := &seqFail{X1: from, X2: to, Y: y, LabelX: to + 14, LabelY: y - 6,
		Observed: "observed: " + clip(actualText(d), seqTextLimit/2),
		Expected: "expected: " + clip(expectedText(d), seqTextLimit),
		Title:    d.Kind + " [" + d.Clause + "]: expected " + expectedText(d) + "; observed " + actualText(d)}
	y += 20
	f.ExpectedY = y
	sd.Fail = f
	return y
}
