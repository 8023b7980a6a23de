package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/specgate/specgate/internal/atomicfile"
	"github.com/specgate/specgate/internal/report"
)

const diffHelp = `Usage: specgate diff [--json FILE|-] [--html FILE] OLD.json NEW.json

Compares two runs' JSON reports (report.json): the divergences that are new,
fixed or changed (matched by signature: kind, clause, cell and observed
outcome), the cells and clauses reached in only one of the runs, and the
checks and steps of each model. Prints the difference as text and exits 1
when anything got worse: a new divergence not listed in the new run's
baseline, a divergence no longer listed as known, a cell or clause that is
no longer reached, or a model that is no longer run. Exits 0 otherwise.

--json - writes the JSON form to standard output instead of the text.

Flags:
`

func cmdDiff(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.String("json", "", "also write the diff as JSON to this file (- for standard output)")
	htmlOut := fs.String("html", "", "also write the diff as one HTML page to this file")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), diffHelp)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\n"+exitCodesHelp)
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			return 0, errHelp
		}
		return 0, usagef("diff: %v", err)
	}
	if fs.NArg() != 2 {
		return 0, usagef("diff: want two report files (OLD.json NEW.json), got %d", fs.NArg())
	}
	oldPath, newPath := fs.Arg(0), fs.Arg(1)
	old, err := report.ReadJSON(oldPath)
	if err != nil {
		return 0, usagef("diff: %v", err)
	}
	cur, err := report.ReadJSON(newPath)
	if err != nil {
		return 0, usagef("diff: %v", err)
	}
	d := report.Compare(old, cur, oldPath, newPath)
	if err := writeDiffOutputs(d, *jsonOut, *htmlOut, stdout); err != nil {
		return 0, err
	}
	if d.Worse {
		return ExitDivergence, nil
	}
	return ExitConformant, nil
}

// writeDiffOutputs writes the JSON and HTML forms where asked, and the text
// to stdout unless the JSON goes there.
func writeDiffOutputs(d *report.Diff, jsonOut, htmlOut string, stdout io.Writer) error {
	if jsonOut != "" {
		data, err := report.MarshalDiffJSON(d)
		if err != nil {
			return err
		}
		if jsonOut == "-" {
			if _, err := stdout.Write(data); err != nil {
				return fmt.Errorf("diff: write JSON to standard output: %w", err)
			}
		} else if err := atomicfile.Write(jsonOut, data, 0o644); err != nil {
			return usagef("diff: write %s: %v", jsonOut, err)
		}
	}
	if htmlOut != "" {
		data, err := report.RenderDiffHTML(d)
		if err != nil {
			return err
		}
		if err := atomicfile.Write(htmlOut, data, 0o644); err != nil {
			return usagef("diff: write %s: %v", htmlOut, err)
		}
	}
	if jsonOut != "-" {
		report.WriteDiffText(stdout, d)
	}
	return nil
}
