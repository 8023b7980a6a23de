package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/specgate/specgate/internal/report"
)

const baselineAcceptHelp = `Usage: specgate baseline accept --baseline FILE

Accepts every check this specgate has: records every clause of every model
as accepted in the baseline, so divergences under clauses a newer specgate
added stop being pending and count as new (failing) from the next run on.
Prints the clauses it added.

Flags:
`

// cmdBaselineAccept is "specgate baseline accept".
func cmdBaselineAccept(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("baseline accept", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("baseline", "", "the baseline file to update (required)")
	fs.Usage = func() { fmt.Fprint(fs.Output(), baselineAcceptHelp); fs.PrintDefaults() }
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			return errHelp
		}
		return usagef("baseline accept: %v", err)
	}
	if *path == "" || fs.NArg() > 0 {
		return usagef("baseline accept: want --baseline FILE and nothing else")
	}
	b, err := report.ReadBaseline(*path)
	if err != nil {
		return usagef("baseline accept: %v", err)
	}
	before := map[string]bool{}
	for _, c := range b.Accepted {
		before[c] = true
	}
	all := allClauses()
	var added []string
	for _, c := range all {
		if len(b.Accepted) > 0 && !before[c] {
			added = append(added, c)
		}
	}
	b.Accepted = all
	if err := b.Write(*path); err != nil {
		return &writeError{fmt.Errorf("baseline accept: %w", err)}
	}
	fmt.Fprintf(stdout, "%s: %d clauses accepted, %d new\n", *path, len(all), len(added))
	for _, c := range added {
		fmt.Fprintf(stdout, "  + %s\n", c)
	}
	return nil
}

// allClauses lists the clause id of every clause of every model, in
// registry order.
func allClauses() []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range registry {
		for _, c := range m.model.Info().Clauses {
			if !seen[c.ID] {
				seen[c.ID] = true
				out = append(out, c.ID)
			}
		}
	}
	return out
}
