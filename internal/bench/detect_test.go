package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/vdi"
)

// Time-to-detect budget per (mutant, seed) run.
const (
	detectSeeds      = 20
	detectCheckCap   = 50_000           // engine: checks before giving up
	detectWalkCap    = 1_000_000        // uniform walk: steps before giving up
	detectTimeCap    = 30 * time.Second // either, wall time before giving up
	detectShrinkTime = 10 * time.Second // engine: rapid's shrink budget
)

// run is one (mutant, seed) detection attempt.
type run struct {
	Seed      uint64  `json:"seed"`
	Detected  bool    `json:"detected"`
	Steps     int     `json:"steps"`  // executed steps up to and including the detecting one (all, when not detected)
	Checks    int     `json:"checks"` // sequences (engine checks, walk sessions) started
	DetectMs  float64 `json:"detectMs"`
	ShrinkMs  float64 `json:"shrinkMs,omitempty"`
	ShrunkLen int     `json:"shrunkLen,omitempty"`
	Kind      string  `json:"kind,omitempty"`
	Clause    string  `json:"clause,omitempty"`
}

// summary is the medians of one side over the seeds. A run that did not
// detect counts as +Inf; a median is null when half the runs or more did
// not detect.
type summary struct {
	Detected        int      `json:"detected"`
	Runs            int      `json:"runs"`
	MedianSteps     *float64 `json:"medianSteps"`
	MedianChecks    *float64 `json:"medianChecks,omitempty"` // sequences started (engine checks, walk sessions)
	MedianDetectMs  *float64 `json:"medianDetectMs"`
	MedianShrinkMs  *float64 `json:"medianShrinkMs,omitempty"`
	MedianShrunkLen *float64 `json:"medianShrunkLen,omitempty"`
	MaxShrunkLen    int      `json:"maxShrunkLen,omitempty"`
	AtMinLen        int      `json:"shrunkToMinLen,omitempty"`
}

// mutantResult is one mutant's line of detect.json: the engine, the
// uniform walk and `go test -fuzz`, side by side.
type mutantResult struct {
	Mutant  string  `json:"mutant"`
	Kind    string  `json:"kind"`
	Profile string  `json:"profile"`
	MinLen  int     `json:"minLen"`
	Engine  summary `json:"engine"`
	Walk    summary `json:"walk"`
	// StepsRatio and TimeRatio are walk median over engine median (how
	// many times longer the uniform walk takes); null when either median
	// is.
	StepsRatio *float64 `json:"stepsRatio"`
	TimeRatio  *float64 `json:"timeRatio"`
	EngineRuns []run    `json:"engineRuns"`
	WalkRuns   []run    `json:"walkRuns"`
	// Fuzz is the `go test -fuzz` side (Fuzz.NA says why it did not run).
	// FuzzTimeRatio is its median wall time (fuzzer startup included) over
	// the engine's median detect time, FuzzSearchTimeRatio the same with
	// the fuzzer's startup left out, FuzzExecsRatio its median execs over
	// the engine's median checks (both count sequences); null when either
	// median is.
	Fuzz                fuzzSummary `json:"fuzz"`
	FuzzTimeRatio       *float64    `json:"fuzzTimeRatio"`
	FuzzSearchTimeRatio *float64    `json:"fuzzSearchTimeRatio"`
	FuzzExecsRatio      *float64    `json:"fuzzExecsRatio"`
	FuzzRuns            []fuzzRun   `json:"fuzzRuns,omitempty"`
}

// detectReport is detect.json.
type detectReport struct {
	Date    string         `json:"date"`
	Machine Machine        `json:"machine"`
	Method  string         `json:"method"`
	Caps    map[string]any `json:"caps"`
	// FuzzBuildMs is the time `go test -c -fuzz` took to build the
	// instrumented test binary (once, not counted in any run).
	FuzzBuildMs float64        `json:"fuzzBuildMs,omitempty"`
	Mutants     []mutantResult `json:"mutants"`
}

const detectMethod = "Each VDI mutant of fixtures/vdiref (in process; documented profile unless the mutant is only detectable in strict), " +
	"seeds 1..N. engine: engine.New+Run (Parallel 1, 30 steps per sequence on average, swarm + legal bias + weights), " +
	"steps counted with OnCheck up to the check whose divergence reaches OnFailure; detect time is from Run to that check's OnCheck, " +
	"shrink time from there to OnFailure. walk: uniform random actions of models/vdi.Alphabet on runner sessions (the same oracle), " +
	"calls the model cannot judge skipped and not counted, sessions of geometric length with mean 30 (like rapid's Repeat), " +
	"no bias, no swarm, no shrinking. " +
	"fuzz: go test -fuzz on FuzzDetectVDI (the engine's sequence generator fed by the fuzzer's bytes through rapid.MakeFuzz, " +
	"each sequence replayed on the same in-process mutant, a divergence fails the input; empty seed corpus), " +
	"the package test binary built once with go test -c -fuzz (coverage instrumented), each run a fresh process " +
	"(-test.fuzz, -test.parallel=1: one worker, -test.fuzzminimizetime=0, fresh -test.fuzzcachedir and working directory) " +
	"since go's fuzzer cannot be seeded; wall time from process start to the failure on its output, startup = process start " +
	"to the worker's first exec, execs = the worker's execs up to the failing one (compare with engine checks: both count sequences). " +
	"Fewer fuzz runs than seeds, each capped; a mutant's fuzz runs stop once half of them did not detect. " +
	"crash and hang apply in process: vdiref returns ErrCrash/ErrHang at once, which the runner reports as crash/hang divergences. " +
	"Medians count undetected runs as +Inf."

// TestDetect measures time-to-detect of the engine, of a uniform random
// walk and of `go test -fuzz` (FuzzDetectVDI in a subprocess) for every VDI
// mutant. It is slow and only reports (no assertion on timings): run it
// with BENCH_DETECT=1 (BENCH_DETECT_SEEDS=n for fewer or more seeds). It
// writes reports/bench/detect.json.
//
// The fuzz side runs BENCH_DETECT_FUZZ_RUNS (default 5; 0 turns it off)
// fresh fuzzing processes per mutant, each capped at
// BENCH_DETECT_FUZZ_TIME (default 30s, the engine's and the walk's wall
// cap) and killed, with its workers, 30s after that. A mutant's runs stop
// once half of them missed (3 of 5), and no run starts within cap+1m30s of
// the test's -timeout, so the worst case is bounded by the -timeout (make
// bench-detect: 20m). A mutant the fuzzer finds in a second or two costs
// that per run, one it does not find within the cap costs 3 caps (1m30s),
// so `make bench-detect` takes about 10 minutes, most of it in the fuzz
// runs that miss.
func TestDetect(t *testing.T) {
	if os.Getenv("BENCH_DETECT") != "1" {
		t.Skip("set BENCH_DETECT=1 to measure time-to-detect")
	}
	seeds := detectSeeds
	if v, err := strconv.Atoi(os.Getenv("BENCH_DETECT_SEEDS")); err == nil && v > 0 {
		seeds = v
	}
	rep := detectReport{Date: time.Now().UTC().Format(time.RFC3339), Machine: machine(), Method: detectMethod,
		Caps: map[string]any{"seeds": seeds, "engineChecks": detectCheckCap, "walkSteps": detectWalkCap,
			"wallPerRun": detectTimeCap.String(), "shrinkTime": detectShrinkTime.String()}}
	fz := newFuzzer(t)
	rep.Caps["fuzzRuns"], rep.Caps["fuzzTimePerRun"] = fz.runs, fz.time.String()
	rep.FuzzBuildMs = fz.buildMs
	for _, mi := range vdiref.Mutants {
		profile := models.ProfileDocumented
		if !slices.Contains(mi.Profiles, profile) {
			profile = models.ProfileStrict
		}
		mr := mutantResult{Mutant: mi.Name, Kind: mi.Kind, Profile: profile, MinLen: mi.MinLen}
		for s := 1; s <= seeds; s++ {
			mr.EngineRuns = append(mr.EngineRuns, detectEngine(t, mi.Name, profile, uint64(s)))
			mr.WalkRuns = append(mr.WalkRuns, detectWalk(t, mi.Name, profile, uint64(s)))
		}
		mr.Engine = summarize(mr.EngineRuns, mi.MinLen, true)
		mr.Walk = summarize(mr.WalkRuns, mi.MinLen, false)
		mr.StepsRatio = ratio(mr.Walk.MedianSteps, mr.Engine.MedianSteps)
		mr.TimeRatio = ratio(mr.Walk.MedianDetectMs, mr.Engine.MedianDetectMs)
		mr.Fuzz, mr.FuzzRuns = fz.mutant(t, mi.Name, profile)
		mr.FuzzTimeRatio = ratio(mr.Fuzz.MedianDetectMs, mr.Engine.MedianDetectMs)
		mr.FuzzSearchTimeRatio = ratio(mr.Fuzz.MedianSearchMs, mr.Engine.MedianDetectMs)
		mr.FuzzExecsRatio = ratio(mr.Fuzz.MedianExecs, mr.Engine.MedianChecks)
		for _, r := range mr.EngineRuns {
			if r.Detected && r.ShrunkLen < mi.MinLen {
				t.Errorf("%s seed %d: shrunk to %d actions, below MinLen %d", mi.Name, r.Seed, r.ShrunkLen, mi.MinLen)
			}
		}
		rep.Mutants = append(rep.Mutants, mr)
		t.Logf("%s: engine %d/%d, walk %d/%d, fuzz %d/%d%s", mi.Name, mr.Engine.Detected, seeds, mr.Walk.Detected, seeds,
			mr.Fuzz.Detected, mr.Fuzz.Runs, naSuffix(mr.Fuzz.NA))
	}
	printDetect(os.Stdout, rep, seeds)
	dir, err := reportDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "detect.json"), append(js, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// detectEngine runs the engine on the mutant until its first shrunk
// failure.
func detectEngine(t *testing.T, mutant, profile string, seed uint64) run {
	tgt := inProcessTarget(t, 1, mutant, profile)
	ctx, cancel := context.WithTimeout(context.Background(), detectTimeCap)
	defer cancel()
	r := run{Seed: seed}
	var lastCheck time.Time
	start := time.Now()
	e, err := engine.New(runner.VDIModel{}, tgt, engine.Config{
		Model: "vdi", Profile: profile, Seed: seed, Checks: detectCheckCap, Steps: benchSteps,
		Parallel: 1, MaxFailures: 1, ShrinkTime: detectShrinkTime,
		OnCheck: func(_, n int) {
			r.Steps += n
			r.Checks++
			lastCheck = time.Now()
		},
		OnFailure: func(f engine.Failure) {
			r.Detected = true
			r.DetectMs = ms(lastCheck.Sub(start))
			r.ShrinkMs = ms(time.Since(lastCheck))
			r.ShrunkLen = len(f.Sequence)
			r.Kind, r.Clause = f.Divergence.Kind, f.Divergence.Clause
			cancel()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if !r.Detected {
		r.DetectMs = ms(time.Since(start))
	}
	return r
}

// detectWalk is the baseline: a uniform random walk over vdi.Alphabet on
// runner sessions of the mutant, until the first divergence.
func detectWalk(t *testing.T, mutant, profile string, seed uint64) run {
	tgt := inProcessTarget(t, 1, mutant, profile)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 0x3a1c))
	pContinue := 1 - 1/(1+float64(benchSteps)) // rapid's Repeat: mean benchSteps
	alpha := vdi.Alphabet
	r := run{Seed: seed}
	start := time.Now()
	deadline := start.Add(detectTimeCap)
	for r.Steps < detectWalkCap && (r.Checks%64 != 0 || time.Now().Before(deadline)) {
		s, err := tgt.NewSession(ctx, "w"+strconv.Itoa(r.Checks), false)
		if err != nil {
			t.Fatal(err)
		}
		r.Checks++
		for i, tries := 0, 0; rng.Float64() < pContinue && tries < 1000; tries++ {
			d, executed := s.Step(ctx, i, alpha[rng.IntN(len(alpha))])
			if !executed {
				continue // the model cannot judge it: skipped, not a step
			}
			r.Steps++
			i++
			if d != nil {
				r.Detected = true
				r.DetectMs = ms(time.Since(start))
				r.Kind, r.Clause = d.Kind, d.Clause
				s.Close(ctx)
				return r
			}
		}
		s.Close(ctx)
	}
	r.DetectMs = ms(time.Since(start))
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// median returns the median of xs, undetected runs being +Inf; nil when
// that median is +Inf.
func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	m := s[n/2]
	if n%2 == 0 {
		m = (s[n/2-1] + s[n/2]) / 2
	}
	if math.IsInf(m, 1) || math.IsNaN(m) {
		return nil
	}
	return &m
}

func summarize(runs []run, minLen int, shrunk bool) summary {
	sm := summary{Runs: len(runs)}
	var steps, checks, times, shrinks, lens []float64
	for _, r := range runs {
		if !r.Detected {
			inf := math.Inf(1)
			steps, checks, times = append(steps, inf), append(checks, inf), append(times, inf)
			continue
		}
		sm.Detected++
		steps, checks, times = append(steps, float64(r.Steps)), append(checks, float64(r.Checks)), append(times, r.DetectMs)
		if shrunk {
			shrinks, lens = append(shrinks, r.ShrinkMs), append(lens, float64(r.ShrunkLen))
			sm.MaxShrunkLen = max(sm.MaxShrunkLen, r.ShrunkLen)
			if r.ShrunkLen == minLen {
				sm.AtMinLen++
			}
		}
	}
	sm.MedianSteps, sm.MedianChecks, sm.MedianDetectMs = median(steps), median(checks), median(times)
	if shrunk {
		sm.MedianShrinkMs, sm.MedianShrunkLen = median(shrinks), median(lens)
	}
	return sm
}

func ratio(a, b *float64) *float64 {
	if a == nil || b == nil || *b == 0 {
		return nil
	}
	r := math.Round(*a / *b * 100) / 100
	return &r
}

func fmtF(p *float64, format string) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf(format, *p)
}

func printDetect(w io.Writer, rep detectReport, seeds int) {
	fmt.Fprintf(w, "\ntime-to-detect over %d seeds (medians; %s/%s GOMAXPROCS=%d)\n", seeds, rep.Machine.GOOS, rep.Machine.GOARCH, rep.Machine.GOMAXPROCS)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "mutant\tprofile\tengine det\tsteps\ttime ms\tshrink ms\tshrunk len (med/max) vs MinLen\twalk det\tsteps\ttime ms\twalk/engine steps\ttime")
	for _, m := range rep.Mutants {
		e, u := m.Engine, m.Walk
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%s\t%s\t%s/%d vs %d (%d at MinLen)\t%d/%d\t%s\t%s\t%s\t%s\n",
			m.Mutant, m.Profile, e.Detected, e.Runs, fmtF(e.MedianSteps, "%.0f"), fmtF(e.MedianDetectMs, "%.2f"),
			fmtF(e.MedianShrinkMs, "%.1f"), fmtF(e.MedianShrunkLen, "%.0f"), e.MaxShrunkLen, m.MinLen, e.AtMinLen,
			u.Detected, u.Runs, fmtF(u.MedianSteps, "%.0f"), fmtF(u.MedianDetectMs, "%.2f"),
			fmtF(m.StepsRatio, "%.2fx"), fmtF(m.TimeRatio, "%.2fx"))
	}
	tw.Flush()
	printFuzz(w, rep)
}

// printFuzz prints the fuzz side next to the engine: medians of wall time
// (fuzzer startup included, and its startup alone) and execs, and their
// ratios to the engine's detect time and checks.
func printFuzz(w io.Writer, rep detectReport) {
	fmt.Fprintf(w, "\ngo test -fuzz vs engine (medians; fuzz: %v runs per mutant, each a fresh process capped at %v, wall from process start; binary built in %.1f s)\n",
		rep.Caps["fuzzRuns"], rep.Caps["fuzzTimePerRun"], rep.FuzzBuildMs/1000)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "mutant\tengine time ms\tchecks\tfuzz det\twall ms\tstartup ms\texecs\tfuzz/engine time\texcl. startup\tfuzz execs/engine checks\tnotes")
	for _, m := range rep.Mutants {
		e, f := m.Engine, m.Fuzz
		if f.NA != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\tn/a\t\t\t\t\t\t\tn/a (%s)\n", m.Mutant, fmtF(e.MedianDetectMs, "%.2f"), fmtF(e.MedianChecks, "%.0f"), f.NA)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			m.Mutant, fmtF(e.MedianDetectMs, "%.2f"), fmtF(e.MedianChecks, "%.0f"), f.Detected, f.Runs,
			fmtF(f.MedianDetectMs, "%.0f"), fmtF(f.MedianStartupMs, "%.0f"), fmtF(f.MedianExecs, "%.0f"),
			fmtF(m.FuzzTimeRatio, "%.1fx"), fmtF(m.FuzzSearchTimeRatio, "%.1fx"), fmtF(m.FuzzExecsRatio, "%.1fx"),
			strings.Join(f.Notes, "; "))
	}
	tw.Flush()
}

// naSuffix renders a not-applicable reason for a log line.
func naSuffix(na string) string {
	if na == "" {
		return ""
	}
	return " (fuzz n/a: " + na + ")"
}
