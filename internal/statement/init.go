package statement

import (
	"fmt"
	"io"
	"strings"

	"github.com/specgate/specgate/models"
)

// WriteInit writes a statement for inf to w with every ambiguity set to
// profile's choice and every capability to true, each with a comment that
// lists the options and what each side says, for a vendor to edit.
func WriteInit(w io.Writer, inf models.Info, profile string) error {
	if err := models.CheckProfile(profile, inf.Profiles); err != nil {
		return fmt.Errorf("statement init: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# specgate conformance statement for the %s model (%s).\n", inf.Name, inf.Title)
	fmt.Fprintf(&b, "# Every ambiguity must name one option; the run judges the implementation by\n")
	fmt.Fprintf(&b, "# these choices (--statement FILE). Prefilled with the %s profile's choices.\n", profile)
	fmt.Fprintf(&b, "kind: %s\nmodel: %s\nimplementation: \"\"\nchoices:\n", Kind, inf.Name)
	for _, a := range inf.Ambiguities {
		fmt.Fprintf(&b, "  # %s: %s\n", a.ID, a.Summary)
		for _, s := range a.Sides {
			fmt.Fprintf(&b, "  #   %q: %s (%s)\n", s.Name, s.Text, s.Source)
		}
		if a.Either {
			fmt.Fprintf(&b, "  #   %q: both readings are accepted\n", models.SideEither)
		}
		fmt.Fprintf(&b, "  %s: %q\n", a.ID, a.Choice[profile])
	}
	b.WriteString("capabilities:\n")
	for _, c := range Capabilities[inf.Name] {
		fmt.Fprintf(&b, "  # %s\n  %s: true\n", c.Doc, c.Name)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
