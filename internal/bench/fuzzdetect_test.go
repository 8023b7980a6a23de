package bench

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"pgregory.net/rapid"
)

// Environment of FuzzDetectVDI, set by TestDetect on the fuzzing
// subprocess: the vdiref mutant to fuzz, its profile, and a file where the
// worker stamps the wall clock of its first execution.
const (
	fuzzMutantEnv  = "SPECGATE_DETECT_MUTANT"
	fuzzProfileEnv = "SPECGATE_DETECT_PROFILE"
	fuzzStampEnv   = "SPECGATE_DETECT_STAMP"
)

// fuzzMarker starts the failure message of FuzzDetectVDI; fuzzMarkerRE
// parses the fields after it.
const fuzzMarker = "specgate-detect:"

// fuzzExecs counts the calls of FuzzDetectVDI's property in this process
// (the fuzz worker, under -test.fuzz with -test.parallel=1).
var fuzzExecs atomic.Int64

// FuzzDetectVDI is the `go test -fuzz` side of TestDetect: the engine's
// sequence generator driven by the fuzzer's bytes (rapid.MakeFuzz), each
// sequence replayed on the in-process vdiref mutant named by
// SPECGATE_DETECT_MUTANT, in SPECGATE_DETECT_PROFILE (documented when
// empty). A divergence fails the input with a message giving the worker's
// exec count and wall clock (fuzzMarker). The corpus is empty: the fuzzer
// grows its inputs from nothing. Without SPECGATE_DETECT_MUTANT it skips:
// it only means something under TestDetect, or by hand with
// -fuzz=FuzzDetectVDI.
func FuzzDetectVDI(f *testing.F) {
	mutant := os.Getenv(fuzzMutantEnv)
	if mutant == "" {
		f.Skip("set " + fuzzMutantEnv + " (and " + fuzzProfileEnv + ") to fuzz a vdiref mutant; TestDetect does it with BENCH_DETECT=1")
	}
	profile := os.Getenv(fuzzProfileEnv)
	if profile == "" {
		profile = benchProfile
	}
	stamp := os.Getenv(fuzzStampEnv)
	engine.SetSteps(benchSteps)
	gen, err := engine.SequenceGen(runner.VDIModel{}, profile)
	if err != nil {
		f.Fatalf("sequence generator for profile %s: %v", profile, err)
	}
	tgt := inProcessTarget(f, 1, mutant, profile)
	f.Fuzz(rapid.MakeFuzz(func(t *rapid.T) {
		n := fuzzExecs.Add(1)
		if n == 1 && stamp != "" {
			writeStamp(stamp)
		}
		seq := gen.Draw(t, "seq")
		d, _, err := engine.Replay(context.Background(), tgt, seq)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if d != nil {
			t.Fatalf("%s exec=%d at=%d kind=%s clause=%s step=%d: %s",
				fuzzMarker, n, time.Now().UnixNano(), d.Kind, d.Clause, d.Step, d.Message())
		}
	}))
}

// writeStamp creates path with the current wall clock in Unix
// nanoseconds; a file already there (a restarted worker) is kept.
func writeStamp(path string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return
	}
	fmt.Fprint(f, time.Now().UnixNano())
	f.Close()
}

// Defaults of the fuzz side of TestDetect. Every run is a fresh process
// with a fresh cache (go's fuzzer cannot be seeded), so there are fewer
// runs than engine seeds.
const (
	detectFuzzRuns  = 5                // runs per mutant (BENCH_DETECT_FUZZ_RUNS)
	detectFuzzTime  = detectTimeCap    // -test.fuzztime per run (BENCH_DETECT_FUZZ_TIME): the engine's and the walk's wall cap
	detectFuzzGrace = 30 * time.Second // beyond the fuzz time, before the process group is killed
	detectFuzzSpare = time.Minute      // left before the test deadline for the report
)

// fuzzRun is one `go test -fuzz` detection attempt, a fresh process.
type fuzzRun struct {
	Run      int  `json:"run"`
	Detected bool `json:"detected"`
	// DetectMs is from the process start to the failure printed on its
	// output (to the process exit when not detected).
	DetectMs float64 `json:"detectMs"`
	// FoundMs is from the process start to the worker's failing exec.
	FoundMs float64 `json:"foundMs,omitempty"`
	// StartupMs is from the process start to the worker's first exec (the
	// fuzzer's own overhead: coordinator, worker process, coverage setup).
	StartupMs *float64 `json:"startupMs,omitempty"`
	// Execs is the worker's executions up to and including the failing one
	// (one worker: all of them).
	Execs int `json:"execs,omitempty"`
	// ProgressExecs and NewInteresting are the last "execs: N" and "new
	// interesting: N" the fuzzer printed (before the failure, if any).
	ProgressExecs  int    `json:"progressExecs"`
	NewInteresting int    `json:"newInteresting"`
	Step           int    `json:"step,omitempty"` // 1-based step of the divergence in the failing (not minimized) sequence
	Kind           string `json:"kind,omitempty"`
	Clause         string `json:"clause,omitempty"`
	Note           string `json:"note,omitempty"`
}

// fuzzSummary is the medians of the fuzz side over its runs, as summary
// is for the engine and the walk: an undetected run counts as +Inf.
type fuzzSummary struct {
	// NA says why the fuzz side did not run for this mutant ("" when it
	// did).
	NA       string `json:"na,omitempty"`
	Detected int    `json:"detected"`
	Runs     int    `json:"runs"`
	Planned  int    `json:"planned"`
	// MedianDetectMs is the wall time to the reported failure, fuzzer
	// startup included; MedianSearchMs leaves the startup out.
	MedianDetectMs  *float64 `json:"medianDetectMs"`
	MedianSearchMs  *float64 `json:"medianSearchMs"`
	MedianStartupMs *float64 `json:"medianStartupMs"` // over every run, detected or not
	MedianExecs     *float64 `json:"medianExecs"`
	// CoverageGuided is false when the fuzzer warned that the binary has
	// no coverage instrumentation.
	CoverageGuided bool     `json:"coverageGuided"`
	Notes          []string `json:"notes,omitempty"`
}

// fuzzer runs FuzzDetectVDI in subprocesses of a test binary built once
// with fuzzing instrumentation.
type fuzzer struct {
	bin     string        // the instrumented test binary; "" when na is set
	na      string        // why no mutant gets a fuzz side
	runs    int           // planned runs per mutant
	time    time.Duration // -test.fuzztime of a run
	buildMs float64
}

// newFuzzer reads BENCH_DETECT_FUZZ_RUNS and BENCH_DETECT_FUZZ_TIME and
// builds the test binary of this package with `go test -c -fuzz`: a plain
// `go test -c` binary has no coverage instrumentation, and its fuzzer runs
// unguided (it warns so).
func newFuzzer(t *testing.T) fuzzer {
	fz := fuzzer{runs: detectFuzzRuns, time: detectFuzzTime}
	if v, err := strconv.Atoi(os.Getenv("BENCH_DETECT_FUZZ_RUNS")); err == nil && v >= 0 {
		fz.runs = v
	}
	if v, err := time.ParseDuration(os.Getenv("BENCH_DETECT_FUZZ_TIME")); err == nil && v > 0 {
		fz.time = v
	}
	if fz.runs == 0 {
		fz.na = "disabled (BENCH_DETECT_FUZZ_RUNS=0)"
		return fz
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		fz.na = fmt.Sprintf("no go command to build the fuzz binary: %v", err)
		return fz
	}
	bin := filepath.Join(t.TempDir(), "bench.test")
	start := time.Now()
	cmd := exec.Command(gobin, "test", "-c", "-fuzz=^FuzzDetectVDI$", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	fz.buildMs = ms(time.Since(start))
	if err != nil {
		t.Errorf("building the fuzz binary: %v\n%s", err, out)
		fz.na = fmt.Sprintf("the fuzz binary did not build: %v", err)
		return fz
	}
	fz.bin = bin
	return fz
}

// Lines of the fuzzer's output.
var (
	fuzzProgressRE = regexp.MustCompile(`^fuzz: elapsed: \S+, execs: (\d+) .*new interesting: (\d+)`)
	fuzzMarkerRE   = regexp.MustCompile(regexp.QuoteMeta(fuzzMarker) + ` exec=(\d+) at=(\d+) kind=(\S+) clause=(\S*) step=(\d+)`)
)

const fuzzNoCoverage = "not built with coverage instrumentation"

// detect runs one fuzzing process on the mutant: the instrumented binary
// with -test.fuzz=^FuzzDetectVDI$, one worker, no minimization, a fresh
// fuzz cache, in a fresh directory (the failing input it writes under
// testdata/fuzz stays there). It streams the output to time the failure,
// and kills the process group after the fuzz time and a grace period, and
// in any case before returning. guided is false when the fuzzer warned
// that coverage guidance is off.
func (fz fuzzer) detect(t *testing.T, mutant, profile string, n int) (r fuzzRun, guided bool) {
	r = fuzzRun{Run: n}
	dir := t.TempDir()
	stamp := filepath.Join(dir, "first-exec")
	cmd := exec.Command(fz.bin, "-test.run=^$", "-test.fuzz=^FuzzDetectVDI$", "-test.fuzztime="+fz.time.String(),
		"-test.parallel=1", "-test.fuzzminimizetime=0", "-test.fuzzcachedir="+filepath.Join(dir, "cache"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), fuzzMutantEnv+"="+mutant, fuzzProfileEnv+"="+profile, fuzzStampEnv+"="+stamp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Errorf("%s run %d: output pipe: %v", mutant, n, err)
		r.Note = "not run: " + err.Error()
		return r, true
	}
	defer pr.Close()
	cmd.Stdout, cmd.Stderr = pw, pw
	start := time.Now()
	err = cmd.Start()
	pw.Close()
	if err != nil {
		t.Errorf("%s run %d: starting the fuzzer: %v", mutant, n, err)
		r.Note = "not run: " + err.Error()
		return r, true
	}
	g := &procGroup{cmd: cmd}
	var timedOut atomic.Bool
	timer := time.AfterFunc(fz.time+detectFuzzGrace, func() {
		if g.kill() {
			timedOut.Store(true)
		}
	})
	defer func() {
		timer.Stop()
		_ = g.reap() // always, whatever happened above
	}()

	guided = true
	var failAt time.Time
	var tail []string
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line, now := sc.Text(), time.Now()
		tail = append(tail, line)
		if len(tail) > 30 {
			tail = tail[1:]
		}
		if strings.Contains(line, fuzzNoCoverage) {
			guided = false
		}
		if m := fuzzProgressRE.FindStringSubmatch(line); m != nil && failAt.IsZero() {
			r.ProgressExecs, _ = strconv.Atoi(m[1])
			r.NewInteresting, _ = strconv.Atoi(m[2])
		}
		if failAt.IsZero() && (strings.Contains(line, "--- FAIL: FuzzDetectVDI") || strings.Contains(line, fuzzMarker) ||
			strings.Contains(line, "Failing input written to")) {
			failAt = now
		}
		if m := fuzzMarkerRE.FindStringSubmatch(line); m != nil && !r.Detected {
			r.Detected = true
			r.Execs, _ = strconv.Atoi(m[1])
			if at, err := strconv.ParseInt(m[2], 10, 64); err == nil {
				r.FoundMs = ms(time.Unix(0, at).Sub(start))
			}
			r.Kind, r.Clause = m[3], m[4]
			r.Step, _ = strconv.Atoi(m[5])
		}
	}
	end := time.Now()
	if err := sc.Err(); err != nil {
		t.Errorf("%s run %d: reading the fuzzer's output: %v", mutant, n, err)
	}
	timer.Stop()
	werr := g.reap()
	if b, err := os.ReadFile(stamp); err == nil {
		if at, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
			s := ms(time.Unix(0, at).Sub(start))
			r.StartupMs = &s
		}
	}
	switch {
	case r.Detected:
		r.DetectMs = ms(failAt.Sub(start))
	case timedOut.Load():
		r.DetectMs = ms(end.Sub(start))
		r.Note = fmt.Sprintf("killed after %s", fz.time+detectFuzzGrace)
	case werr == nil:
		r.DetectMs = ms(end.Sub(start)) // fuzz time over, no failure
	default:
		r.DetectMs = ms(end.Sub(start))
		r.Note = fmt.Sprintf("fuzzer failed without a divergence: %v", werr)
		t.Errorf("%s run %d: the fuzzer failed without a divergence: %v\n%s", mutant, n, werr, strings.Join(tail, "\n"))
	}
	return r, guided
}

// procGroup is the process group of a fuzzing process: the coordinator
// (its leader) and its workers. It is only signalled until the leader is
// reaped, after which its id may be reused.
type procGroup struct {
	mu     sync.Mutex
	cmd    *exec.Cmd
	reaped bool
	err    error // the leader's exit error
}

// kill sends SIGKILL to the whole group; it reports whether it did (false
// once the leader is reaped).
func (g *procGroup) kill() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.reaped && syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL) == nil
}

// reap kills what is left of the group and waits for the leader, once, and
// returns the leader's exit error. When the output has closed the leader
// has exited already, and the kill does not change its status.
func (g *procGroup) reap() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.reaped {
		_ = syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL)
		g.err = g.cmd.Wait()
		g.reaped = true
	}
	return g.err
}

// mutant runs the fuzz side on one mutant: up to fz.runs runs, fewer when
// half of the planned runs did not detect (the median is then undetermined
// whatever the others do) or when the test's deadline leaves no room for
// another run.
func (fz fuzzer) mutant(t *testing.T, mutant, profile string) (fuzzSummary, []fuzzRun) {
	sm := fuzzSummary{Planned: fz.runs, CoverageGuided: true}
	if fz.na != "" {
		sm.NA = fz.na
		return sm, nil
	}
	var runs []fuzzRun
	missed := 0
	for n := 1; n <= fz.runs; n++ {
		if d, ok := t.Deadline(); ok && time.Until(d) < fz.time+detectFuzzGrace+detectFuzzSpare {
			sm.Notes = append(sm.Notes, fmt.Sprintf("stopped after %d runs: the test deadline is too close", n-1))
			break
		}
		r, guided := fz.detect(t, mutant, profile, n)
		if !guided && sm.CoverageGuided {
			sm.CoverageGuided = false
			t.Errorf("%s: the fuzz binary runs without coverage guidance", mutant)
		}
		runs = append(runs, r)
		if r.Detected {
			t.Logf("%s fuzz run %d: detected in %.0f ms (startup %s ms) after %d execs (%s at step %d; fuzzer's last progress: %d execs, %d new interesting)",
				mutant, n, r.DetectMs, fmtF(r.StartupMs, "%.0f"), r.Execs, r.Kind, r.Step, r.ProgressExecs, r.NewInteresting)
		} else {
			missed++
			t.Logf("%s fuzz run %d: not detected in %.0f ms (startup %s ms, %d execs, %d new interesting) %s",
				mutant, n, r.DetectMs, fmtF(r.StartupMs, "%.0f"), r.ProgressExecs, r.NewInteresting, r.Note)
		}
		if missed >= (fz.runs+1)/2 && n < fz.runs {
			sm.Notes = append(sm.Notes, fmt.Sprintf("stopped after %d runs: %d undetected within %s, the median is undetermined", n, missed, fz.time))
			break
		}
	}
	if len(runs) == 0 {
		sm.NA = "no run: " + strings.Join(sm.Notes, "; ")
		return sm, nil
	}
	sm.Runs = len(runs)
	var times, search, starts, execs []float64
	for _, r := range runs {
		if r.StartupMs != nil {
			starts = append(starts, *r.StartupMs)
		}
		if !r.Detected {
			inf := math.Inf(1)
			times, search, execs = append(times, inf), append(search, inf), append(execs, inf)
			continue
		}
		sm.Detected++
		st := 0.0
		if r.StartupMs != nil {
			st = *r.StartupMs
		}
		times, search, execs = append(times, r.DetectMs), append(search, r.DetectMs-st), append(execs, float64(r.Execs))
	}
	sm.MedianDetectMs, sm.MedianSearchMs, sm.MedianExecs = median(times), median(search), median(execs)
	sm.MedianStartupMs = median(starts)
	return sm, runs
}
