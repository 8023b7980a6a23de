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
	"github.com/specgate/specgate/internal/redact"
	"github.com/specgate/specgate/internal/report"
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
  soap:net.tcp://HOST:PORT/PATH an IPAM management server over net.tcp (MC-NMF duplex, binary or text)

Flags:
`

type runFlags struct {
	model, target, profile     string
	checks, steps, maxFailures int
	parallel                   int
	shrinkReplays, verify      int
	failFast                   bool
	stderr                     io.Writer
	seed                       uint64
	callTimeout, shrinkTime    time.Duration
	verbose                    bool
	// reports, baselines and CI gating
	out, jsonOut, junitOut, htmlOut string
	baseline, corpus, shard         string
	minCoverage                     float64
	budget                          time.Duration
	progress                        string
	// target security: TLS files, the credential (from env or file) and
	// the redactor that keeps it out of every output
	caCert, clientCert, clientKey, authFile string
	auth                                    string
	redactor                                *redact.Redactor
	// IPAM over SOAP
	control, callbackListen string
	via, encoding           string
	security, authMech      string // net.tcp transport security (nettcp_security.go)
	spn, protection         string
	netTCPCloseWait         time.Duration
	quiescence, settle      time.Duration
	settleMin               time.Duration
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
	fs.IntVar(&rf.shrinkReplays, "shrink-replays", engine.DefaultShrinkReplays, "replays spent at most shrinking one failure (a count, so the result does not depend on the machine's speed)")
	fs.DurationVar(&rf.shrinkTime, "shrink-time", 0, "escape hatch: also stop shrinking one failure after this long; a failure it cuts short is marked partial (0 = no time bound)")
	fs.IntVar(&rf.verify, "verify", engine.DefaultVerify, "replay each failure this many times alone before reporting it (reproduced k/K)")
	fs.IntVar(&rf.maxFailures, "max-failures", 20, "shrink and report at most this many distinct divergences per model")
	fs.BoolVar(&rf.failFast, "fail-fast", false, "stop after the first divergence is shrunk and reported (the run is then partial)")
	fs.IntVar(&rf.parallel, "parallel", runtime.NumCPU(), "sequences in flight at once (results equal a serial run)")
	fs.BoolVar(&rf.verbose, "v", false, "log engine events to stderr")
	fs.StringVar(&rf.jsonOut, "json", "", "JSON report path (default OUT/report.json; \"\" after --json= disables)")
	fs.StringVar(&rf.junitOut, "junit", "", "JUnit XML report path (default OUT/report.xml)")
	fs.StringVar(&rf.htmlOut, "html", "", "self-contained HTML report path (default OUT/report.html)")
	fs.StringVar(&rf.baseline, "baseline", "", "known-deviation baseline file: listed divergences do not fail the run, listed ones that are gone do (exit 4)")
	fs.StringVar(&rf.corpus, "corpus", "", "directory of failure files replayed before fuzzing (regression corpus)")
	fs.Float64Var(&rf.minCoverage, "min-coverage", 0, "fail (exit 5) when a model's cell coverage is below this fraction, e.g. 0.8")
	fs.DurationVar(&rf.budget, "budget", 0, "stop fuzzing after this long (e.g. 10m) and still write complete reports")
	fs.StringVar(&rf.shard, "shard", "", "run shard i of n (\"i/n\", 0 <= i < n) of the checks; combine with specgate merge")
	fs.StringVar(&rf.progress, "progress", "auto", "progress display: auto (bar on a TTY, lines otherwise), bar, lines or none")
	addSOAPFlags(fs, rf)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), runHelp)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\n"+exitCodesHelp)
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
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
	if rf.callTimeout <= 0 {
		return nil, usagef("run: --call-timeout must be positive")
	}
	if rf.shrinkTime < 0 {
		return nil, usagef("run: --shrink-time must not be negative")
	}
	if rf.shrinkReplays < 1 {
		return nil, usagef("run: --shrink-replays must be at least 1, got %d", rf.shrinkReplays)
	}
	if rf.verify < 1 {
		return nil, usagef("run: --verify must be at least 1, got %d", rf.verify)
	}
	if rf.maxFailures < 1 {
		return nil, usagef("run: --max-failures must be at least 1, got %d", rf.maxFailures)
	}
	if err := models.CheckProfile(rf.profile, []string{models.ProfileStrict, models.ProfileDocumented}); err != nil {
		return nil, usagef("run: %v", err)
	}
	if rf.minCoverage < 0 || rf.minCoverage > 1 {
		return nil, usagef("run: --min-coverage must be between 0 and 1, got %v", rf.minCoverage)
	}
	if rf.budget < 0 {
		return nil, usagef("run: --budget must not be negative")
	}
	switch rf.progress {
	case "auto", "bar", "lines", "none":
	default:
		return nil, usagef("run: --progress must be auto, bar, lines or none, got %q", rf.progress)
	}
	if rf.shard != "" {
		if _, _, err := parseShard(rf.shard); err != nil {
			return nil, usagef("run: %v", err)
		}
		if rf.seed == 0 {
			return nil, usagef("run: --shard needs an explicit --seed so every shard runs the same checks")
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["json"] {
		rf.jsonOut = filepath.Join(rf.out, "report.json")
	}
	if !set["junit"] {
		rf.junitOut = filepath.Join(rf.out, "report.xml")
	}
	if !set["html"] {
		rf.htmlOut = filepath.Join(rf.out, "report.html")
	}
	auth, err := loadAuth(rf.authFile)
	if err != nil {
		return nil, usagef("run: %v", err)
	}
	rf.auth, rf.redactor = auth, redact.New(secretsOf(auth)...)
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
	// Nothing specgate prints may carry the target's credential.
	stdout, stderr = rf.redactor.Writer(stdout), rf.redactor.Writer(stderr)
	rf.stderr = stderr
	defer redact.Flush(stdout)
	defer redact.Flush(stderr)
	spec, err := target.Parse(rf.target)
	if err != nil {
		return 0, usagef("run: %v", err)
	}
	selected, err := selectModels(rf.model, spec)
	if err != nil {
		return 0, err
	}
	var baseline *report.BaselineFile
	if rf.baseline != "" {
		if baseline, err = report.ReadBaseline(rf.baseline); err != nil {
			return 0, usagef("run: %v", err)
		}
	}
	var corpus []*failfile.File
	if rf.corpus != "" {
		if corpus, err = readCorpus(rf.corpus); err != nil {
			return 0, usagef("run: %v", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fuzzCtx, cancelBudget := ctx, context.CancelFunc(func() {})
	if rf.budget > 0 {
		fuzzCtx, cancelBudget = context.WithTimeout(ctx, rf.budget)
	}
	defer cancelBudget()
	log := newLogger(stderr, rf.verbose)
	failDir := filepath.Join(rf.out, "failures")
	first, count := rf.shardRange()
	rep := &report.Report{Schema: report.Schema, SchemaVersion: report.SchemaVersion, Run: report.Run{
		Version: version.Version, Target: spec.Raw, Profile: rf.profile, Seed: rf.seed, Checks: count,
		Steps: rf.steps, Shard: rf.shard, Started: time.Now().UTC(),
	}}
	fmt.Fprintf(stdout, "specgate %s  seed %d  target %s  profile %s  checks %d (from %d)\n",
		version.Version, rf.seed, spec.Raw, rf.profile, count, first)

	for _, mb := range selected {
		if ctx.Err() != nil {
			rep.Run.Partial, rep.Run.Interrupted = true, true
			break
		}
		bound, err := mb.open(ctx, spec, rf)
		if err != nil {
			return 0, err
		}
		model := mb.model
		if bound.model != nil {
			model = bound.model
		}
		inf := model.Info()
		mr := report.Model{Name: mb.name, Title: inf.Title, Profile: rf.profile, Clauses: inf.Clauses, Ambiguities: inf.Ambiguities}
		addFailure := func(f engine.Failure, path, replay string) {
			redactFailure(rf.redactor, &f)
			ff := failfile.FromFailure(f, spec.Raw, version.Version)
			mr.Divergences = append(mr.Divergences, report.Divergence{Divergence: f.Divergence,
				Signature: report.SignatureOf(mb.name, f.Divergence), Sequence: f.Sequence, Steps: ff.Steps,
				Original: f.Original, Seed: f.Seed, Check: f.Check, Transcript: f.Transcript, File: path, Replay: replay,
				Class: f.Class, Reproduced: f.Reproduced, Verify: f.Verify, ShrinkReplays: f.Replays,
				ShrinkExhausted: f.Exhausted, ShrinkPartial: f.Partial, Note: f.Note})
			class := ""
			if f.Verify > 0 {
				class = fmt.Sprintf(", %s %s", f.Class, f.Reproduction())
			}
			fmt.Fprintf(stdout, "  x %s/%s: %s [%s] at %s, shrunk from %d to %d steps%s -> %s\n", mb.name, rf.profile,
				f.Divergence.Kind, f.Divergence.Clause, f.Divergence.Cell, f.Original, len(f.Sequence), class, path)
		}
		// The regression corpus first: every saved failure of this model.
		replayed := 0
		for _, cf := range corpus {
			if cf.Model != mb.name {
				continue
			}
			replayed++
			d, transcript, err := engine.Replay(ctx, bound.target, cf.Sequence)
			if err != nil && ctx.Err() != nil {
				break // interrupted: say so below, invent nothing
			}
			if err != nil {
				bound.close()
				return 0, &unreachableError{fmt.Errorf("corpus replay: %w", err)}
			}
			if d != nil {
				addFailure(engine.Failure{Model: mb.name, Profile: rf.profile, Seed: cf.Seed, Check: cf.Check,
					Sequence: cf.Sequence, Original: len(cf.Sequence), Divergence: *d, Transcript: transcript},
					cf.Path, replayCommand(cf.Path, spec.Raw))
			}
		}
		if replayed > 0 {
			fmt.Fprintf(stdout, "%s: replayed %d corpus sequences from %s\n", mb.name, replayed, rf.corpus)
		}
		prog := newProgress(stderr, mb.name, count, rf.progress)
		eng, err := engine.New(model, bound.target, engine.Config{
			Model: mb.name, Profile: rf.profile, Seed: rf.seed, Checks: count, FirstCheck: first, Steps: rf.steps,
			ShrinkTime: rf.shrinkTime, ShrinkReplays: rf.shrinkReplays, Verify: rf.verify,
			MaxFailures: rf.maxFailures, Logger: log, Parallel: rf.parallel,
			FailFast: rf.failFast, OnCheck: prog.check, Baselined: baselined(baseline, mb.name),
			OnFailure: func(f engine.Failure) {
				prog.failure()
				redactFailure(rf.redactor, &f)
				ff := failfile.FromFailure(f, spec.Raw, version.Version)
				path, werr := ff.Write(failDir, func(path string) string { return replayCommand(path, spec.Raw) })
				if werr != nil {
					fmt.Fprintf(stderr, "specgate: %v\n", werr)
				}
				addFailure(f, path, ff.Replay)
			},
		})
		if err != nil {
			bound.close()
			return 0, usagef("run: %v", err)
		}
		res, err := eng.Run(fuzzCtx)
		prog.done()
		if bound.warnings != nil {
			mr.Warnings = bound.warnings()
		}
		bound.close()
		if err != nil {
			return 0, &unreachableError{fmt.Errorf("run %s: %w", mb.name, err)}
		}
		mr.Checks, mr.Steps, mr.Coverage = res.Checks, res.Steps, bound.coverage()
		mr.Fenced, mr.Unreported = res.Fenced, res.Unreported
		for _, fs := range res.Faults {
			f := report.Fault{Kind: fs.Kind, Occurrences: fs.Occurrences, Calls: res.Steps,
				FirstCheck: fs.FirstCheck, FirstStep: fs.FirstStep, FirstAction: fs.FirstAction}
			if res.Steps > 0 {
				f.Rate = float64(fs.Occurrences) / float64(res.Steps)
			}
			mr.Faults = append(mr.Faults, f)
		}
		rep.Models = append(rep.Models, mr)
		if res.Stopped {
			rep.Run.Partial = true
		}
		if res.Interrupted {
			rep.Run.Partial = true
			if ctx.Err() != nil {
				rep.Run.Interrupted = true
				fmt.Fprintln(stdout, "interrupted: the reports hold what was found so far")
				break
			}
			fmt.Fprintf(stdout, "%s: the --budget of %v ran out after %d checks\n", mb.name, rf.budget, res.Checks)
		}
	}
	rep.Run.Finished = time.Now().UTC()
	rep.Run.WallTime = rep.Run.Finished.Sub(rep.Run.Started).Seconds()
	report.Recompute(rep)
	if baseline != nil {
		report.Apply(rep, baseline, rf.baseline)
	}
	if rf.minCoverage > 0 {
		report.ApplyMinCoverage(rep, rf.minCoverage)
	}
	if err := writeReports(rep, rf); err != nil {
		fmt.Fprintf(stderr, "specgate: %v\n", err)
	}
	color := false
	if f, ok := stdout.(*os.File); ok {
		color = report.IsTerminal(f) && os.Getenv("NO_COLOR") == ""
	}
	fmt.Fprintln(stdout)
	_ = report.WriteText(stdout, rep, color)
	return rep.ExitCode, nil
}

// baselined returns the engine's view of the baseline for one model: a
// listed divergence is still reported but does not count toward
// --max-failures.
func baselined(b *report.BaselineFile, model string) func(*engine.Divergence) bool {
	if b == nil {
		return nil
	}
	listed := map[string]bool{}
	for _, d := range b.Deviations {
		listed[d.Signature()] = true
	}
	return func(d *engine.Divergence) bool { return listed[report.SignatureOf(model, *d)] }
}

// writeReports writes the JSON, JUnit and HTML reports atomically.
func writeReports(rep *report.Report, rf *runFlags) error {
	var errs []error
	if rf.jsonOut != "" {
		errs = append(errs, report.WriteJSON(rf.jsonOut, rep))
	}
	if rf.junitOut != "" {
		errs = append(errs, report.WriteJUnit(rf.junitOut, rep))
	}
	if rf.htmlOut != "" {
		errs = append(errs, report.WriteHTML(rf.htmlOut, rep))
	}
	return errors.Join(errs...)
}

// readCorpus loads every failure file of a regression corpus directory.
func readCorpus(dir string) ([]*failfile.File, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("--corpus %s is not a directory", dir)
	}
	var out []*failfile.File
	for _, p := range paths {
		f, err := failfile.Read(p, validAction)
		if err != nil {
			return nil, fmt.Errorf("corpus: %w", err)
		}
		f.Path = p
		out = append(out, f)
	}
	return out, nil
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
