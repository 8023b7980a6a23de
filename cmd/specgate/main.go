// Command specgate is a conformance test harness and protocol fuzzer for
// the state machines of MS-IPAMM2 asynchronous provisioning and schema
// conversion and of the SQL Server VDI client.
//
// Exit codes:
//
//	0  conformant: no divergence (known baseline deviations do not count)
//	1  new divergence: the SUT did something the model does not allow
//	2  usage or configuration error
//	3  SUT unreachable, crashed or hung
//	4  a known deviation listed in the baseline no longer occurs
//	5  cell coverage below --min-coverage
//	6  interrupted (SIGINT/SIGTERM)
//	7  a report or failure file could not be written at the end
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/specgate/specgate/internal/version"
)

// Exit codes, documented in README.md and in every --help.
const (
	ExitConformant  = 0
	ExitDivergence  = 1
	ExitUsage       = 2
	ExitUnreachable = 3
	ExitInterrupted = 6
	ExitWriteFailed = 7
)

const exitCodesHelp = `Exit codes:
  0  conformant: no divergence found (known deviations listed in --baseline and
     sequences a stimulus left inconclusive (environment) do not count)
  1  new divergence found (or a replayed failure reproduced)
  2  usage or configuration error
  3  SUT unreachable, crashed or hung
  4  a known deviation listed in --baseline no longer occurs (its proof no longer reproduces) or an entry expired
  5  cell coverage below --min-coverage
  6  interrupted (SIGINT/SIGTERM) before any new failure was found; the reports hold what was covered
  7  a report or failure file could not be written (output paths are checked before the run: exit 2)
`

// usageError is a bad flag, argument or configuration: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// unreachableError means the SUT could not be reached: exit code 3.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

const topHelp = `specgate — conformance test harness and protocol fuzzer

Usage:
  specgate run     [flags]          fuzz models against a target (default: embedded references)
  specgate replay  FILE [flags]     replay a saved failure file
  specgate export  FILE --format F  write a standalone reproducer (vdi-script, go-test)
  specgate models  [--json]         list models, clauses and ambiguities
  specgate statement init|check     write or check a vendor's conformance statement
  specgate shim-check --target T    check that a VDI shim speaks the protocol
  specgate baseline --report R      write a known-deviation baseline from a report
  specgate merge --out DIR R...     merge the reports of sharded runs
  specgate diff OLD.json NEW.json   what changed between two runs (exit 1 when worse)
  specgate corpus add --corpus DIR F...  grow a regression corpus, one file per signature
  specgate fixture NAME [flags]     run a bundled SUT (reference or mutant shims)
  specgate version                  print the version, commit, date and Go version

Run "specgate COMMAND --help" for the flags of a command.

` + exitCodesHelp

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topHelp)
		return ExitUsage
	}
	var err error
	switch args[0] {
	case "run":
		var code int
		code, err = cmdRun(args[1:], stdout, stderr)
		if err == nil {
			return code
		}
	case "replay":
		var code int
		code, err = cmdReplay(args[1:], stdout, stderr)
		if err == nil {
			return code
		}
	case "shim-check":
		var code int
		code, err = cmdShimCheck(args[1:], stdout, stderr)
		if err == nil {
			return code
		}
	case "merge":
		var code int
		code, err = cmdMerge(args[1:], stdout, stderr)
		if err == nil {
			return code
		}
	case "diff":
		var code int
		code, err = cmdDiff(args[1:], stdout, stderr)
		if err == nil {
			return code
		}
	case "export":
		err = cmdExport(args[1:], stdout, stderr)
	case "baseline":
		err = cmdBaseline(args[1:], stdout, stderr)
	case "models":
		err = cmdModels(args[1:], stdout)
	case "corpus":
		err = cmdCorpus(args[1:], stdout, stderr)
	case "statement":
		err = cmdStatement(args[1:], stdout)
	case "fixture":
		err = cmdFixture(args[1:], stdout, stderr)
	case "version", "--version":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "specgate: version: unexpected argument %q\n", args[1])
			return ExitUsage
		}
		fmt.Fprint(stdout, version.Info().String())
		return ExitConformant
	case "help", "-h", "--help":
		fmt.Fprint(stdout, topHelp)
		return ExitConformant
	default:
		err = usagef("unknown command %q (want run, replay, export, models, statement, shim-check, baseline, merge, diff, corpus, fixture or version)", args[0])
	}
	if err == nil {
		return ExitConformant
	}
	if errors.Is(err, errHelp) {
		return ExitConformant
	}
	fmt.Fprintln(stderr, "specgate: "+strings.ReplaceAll(err.Error(), "\n", " "))
	var ue *usageError
	var ur *unreachableError
	var we *writeError
	switch {
	case errors.As(err, &we):
		return ExitWriteFailed
	case errors.As(err, &ur):
		return ExitUnreachable
	case errors.As(err, &ue):
		return ExitUsage
	}
	return ExitUsage
}

// parseFlags parses a command's flags. A bad flag is reported by the caller
// in one line; only -h/--help prints the usage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return errHelp
	}
	return err
}
