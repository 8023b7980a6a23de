package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/specgate/specgate/internal/expected"
	"github.com/specgate/specgate/models"
)

func cmdModels(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("models", flag.ContinueOnError)
	fs.SetOutput(stdout)
	asJSON := fs.Bool("json", false, "print the models as JSON (--format json)")
	format := fs.String("format", "text", "text, json (clauses, ambiguities, cells), or, with --model: markdown or expected-json (every state x call cell with what each profile allows, docs/expected), csv (clause traceability)")
	name := fs.String("model", "all", "only this model")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: specgate models [--format text|json|markdown|expected-json|csv] [--model NAME]\n\nLists every model with its profiles, clauses (with sources) and the ambiguities each profile resolves;\nmarkdown renders what every call may answer in every state, for each profile (docs/expected).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			return errHelp
		}
		return usagef("models: %v", err)
	}
	if *asJSON {
		*format = "json"
	}
	switch *format {
	case "text", "json":
	case "markdown", "expected-json", "csv":
		return writeExpected(stdout, *name, *format)
	default:
		return usagef("models: --format must be text, json, markdown, expected-json or csv, got %q", *format)
	}
	var infos []models.Info
	for _, m := range registry {
		if *name == "all" || m.name == *name {
			infos = append(infos, m.model.Info())
		}
	}
	if len(infos) == 0 {
		return usagef("models: unknown model %q (known: %s)", *name, strings.Join(modelNames(), ", "))
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(infos)
	}
	for _, inf := range infos {
		fmt.Fprintf(stdout, "%s — %s\n  profiles: %s\n  cells: %d\n  clauses (%d):\n", inf.Name, inf.Title,
			strings.Join(inf.Profiles, ", "), len(inf.Cells), len(inf.Clauses))
		for _, c := range inf.Clauses {
			fmt.Fprintf(stdout, "    %-48s %s\n", c.ID, c.Text)
		}
		fmt.Fprintf(stdout, "  ambiguities (%d):\n", len(inf.Ambiguities))
		for _, a := range inf.Ambiguities {
			fmt.Fprintf(stdout, "    %s  %s\n", a.ID, a.Summary)
			for _, s := range a.Sides {
				fmt.Fprintf(stdout, "        %-12s %s — %s\n", s.Name+":", s.Source, s.Text)
			}
			for _, p := range inf.Profiles {
				if c, ok := a.Choice[p]; ok {
					fmt.Fprintf(stdout, "        %-12s follows %s\n", p+":", c)
				}
			}
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

// writeExpected renders model name's expectations (docs/expected) or its
// traceability CSV.
func writeExpected(w io.Writer, name, format string) error {
	d, ok := expected.Build(name)
	if !ok {
		return usagef("models: --format %s needs --model vdi or --model ipam, got %q", format, name)
	}
	switch format {
	case "markdown":
		return expected.WriteMarkdown(w, d)
	case "csv":
		return expected.WriteCSV(w, d)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
