package expected

import (
	"fmt"
	"io"
	"strings"

	"github.com/specgate/specgate/models"
)

// Anchor is the id of a cell's heading in a section's page, e.g.
// "documented-Active-GetCommand"; the binding pages link to it.
func Anchor(section, cell string) string {
	r := strings.NewReplacer("/", "-", ".", "-", ",", "", " ", "-")
	return r.Replace(section + "-" + cell)
}

// WriteMarkdown renders d as the page docs/expected/<model>.md.
func WriteMarkdown(w io.Writer, d Doc) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Expected behaviour: %s\n\n%s.\n\n", d.Model, d.Title)
	fmt.Fprintf(&b, "Generated from the model by `specgate models --format markdown --model %s`; do not edit.\n", d.Model)
	b.WriteString("A test fails when this page differs from what the model renders.\n\n")
	b.WriteString("Each cell lists every distinct situation the model tells apart, with the shortest sequence\n")
	b.WriteString("that reaches it (from a fresh set or server), and what the call may answer there:\n")
	b.WriteString("`status -> next state [clause]`. A cell with no situation is not judged, and the call is\nnever sent there.\n\n")
	writeChoices(&b, d)
	writeIndex(&b, d)
	for _, s := range d.Sections {
		fmt.Fprintf(&b, "## Profile %s\n\n", s.Name)
		for _, c := range s.Cells {
			fmt.Fprintf(&b, "<a id=\"%s\"></a>\n**%s**", Anchor(s.Name, c.Cell), c.Cell)
			if len(c.Cases) == 0 {
				fmt.Fprintf(&b, ": not judged (%s)\n\n", c.NotJudged)
				continue
			}
			b.WriteString("\n\n")
			for _, k := range c.Cases {
				after := "fresh"
				if len(k.After) > 0 {
					after = "after `" + strings.Join(k.After, ", ") + "`"
				}
				fmt.Fprintf(&b, "- %s: %s\n", after, strings.Join(k.Allowed, " **or** "))
			}
			b.WriteString("\n")
		}
	}
	writeStimuli(&b, d.Stimuli)
	b.WriteString("## Clauses\n\n| id | source | text |\n|---|---|---|\n")
	for _, c := range d.Clauses {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.ID, cellText(c.Source), cellText(c.Text))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeChoices(b *strings.Builder, d Doc) {
	b.WriteString("## Ambiguities and the profiles' choices\n\n")
	b.WriteString("| id | point | sides | strict | documented |\n|---|---|---|---|---|\n")
	for _, a := range d.Ambiguities {
		var sides []string
		for _, s := range a.Sides {
			sides = append(sides, fmt.Sprintf("**%s**: %s (%s)", s.Name, s.Text, s.Source))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", a.ID, cellText(a.Summary), cellText(strings.Join(sides, "; ")),
			choice(a, models.ProfileStrict), choice(a, models.ProfileDocumented))
	}
	b.WriteString("\nA conformance statement (`specgate statement init`) names one side (or `either` where listed) per ambiguity instead.\n\n")
}

func choice(a models.Ambiguity, p string) string {
	c := a.Choice[p]
	if n := a.Notes[p]; n != "" {
		c += ": " + n
	}
	return cellText(c)
}

func writeStimuli(b *strings.Builder, st []models.Stimulus) {
	if len(st) == 0 {
		return
	}
	b.WriteString("## Stimuli\n\nThese calls drive the environment, not the system under test. specgate issues each only\n")
	b.WriteString("when its condition holds; if it answers otherwise the sequence is reported\n")
	b.WriteString("`inconclusive: environment`, never as a divergence.\n\n| call | issued when | must answer | effect | source |\n|---|---|---|---|---|\n")
	for _, s := range st {
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", s.Op, cellText(s.When), cellText(s.Answer), cellText(s.Does), cellText(s.Source))
	}
	b.WriteString("\n")
}

func cellText(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", "\\|"), "\n", " ")
}

// CallAnchor is the id of a call's row in the index by call, e.g.
// "call-GetCommand"; the binding and shim pages link to it.
func CallAnchor(op string) string { return "call-" + strings.ReplaceAll(op, ".", "-") }

// writeIndex lists, per call, links to its cell in every section.
func writeIndex(b *strings.Builder, d Doc) {
	b.WriteString("## Index by call\n\n")
	var ops []string
	seen := map[string]bool{}
	for _, c := range d.Sections[0].Cells {
		_, op, _ := strings.Cut(c.Cell, "/")
		if !seen[op] {
			seen[op] = true
			ops = append(ops, op)
		}
	}
	for _, op := range ops {
		fmt.Fprintf(b, "<a id=\"%s\"></a>\n**%s**:", CallAnchor(op), op)
		for _, s := range d.Sections {
			fmt.Fprintf(b, " %s:", s.Name)
			for _, c := range s.Cells {
				if st, o, _ := strings.Cut(c.Cell, "/"); o == op {
					fmt.Fprintf(b, " [%s](#%s)", st, Anchor(s.Name, c.Cell))
				}
			}
			b.WriteString(";")
		}
		b.WriteString("\n\n")
	}
}
