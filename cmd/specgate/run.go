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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/failfile"
	"github.com/specgate/specgate/internal/redact"
	"github.com/specgate/specgate/internal/report"
	"github.com/specgate/specgate/internal/shellword"
	"github.com/specgate/specgate/internal/shim"
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
	startTimeout               time.Duration // first shim.hello of a new VDI shim child or connection
	verbose                    bool
	// reports, baselines and CI gating
	out, jsonOut, junitOut, htmlOut string
	baseline, corpus, shard         string
	baselineOptional                bool
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
	// extra environment of an exec shim child (--shim-env NAME=VALUE)
	shimEnv shimEnv
	// vendor conformance statements, one per model (--statement FILE)
	statements statementFlag
	// strictEnvironment: an inconclusive (environment) sequence fails
	strictEnvironment bool
	// replayFlags are the connection flags the user set, passed on to
	// every printed replay command (setFlags).
	replayFlags []string
}

func parseRunFlags(args []string, stderr io.Writer) (*runFlags, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rf := &runFlags{stderr: stderr}
	fs.StringVar(&rf.model, "model", "all", "model to run: "+strings.Join(modelNames(), ", ")+" or all")
	fs.StringVar(&rf.target, "target", "", "system under test (default: embedded references)")
	fs.StringVar(&rf.profile, "profile", models.ProfileDocumented, "profile: strict (seed text literally) or documented (reference pages)")
	fs.IntVar(&rf.checks, "checks", 5000, "number of random sequences per model (1..1000000000)")
	fs.IntVar(&rf.steps, "steps", 30, "average number of steps per sequence (1..10000)")
	fs.Uint64Var(&rf.seed, "seed", 0, "run seed (0 = pick one and print it)")
	fs.StringVar(&rf.out, "out", "specgate-out", "output directory; failure files go to OUT/failures/")
	fs.DurationVar(&rf.callTimeout, "call-timeout", 5*time.Second, "deadline of every call to the SUT")
	fs.DurationVar(&rf.startTimeout, "start-timeout", shim.DefaultStartTimeout, "VDI: deadline of the first shim.hello a new shim child or connection answers (its start-up); every other call has --call-timeout")
	fs.IntVar(&rf.shrinkReplays, "shrink-replays", engine.DefaultShrinkReplays, "replays spent at most shrinking one failure (a count, so the result does not depend on the machine's speed)")
	fs.DurationVar(&rf.shrinkTime, "shrink-time", 0, "escape hatch: also stop shrinking one failure after this long; a failure it cuts short is marked partial (0 = no time bound)")
	fs.IntVar(&rf.verify, "verify", engine.DefaultVerify, "replay each failure this many times alone before reporting it (reproduced k/K), 1..100")
	fs.IntVar(&rf.maxFailures, "max-failures", 20, "shrink and report at most this many distinct divergences per model (1..10000)")
	fs.BoolVar(&rf.failFast, "fail-fast", false, "stop after the first divergence is shrunk and reported (the run is then partial); an inconclusive result stops it only with --strict-environment")
	fs.IntVar(&rf.parallel, "parallel", min(runtime.NumCPU(), maxParallel), "sequences in flight at once, 1..256 (results equal a serial run)")
	fs.BoolVar(&rf.verbose, "v", false, "log engine events to stderr")
	fs.StringVar(&rf.jsonOut, "json", "", "JSON report path (default OUT/report.json; - = standard output, the summary then goes to stderr; \"\" after --json= disables)")
	fs.StringVar(&rf.junitOut, "junit", "", "JUnit XML report path (default OUT/report.xml; - = standard output)")
	fs.StringVar(&rf.htmlOut, "html", "", "self-contained HTML report path (default OUT/report.html; - = standard output)")
	fs.StringVar(&rf.baseline, "baseline", "", "known-deviation baseline file: listed divergences do not fail the run, listed ones that are gone do (exit 4)")
	fs.StringVar(&rf.corpus, "corpus", "", "directory of failure files replayed before fuzzing (regression corpus)")
	fs.Float64Var(&rf.minCoverage, "min-coverage", 0, "fail (exit 5) when a model's cell coverage is below this fraction (0..1), e.g. 0.8")
	fs.DurationVar(&rf.budget, "budget", 0, "stop fuzzing after this long (e.g. 10m) and still write complete reports")
	fs.StringVar(&rf.shard, "shard", "", "run shard i of n (\"i/n\", 0 <= i < n) of the checks; combine with specgate merge")
	fs.BoolVar(&rf.strictEnvironment, "strict-environment", false, "fail (exit 1) when a stimulus (VDI server.*, the IPAM control endpoint) leaves a sequence inconclusive; by default those are reported apart and do not fail the run")
	fs.Var(&rf.statements, "statement", "vendor conformance statement (specgate statement init): judge the model it names by its declared choices instead of --profile; once per model")
	fs.StringVar(&rf.progress, "progress", "auto", "progress display: auto (bar on a TTY, lines otherwise), bar, lines or none")
	addSOAPFlags(fs, rf)
	addGateFlags(fs, rf)
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
	if err := checkRunLimits(rf); err != nil {
		return nil, err
	}
	if err := models.CheckProfile(rf.profile, []string{models.ProfileStrict, models.ProfileDocumented}); err != nil {
		return nil, usagef("run: %v", err)
	}
	if err := rf.statements.checkControl(rf.control); err != nil {
		return nil, usagef("run: %v", err)
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
	rf.replayFlags = setFlags(fs)
	if !set["json"] {
		rf.jsonOut = filepath.Join(rf.out, "report.json")
	}
	if !set["junit"] {
		rf.junitOut = filepath.Join(rf.out, "report.xml")
	}
	if !set["html"] {
		rf.htmlOut = filepath.Join(rf.out, "report.html")
	}
	// Every output is checked before anything runs: a path that cannot be
	// written is a usage error with nothing written, not a run without reports.
	if err := checkOutputDir("run", "out", rf.out); err != nil {
		return nil, err
	}
	if err := checkDirOf("run", "out", rf.out, filepath.Join(rf.out, "failures")); err != nil {
		return nil, err
	}
	if err := rf.outputs().check("run"); err != nil {
		return nil, err
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
	// A report on standard output (--json -) keeps it for itself: the
	// human summary goes to standard error.
	reportOut := stdout
	if rf.outputs().toStdout() {
		stdout = stderr
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
	if err := rf.shimEnv.forTarget("run", spec.Kind); err != nil {
		return 0, err
	}
	selected, err := selectModels(rf.model, spec)
	if err != nil {
		return 0, err
	}
	var baseline *report.BaselineFile
	if rf.baselineOptional && rf.baseline == "" {
		return 0, usagef("run: --baseline-optional needs --baseline FILE")
	}
	if rf.baseline != "" {
		if baseline, err = loadBaseline(rf.baseline, rf.baselineOptional); err != nil {
			return 0, usagef("run: %v", err)
		}
	}
	var corpus []*failfile.File
	if rf.corpus != "" {
		if corpus, err = readCorpus(rf.corpus); err != nil {
			return 0, usagef("run: %v", err)
		}
	}
	if rf.baseline != "" && baseline == nil {
		fmt.Fprintf(stdout, "baseline %s does not exist yet: no known deviations (--baseline-optional)\n", rf.baseline)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fuzzCtx, cancelBudget := ctx, context.CancelFunc(func() {})
	if rf.budget > 0 {
		fuzzCtx, cancelBudget = context.WithTimeout(ctx, rf.budget)
	}
	defer cancelBudget()
	log := newLogger(stderr, rf.verbose)
	var writeFailed atomic.Bool // a failure file or report could not be written: exit 7
	if len(rf.shimEnv) > 0 {
		log.Info("shim child environment", "extra", rf.shimEnv.names()) // names only: values may be secrets
	}
	failDir := filepath.Join(rf.out, "failures")
	// Failure files of earlier runs into the same --out are removed (only
	// the ones specgate listed in its manifest), so nothing is counted
	// twice: once the first target is bound (a usage error writes nothing)
	// or it is unreachable (the run has a verdict, exit 3).
	var manifest *failfile.Manifest
	openManifest := func() error {
		if manifest != nil {
			return nil
		}
		m, _, err := failfile.OpenManifest(failDir)
		if err != nil {
			return usagef("run: --out %s: %v", rf.out, err)
		}
		manifest = m
		return nil
	}
	first, count := rf.shardRange()
	rep := &report.Report{Schema: report.Schema, SchemaVersion: report.SchemaVersion, Run: report.Run{
		Version: version.Version, Target: spec.Raw, Profile: rf.profile, Seed: rf.seed, Checks: count,
		Shard: rf.shard, Started: time.Now().UTC(), Build: buildInfo(), StrictEnvironment: rf.strictEnvironment,
	}}
	fmt.Fprintf(stdout, "%s  checks %d (from %d)\n", report.Banner(rep), count, first)

	proofs := newProofReplays()
	base := rf.profile
	defer func() { rf.profile = base }()
	for _, mb := range selected {
		if ctx.Err() != nil {
			rep.Run.Partial, rep.Run.Interrupted = true, true
			break
		}
		if rf.profile = rf.statements.profileFor(mb.name, base); spec.Kind == target.Embedded && !isProfileName(rf.profile) {
			return 0, usagef("run: the embedded references emulate only the strict and documented profiles; run the statement for %s against the vendor's target", mb.name)
		}
		bound, err := mb.open(ctx, spec, rf)
		var ur *unreachableError
		if err != nil && errors.As(err, &ur) {
			if merr := openManifest(); merr != nil {
				return 0, merr
			}
		}
		if err != nil {
			return 0, err
		}
		if err := openManifest(); err != nil {
			bound.close()
			return 0, err
		}
		model := mb.model
		if bound.model != nil {
			model = bound.model
		}
		inf := model.Info()
		mr := report.Model{Name: mb.name, Title: inf.Title, Profile: rf.profile, Clauses: inf.Clauses, Ambiguities: inf.Ambiguities,
			CellOrder: inf.Cells}
		rf.statements.describe(&mr, inf, base, stdout)
		addFailure := func(f engine.Failure, path, replay string) {
			redactFailure(rf.redactor, &f)
			ff := failfile.FromFailure(f, spec.Raw, version.Version)
			list := &mr.Divergences
			if f.Divergence.Kind == engine.KindInconclusive {
				list = &mr.Inconclusive
			}
			*list = append(*list, report.Divergence{Divergence: f.Divergence,
				Signature: report.SignatureOf(mb.name, f.Divergence), Sequence: f.Sequence, Steps: ff.Steps,
				Original: f.Original, Seed: f.Seed, Check: f.Check, Transcript: f.Transcript, Answers: f.Answers, File: path, Replay: replay,
				Class: f.Class, Reproduced: f.Reproduced, Verify: f.Verify, ShrinkReplays: f.Replays,
				ShrinkExhausted: f.Exhausted, ShrinkPartial: f.Partial, Note: f.Note,
				Statement: report.StatementNote(f.Divergence.Clause, inf.Ambiguities, mr.Choices)})
			class := ""
			if f.Verify > 0 {
				class = fmt.Sprintf(", %s %s", f.Class, f.Reproduction())
			}
			fmt.Fprintf(stdout, "  x %s/%s: %s [%s] at %s, shrunk from %d to %d steps%s -> %s\n", mb.name, profileLabel(rf.profile),
				f.Divergence.Kind, f.Divergence.Clause, f.Divergence.Cell, f.Original, len(f.Sequence), class, path)
		}
		// The regression corpus first: every saved failure of this model.
		replayed := 0
		corpusSeen := map[string]bool{}
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
			if d != nil && !corpusSeen[divergenceSignature(mb.name, *d)] {
				// One divergence per signature, however many corpus files show it.
				corpusSeen[divergenceSignature(mb.name, *d)] = true
				addFailure(engine.Failure{Model: mb.name, Profile: rf.profile, Seed: cf.Seed, Check: cf.Check,
					Sequence: cf.Sequence, Original: len(cf.Sequence), Divergence: *d, Transcript: transcript},
					cf.Path, rf.replayCommand(cf.Path, spec.Raw))
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
			FailFast: rf.failFast, StrictEnvironment: rf.strictEnvironment, OnCheck: prog.check, Baselined: orReplayed(baselined(baseline, mb.name), mb.name, corpusSeen),
			OnFailure: func(f engine.Failure) {
				if corpusSeen[divergenceSignature(mb.name, f.Divergence)] {
					return // reported once already, from the corpus file that shows it
				}
				prog.failure()
				redactFailure(rf.redactor, &f)
				ff := failfile.FromFailure(f, spec.Raw, version.Version)
				if mr.Statement != nil {
					ff.Statement = mr.Statement.File + " (" + mr.Statement.Implementation + ")"
				}
				path, werr := ff.Write(failDir, func(path string) string { return rf.replayCommand(path, spec.Raw) })
				if werr != nil {
					writeFailed.Store(true)
					fmt.Fprintf(stderr, "specgate: %v\n", werr)
				}
				if werr == nil {
					if merr := manifest.Add(path); merr != nil {
						fmt.Fprintf(stderr, "specgate: %v\n", merr)
					}
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
		if err == nil && baseline != nil && !res.Interrupted && !res.Stopped && ctx.Err() == nil {
			proofs.replay(ctx, bound.target, baseline, mb.name, rf.profile, baselineSigs(&mr), rf.verify, stdout)
		}
		bound.close()
		if err != nil {
			return 0, &unreachableError{fmt.Errorf("run %s: %w", mb.name, err)}
		}
		mr.Checks, mr.Steps, mr.Coverage = res.Checks, res.Steps, bound.coverage()
		rep.Run.Steps += res.Steps // steps executed, over all models
		mr.Fenced, mr.Unreported = res.Fenced, res.Unreported
		for _, fs := range res.Faults {
			f := report.Fault{Kind: fs.Kind, Occurrences: fs.Occurrences, Calls: res.Steps,
				FirstCheck: fs.FirstCheck, FirstStep: fs.FirstStep, FirstLength: fs.FirstLength, FirstAction: fs.FirstAction}
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
		report.ApplyWith(rep, baseline, rf.baseline, report.ApplyOptions{ProofsReplayed: true,
			Replayed: proofs.replayed, Reproduced: proofs.reproduced})
	}
	if rf.minCoverage > 0 {
		report.ApplyMinCoverage(rep, rf.minCoverage)
	}
	if testHookBeforeReports != nil {
		testHookBeforeReports(rf)
	}
	if err := writeReports(rep, rf, reportOut); err != nil {
		writeFailed.Store(true)
		fmt.Fprintf(stderr, "specgate: %v\n", err)
	}
	color := false
	if f, ok := stdout.(*os.File); ok {
		color = report.IsTerminal(f) && os.Getenv("NO_COLOR") == ""
	}
	fmt.Fprintln(stdout)
	_ = report.WriteTextWith(stdout, rep, report.TextOptions{Color: color}) // the banner is printed above
	if writeFailed.Load() {
		fmt.Fprintf(stderr, "specgate: some reports or failure files could not be written (exit %d)\n", ExitWriteFailed)
		return ExitWriteFailed, nil
	}
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

// writeReports writes the JSON, JUnit and HTML reports atomically ("-":
// to stdout).
func writeReports(rep *report.Report, rf *runFlags, stdout io.Writer) error {
	return rf.outputs().write(rep, stdout)
}

// outputs returns the report paths of the flags.
func (rf *runFlags) outputs() reportOutputs {
	return reportOutputs{json: rf.jsonOut, junit: rf.junitOut, html: rf.htmlOut}
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

// replayCommand is the command, to paste as it is from the directory the
// run started in, that replays the failure file at path against tgt the
// way this run reached it (see programWords and replayFlagNames).
func (rf *runFlags) replayCommand(path, tgt string) string {
	return replayCommandWith(program(), path, tgt, rf.replayFlags)
}

func shellQuote(s string) string { return shellword.Quote(s) }

// buildInfo is the build the report records (commit, date, Go version).
func buildInfo() *version.Build {
	b := version.Info()
	return &b
}
