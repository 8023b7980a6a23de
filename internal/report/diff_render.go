package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// WriteDiffText writes the diff for a terminal or a CI log: one header
// line per side, per model a summary line, then one line per new (+), fixed
// (-) and changed (~) divergence and per cell or clause gained or lost,
// and a final verdict line.
func WriteDiffText(w io.Writer, d *Diff) {
	fmt.Fprintf(w, "old: %s\n", runLine(d.Old))
	fmt.Fprintf(w, "new: %s\n", runLine(d.New))
	for _, m := range d.Models {
		writeModelDiffText(w, m)
	}
	if d.Worse {
		fmt.Fprintf(w, "verdict: worse (%d)\n", len(d.Reasons))
		for _, r := range d.Reasons {
			fmt.Fprintf(w, "  %s\n", r)
		}
		return
	}
	fmt.Fprintln(w, "verdict: nothing got worse")
}

func runLine(r DiffRun) string {
	return fmt.Sprintf("%s  (specgate %s, target %s, seed %d, %s, exit %d)",
		r.File, r.Version, r.Target, r.Seed, r.Verdict, r.ExitCode)
}

func writeModelDiffText(w io.Writer, m ModelDiff) {
	if m.Missing != "" {
		fmt.Fprintf(w, "model %s: only in the %s report\n", m.Name, other(m.Missing))
	}
	fmt.Fprintf(w, "model %s: %d new, %d fixed, %d changed, %d unchanged; cells %.1f%% -> %.1f%%; checks %d -> %d; steps %d -> %d\n",
		m.Name, len(m.New), len(m.Fixed), len(m.Changed), m.Unchanged,
		100*m.CellRatio[0], 100*m.CellRatio[1], m.Checks[0], m.Checks[1], m.Steps[0], m.Steps[1])
	for _, x := range m.New {
		fmt.Fprintf(w, "  + new      %s%s\n", x.Signature, divSuffix(x))
	}
	for _, x := range m.Fixed {
		fmt.Fprintf(w, "  - fixed    %s\n", x.Signature)
	}
	for _, x := range m.Changed {
		fmt.Fprintf(w, "  ~ changed  %s: %s\n", x.Signature, fieldsLine(x.Fields))
	}
	for _, x := range m.Cells.Gained {
		fmt.Fprintf(w, "  + cell     %s\n", x)
	}
	for _, x := range m.Cells.Lost {
		fmt.Fprintf(w, "  - cell     %s\n", x)
	}
	for _, x := range m.Clauses.Gained {
		fmt.Fprintf(w, "  + clause   %s\n", x)
	}
	for _, x := range m.Clauses.Lost {
		fmt.Fprintf(w, "  - clause   %s\n", x)
	}
}

func other(missing string) string {
	if missing == "old" {
		return "new"
	}
	return "old"
}

func divSuffix(x DiffDiv) string {
	var parts []string
	if x.Known {
		parts = append(parts, "known")
	}
	if x.Class != "" {
		parts = append(parts, x.Class)
	}
	parts = append(parts, fmt.Sprintf("%d steps", x.Length))
	s := "  (" + strings.Join(parts, ", ") + ")"
	if x.Replay != "" {
		s += "\n      replay: " + x.Replay
	}
	return s
}

func fieldsLine(fs []FieldChange) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, fmt.Sprintf("%s %s -> %s", f.Field, f.Old, f.New))
	}
	return strings.Join(parts, "; ")
}

// MarshalDiffJSON returns the indented JSON form of the diff, with a final
// newline; nothing in it is HTML-escaped.
func MarshalDiffJSON(d *Diff) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encode diff: %w", err)
	}
	return b.Bytes(), nil
}

var diffHTMLTemplate = template.Must(template.New("diff").Funcs(template.FuncMap{
	"pct":    func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"fields": fieldsLine,
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>specgate diff</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;max-width:70em}
.worse{color:#b00020}.ok{color:#1b5e20}code{font-size:13px}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
.new{color:#b00020}.fixed{color:#1b5e20}.changed{color:#8a5a00}
</style></head><body>
<h1 id="verdict" class="{{if .Worse}}worse{{else}}ok{{end}}">{{if .Worse}}Worse since {{.Old.File}}{{else}}Nothing got worse since {{.Old.File}}{{end}}</h1>
{{if .Reasons}}<ul id="reasons">{{range .Reasons}}<li>{{.}}</li>{{end}}</ul>{{end}}
<table><tr><th></th><th>report</th><th>specgate</th><th>target</th><th>seed</th><th>verdict</th><th>exit</th></tr>
<tr><td>old</td><td>{{.Old.File}}</td><td>{{.Old.Version}}</td><td>{{.Old.Target}}</td><td>{{.Old.Seed}}</td><td>{{.Old.Verdict}}</td><td>{{.Old.ExitCode}}</td></tr>
<tr><td>new</td><td>{{.New.File}}</td><td>{{.New.Version}}</td><td>{{.New.Target}}</td><td>{{.New.Seed}}</td><td>{{.New.Verdict}}</td><td>{{.New.ExitCode}}</td></tr></table>
{{range .Models}}<section class="model" id="model-{{.Name}}"><h2>{{.Name}}{{if .Missing}} (only in the {{if eq .Missing "old"}}new{{else}}old{{end}} report){{end}}</h2>
<p>{{len .New}} new, {{len .Fixed}} fixed, {{len .Changed}} changed, {{.Unchanged}} unchanged · cells {{pct (index .CellRatio 0)}} → {{pct (index .CellRatio 1)}} · checks {{index .Checks 0}} → {{index .Checks 1}} · steps {{index .Steps 0}} → {{index .Steps 1}}</p>
<ul>
{{range .New}}<li class="new">new <code>{{.Signature}}</code> ({{if .Known}}known, {{end}}{{.Class}}, {{.Length}} steps){{if .Replay}}<br><code>{{.Replay}}</code>{{end}}</li>{{end}}
{{range .Fixed}}<li class="fixed">fixed <code>{{.Signature}}</code></li>{{end}}
{{range .Changed}}<li class="changed">changed <code>{{.Signature}}</code>: {{fields .Fields}}</li>{{end}}
{{range .Cells.Gained}}<li class="fixed">cell reached: <code>{{.}}</code></li>{{end}}
{{range .Cells.Lost}}<li class="new">cell no longer reached: <code>{{.}}</code></li>{{end}}
{{range .Clauses.Gained}}<li class="fixed">clause reached: <code>{{.}}</code></li>{{end}}
{{range .Clauses.Lost}}<li class="new">clause no longer reached: <code>{{.}}</code></li>{{end}}
</ul></section>{{end}}
</body></html>
`))

// RenderDiffHTML returns the diff as one self-contained HTML page, the
// verdict and its reasons first.
func RenderDiffHTML(d *Diff) ([]byte, error) {
	var b bytes.Buffer
	if err := diffHTMLTemplate.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("render diff HTML: %w", err)
	}
	return b.Bytes(), nil
}
