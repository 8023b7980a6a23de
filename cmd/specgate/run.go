package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/failfile"
	"github.com/specgate/specgate/internal/target"
	"github.com/specgate/specgate/internal/version"
	"github.com/specgate/specgate/models"
)

var errHelp = errors.New("help requested")

const runHelp = `Usage: specgate run [flags]

Fuzzes every selected model against a target and reports each divergence
with its clause, the expected and observed outcome, the minimal sequence and
a replay command. With no --target the embedded reference implementations
are used, and the run passes.

Targets:
  embedded                      the bundled references (default)
  vdi:exec:'CMD ARGS'           a VDI shim started as a child process (JSON-RPC on stdin/stdout)
  vdi:tcp://HOST:PORT           a VDI shim listening on TCP
  soap:http://HOST:PORT/PATH    an IPAM management server (SOAP 1.2 over HTTP; see docs/ipam-soap-binding.md)

Flags:
`

type runFlags struct {
	model, target, profile, out string
	checks, steps, maxFailures  int
	parallel                    int
	stderr                      io.Writer
	seed                        uint64
	callTimeout, shrinkTime     time.Duration
	verbose                     bool
	// IPAM over SOAP
	control, callbackListen string
	quiescence, settle      time.Duration
	checkpoints             int
}

func parseRunFlags(args []string, stderr io.Writer) (*runFlags, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rf := &runFlags{stderr: stderr}
	fs.StringVar(&rf.model, "model", "all", "model to run: "+strings.Join(modelNames(), ", ")+" or all")
	fs.StringVar(&rf.target, "target", "", "system under test (default: embedded references)")
	fs.StringVar(&rf.profile, "profile", models.ProfileDocumented, "profile: strict (seed text literally) or documented (reference pages)")
	fs.IntVar(&rf.checks, "checks", 5000, "number of random sequences per model")
	fs.IntVar(&rf.steps, "steps", 30, "average number of steps per sequence")
	fs.Uint64Var(&rf.seed, "seed", 0, "run seed (0 = pick one and print it)")
	fs.StringVar(&rf.out, "out", "specgate-out", "output directory; failure files go to OUT/failures/")
	fs.DurationVar(&rf.callTimeout, "call-timeout", 5*time.Second, "deadline of every call to the SUT")
	fs.DurationVar(&rf.shrinkTime, "shrink-time", 20*time.Second, "time budget of rapid's shrinking per divergence")
	fs.IntVar(&rf.maxFailures, "max-failures", 20, "shrink and report at most this many distinct divergences per model")
	fs.IntVar(&rf.parallel, "parallel", runtime.NumCPU(), "sequences in flight at once (results equal a serial run)")
	fs.BoolVar(&rf.verbose, "v", false, "log progress to stderr")
	addSOAPFlags(fs, rf)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), runHelp)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\n"+exitCodesHelp)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, usagef("run: %v", err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("run: unexpected argument %q", fs.Arg(0))
	}
	if rf.checks < 1 {
		return nil, usagef("run: --checks must be at least 1, got %d", rf.checks)
	}
	if rf.parallel < 1 {
		return nil, usagef("run: --parallel must be at least 1, got %d", rf.parallel)
	}
	if rf.steps < 1 {
		return nil, usagef("run: --steps must be at least 1, got %d", rf.steps)
	}
	if rf.callTimeout <= 0 || rf.shrinkTime <= 0 {
		return nil, usagef("run: --call-timeout and --shrink-time must be positive")
	}
	if err := models.CheckProfile(rf.profile, []string{models.ProfileStrict, models.ProfileDocumented}); err != nil {
		return nil, usagef("run: %v", err)
	}
	if rf.seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		rf.seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	return rf, nil
}

func cmdRun(args []string, stdout, stderr io.Writer) (int, error) {
	rf, err := parseRunFlags(args, stderr)
	if err != nil {
		return 0, err
	}
	spec, err := target.Parse(rf.target)
	if err != nil {
		return 0, usagef("run: %v", err)
	}
	selected, err := selectModels(rf.model, spec)
	if err != nil {
		return 0, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := newLogger(stderr, rf.verbose)
	failDir := filepath.Join(rf.out, "failures")
	p := newPrinter(stdout)
	fmt.Fprintf(stdout, "specgate %s  seed %d  target %s  profile %s\n", version.Version, rf.seed, spec.Raw, rf.profile)

	hasDiv, hasFault := false, false
	for _, mb := range selected {
		bound, err := mb.open(ctx, spec, rf)
		if err != nil {
			return 0, err
		}
		model := mb.model
		if bound.model != nil {
			model = bound.model
		}
		eng, err := engine.New(model, bound.target, engine.Config{
			Model: mb.name, Profile: rf.profile, Seed: rf.seed, Checks: rf.checks, Steps: rf.steps,
			ShrinkTime: rf.shrinkTime, MaxFailures: rf.maxFailures, Logger: log, Parallel: rf.parallel,
			OnFailure: func(f engine.Failure) {
				ff := failfile.FromFailure(f, spec.Raw, version.Version)
				path, werr := ff.Write(failDir, func(path string) string { return replayCommand(path, spec.Raw) })
				if werr != nil {
					fmt.Fprintf(stderr, "specgate: %v\n", werr)
				}
				p.failure(ff, path)
			},
		})
		if err != nil {
			bound.close()
			return 0, usagef("run: %v", err)
		}
		start := time.Now()
		res, err := eng.Run(ctx)
		bound.close()
		if err != nil {
			return 0, &unreachableError{fmt.Errorf("run %s: %w", mb.name, err)}
		}
		cov := bound.coverage()
		p.modelSummary(mb.name, rf.profile, res, cov, time.Since(start))
		for _, f := range res.Failures {
			if exitFor(f.Divergence.Kind) == ExitDivergence {
				hasDiv = true
			} else {
				hasFault = true
			}
		}
		if res.Interrupted {
			fmt.Fprintln(stdout, "interrupted: results above are partial")
			break
		}
	}
	switch {
	case hasDiv:
		return ExitDivergence, nil
	case hasFault:
		return ExitUnreachable, nil
	}
	return ExitConformant, nil
}

// exitFor maps a divergence kind to its exit code: crashes, hangs and an
// unreachable SUT give 3, protocol divergences give 1. A run with both
// reports 1, the divergence being the stronger statement about the SUT.
func exitFor(kind string) int {
	switch kind {
	case engine.KindCrash, engine.KindHang, engine.KindUnreachable:
		return ExitUnreachable
	}
	return ExitDivergence
}

func replayCommand(path, tgt string) string {
	cmd := "specgate replay " + shellQuote(path)
	if tgt != target.Embedded {
		cmd += " --target " + shellQuote(tgt)
	}
	return cmd
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '=' || r == ',' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func versionString() string { return version.Version }
