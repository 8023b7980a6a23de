package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/failfile"
	"github.com/specgate/specgate/internal/redact"
	"github.com/specgate/specgate/internal/shim"
	"github.com/specgate/specgate/internal/target"
)

const replayHelp = `Usage: specgate replay FILE [flags]

Re-runs the action sequence stored in a failure file, step by step, against
a target (default: the target recorded in the file) and reports whether the
divergence reproduces. The sequence itself is stored, so a failure file stays
valid when the generator changes.

With -v every step is printed as it is judged, numbered from 1: the action,
its request and the SUT's answer on the wire, and the verdict (ok, or the
divergence with what was expected and what happened).

Exit status: 1 when a divergence reproduces (the same or another one),
0 when the target conforms on the sequence, 2 on a bad file or flag,
3 when the target is unreachable or crashed.

Flags:
`

func cmdReplay(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tgt := fs.String("target", "", "target to replay against (default: the file's target)")
	profile := fs.String("profile", "", "profile (default: the file's profile)")
	verbose := fs.Bool("v", false, "print every step: its request, the SUT's answer and the verdict")
	rf := &runFlags{stderr: stderr, parallel: 1}
	fs.BoolVar(&rf.strictEnvironment, "strict-environment", false, "exit 1 when the replay is inconclusive (a stimulus did not do what the sequence needs)")
	fs.Var(&rf.statements, "statement", "judge by this conformance statement's choices instead of the file's profile")
	fs.DurationVar(&rf.callTimeout, "call-timeout", 5*time.Second, "deadline of every call to the SUT")
	fs.DurationVar(&rf.startTimeout, "start-timeout", shim.DefaultStartTimeout, "VDI: deadline of the first shim.hello a new shim child or connection answers (its start-up); every other call has --call-timeout")
	addSOAPFlags(fs, rf)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), replayHelp)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\n"+exitCodesHelp)
	}
	// Accept FILE before or after the flags.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			return 0, errHelp
		}
		return 0, usagef("replay: %v", err)
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return 0, usagef("replay: unexpected argument %q", fs.Arg(0))
	}
	if err := checkTargetFlags("replay", rf); err != nil {
		return 0, err
	}
	if file == "" {
		return 0, usagef("replay: missing failure file (usage: specgate replay FILE [--target T])")
	}
	ff, err := failfile.Read(file, validAction)
	if err != nil {
		return 0, usagef("replay: %v", err)
	}
	if *tgt == "" {
		*tgt = ff.Target
	}
	if *profile == "" {
		*profile = rf.statements.profileFor(ff.Model, ff.Profile)
	}
	spec, err := target.Parse(*tgt)
	if err != nil {
		return 0, usagef("replay: %v", err)
	}
	if err := rf.shimEnv.forTarget("replay", spec.Kind); err != nil {
		return 0, err
	}
	sel, err := selectModels(ff.Model, spec)
	if err != nil {
		return 0, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rf.profile = *profile
	if rf.auth, err = loadAuth(rf.authFile); err != nil {
		return 0, usagef("replay: %v", err)
	}
	rf.redactor = redact.New(secretsOf(rf.auth)...)
	stdout = rf.redactor.Writer(stdout)
	defer redact.Flush(stdout)
	b, err := sel[0].open(ctx, spec, rf)
	if err != nil {
		return 0, err
	}
	defer b.close()
	fmt.Fprintf(stdout, "replaying %d steps of %s/%s against %s\n", len(ff.Sequence), ff.Model, profileLabel(*profile), spec.Raw)
	var each func(engine.StepResult)
	if *verbose {
		each = func(r engine.StepResult) { printStep(stdout, r, len(ff.Sequence)) }
	}
	d, transcript, err := engine.ReplaySteps(ctx, b.target, ff.Sequence, each)
	if err != nil {
		return 0, &unreachableError{fmt.Errorf("replay: %w", err)}
	}
	if d == nil {
		fmt.Fprintln(stdout, "PASS: the target conforms on this sequence")
		return ExitConformant, nil
	}
	// The same kind of divergence at the same clause reproduces it, even
	// when a late callback lands one step later than it did originally.
	same := d.Signature() == ff.Divergence.Signature()
	if d.Kind == engine.KindInconclusive {
		fmt.Fprintln(stdout, "INCONCLUSIVE (environment): "+d.Message())
		for _, l := range transcript {
			fmt.Fprintln(stdout, "  "+l)
		}
		if rf.strictEnvironment {
			return ExitDivergence, nil
		}
		return ExitConformant, nil
	}
	if same {
		fmt.Fprintln(stdout, "REPRODUCED: "+d.Message())
	} else {
		fmt.Fprintln(stdout, "DIFFERENT divergence: "+d.Message())
		fmt.Fprintln(stdout, "  recorded: "+ff.Divergence.Message())
	}
	if !*verbose {
		for _, l := range transcript {
			fmt.Fprintln(stdout, "  "+l)
		}
	}
	if exitFor(d.Kind) == ExitUnreachable {
		return ExitUnreachable, nil
	}
	return ExitDivergence, nil
}

// printStep prints one step of replay -v: "step i/n action", its wire
// lines and its verdict.
func printStep(w io.Writer, r engine.StepResult, n int) {
	if r.Action == nil {
		fmt.Fprintf(w, "step %d (after the last step)  settle(): late callbacks\n", r.Step)
	} else {
		fmt.Fprintf(w, "step %d/%d  %s\n", r.Step, n, r.Action)
	}
	if !r.Executed {
		fmt.Fprintln(w, "  skipped: the model cannot judge this call in this state")
		return
	}
	for _, l := range r.Wire {
		fmt.Fprintln(w, "  "+l)
	}
	if len(r.Wire) == 0 && r.Action != nil {
		fmt.Fprintln(w, "  (no wire: an in-process target)")
	}
	if r.D == nil {
		fmt.Fprintln(w, "  ok")
		return
	}
	d := r.D
	expected := "(nothing)"
	if len(d.Expected) > 0 {
		expected = strings.Join(d.Expected, " | ")
	}
	fmt.Fprintf(w, "  %s [%s] in cell %s\n", strings.ToUpper(d.Kind), d.Clause, d.Cell)
	fmt.Fprintf(w, "    Expected: %s\n", expected)
	actual := d.Observed
	if d.Detail != "" {
		actual += " (" + d.Detail + ")"
	}
	fmt.Fprintf(w, "    Actual:   %s\n", actual)
}
