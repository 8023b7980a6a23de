package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/specgate/specgate/internal/report"
)

const mergeHelp = `Usage: specgate merge --out DIR [--baseline FILE] [--min-coverage F] REPORT.json...

Combines the JSON reports of the shards of one run (specgate run --shard i/n
with the same --seed and --checks) into one report with the same coverage
and divergences as an unsharded run, writes report.json, report.xml and
report.html to DIR, prints the summary, and exits with the run's exit code.

Flags:
`

func cmdMerge(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "specgate-out", "directory for the merged reports")
	baseline := fs.String("baseline", "", "known-deviation baseline to apply to the merged report")
	baselineOptional := fs.Bool("baseline-optional", false, "with --baseline: a baseline file that does not exist yet is an empty baseline (a first night)")
	minCov := fs.Float64("min-coverage", 0, "fail (exit 5) when a model's cell coverage is below this fraction")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), mergeHelp)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\n"+exitCodesHelp)
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			return 0, errHelp
		}
		return 0, usagef("merge: %v", err)
	}
	if fs.NArg() == 0 {
		return 0, usagef("merge: no report files given")
	}
	if err := fractionInRange("merge", "min-coverage", *minCov); err != nil {
		return 0, err
	}
	rf := &runFlags{jsonOut: filepath.Join(*out, "report.json"), junitOut: filepath.Join(*out, "report.xml"),
		htmlOut: filepath.Join(*out, "report.html")}
	if err := checkOutputDir("merge", "out", *out); err != nil {
		return 0, err
	}
	if err := rf.outputs().check("merge"); err != nil {
		return 0, err
	}
	var reps []*report.Report
	for _, p := range fs.Args() {
		r, err := report.ReadJSON(p)
		if err != nil {
			return 0, usagef("merge: %v", err)
		}
		reps = append(reps, r)
	}
	merged, err := report.Merge(reps)
	if err != nil {
		return 0, usagef("merge: %v", err)
	}
	if *baselineOptional && *baseline == "" {
		return 0, usagef("merge: --baseline-optional needs --baseline FILE")
	}
	if *baseline != "" {
		b, err := loadBaseline(*baseline, *baselineOptional)
		if err != nil {
			return 0, usagef("merge: %v", err)
		}
		report.Apply(merged, b, *baseline)
	}
	if *minCov > 0 {
		report.ApplyMinCoverage(merged, *minCov)
	}
	if err := writeReports(merged, rf, stdout); err != nil {
		return 0, fmt.Errorf("merge: %w", err)
	}
	color := false
	if f, ok := stdout.(*os.File); ok {
		color = report.IsTerminal(f)
	}
	_ = report.WriteText(stdout, merged, color)
	return merged.ExitCode, nil
}

const baselineHelp = `Usage: specgate baseline --report REPORT.json --reason TEXT [--out FILE]
                         [--ticket T] [--owner O] [--expires YYYY-MM-DD]
       specgate baseline accept --baseline FILE

Writes a known-deviation baseline listing every divergence of a report by
its stable signature (model, clause, kind, expected set, observed) with a
reason. Commit it and pass it to "specgate run --baseline FILE": listed
divergences no longer fail the run, new ones do, and a listed deviation
that no longer occurs fails the run with exit code 4 so the list stays true.

Each entry embeds its proof (the failing sequence): a listed deviation a run
does not meet counts as gone only when its proof, replayed --verify times,
no longer shows it. --ticket, --owner and --expires are recorded on every
entry; a run that starts after an entry's expiry date fails with exit 4.
The baseline accepts every clause specgate has today; a divergence under a
clause a newer specgate adds is reported as pending (not failing) until
"specgate baseline accept --baseline FILE" accepts the new checks.

Flags:
`

func cmdBaseline(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "accept" {
		return cmdBaselineAccept(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rep := fs.String("report", "specgate-out/report.json", "the JSON report of a run")
	reason := fs.String("reason", "", "why these deviations are accepted (required)")
	out := fs.String("out", "specgate-baseline.json", "baseline file to write")
	var meta report.Deviation
	fs.StringVar(&meta.Ticket, "ticket", "", "ticket that tracks these deviations (recorded on every entry)")
	fs.StringVar(&meta.Owner, "owner", "", "who answers for these deviations (recorded on every entry)")
	fs.StringVar(&meta.Expires, "expires", "", "last day (YYYY-MM-DD) the deviations are accepted; later runs fail with exit 4")
	fs.Usage = func() { fmt.Fprint(fs.Output(), baselineHelp); fs.PrintDefaults() }
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			return errHelp
		}
		return usagef("baseline: %v", err)
	}
	if *reason == "" {
		return usagef("baseline: --reason is required: say why these deviations are accepted")
	}
	if err := checkOutputFile("baseline", "out", *out); err != nil {
		return err
	}
	r, err := report.ReadJSON(*rep)
	if err != nil {
		return usagef("baseline: %v", err)
	}
	if meta.Expires != "" {
		if _, err := time.Parse(report.ExpiryLayout, meta.Expires); err != nil {
			return usagef("baseline: --expires %q is not a date (want YYYY-MM-DD)", meta.Expires)
		}
	}
	b := report.NewBaselineFromReport(r, *reason)
	for i := range b.Deviations {
		b.Deviations[i].Ticket, b.Deviations[i].Owner, b.Deviations[i].Expires = meta.Ticket, meta.Owner, meta.Expires
	}
	b.Accepted = allClauses()
	if err := b.Write(*out); err != nil {
		return &writeError{fmt.Errorf("baseline: %w", err)}
	}
	fmt.Fprintf(stdout, "wrote %s with %d deviations\n", *out, len(b.Deviations))
	return nil
}
