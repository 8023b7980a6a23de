package bench

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
)

const memSteps = 1_000_000

// BenchmarkMemory1M runs 1,000,000 engine steps in process (one op) in a
// single engine.Run against the VDI reference and reports the peak RSS of
// that run (VmHWM, reset first through /proc/self/clear_refs when the
// kernel allows it) and the live heap (after a GC) before the run, after
// the first 100,000 steps and after the last: flat heap numbers mean the
// engine keeps nothing per check. One op is the whole million steps (about
// a second), so -benchtime 1x runs it once; -benchtime Nx runs it N times.
func BenchmarkMemory1M(b *testing.B) {
	var metrics map[string]float64
	total := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		t := inProcessTarget(b, 1, "", benchProfile)
		hwmReset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
		before := liveHeap()
		b.StartTimer()
		steps, at100k := runMillion(b, t)
		b.StopTimer()
		after := liveHeap()
		total += steps
		const mb = 1 << 20
		metrics = map[string]float64{
			"heap-before-MB": float64(before) / mb,
			"heap-100k-MB":   float64(at100k) / mb,
			"heap-after-MB":  float64(after) / mb,
			"peak-RSS-MB":    float64(procStatus("VmHWM")) / 1024,
			"RSS-after-MB":   float64(procStatus("VmRSS")) / 1024,
		}
		if !hwmReset {
			// VmHWM is the process's peak since it started, which
			// may come from an earlier benchmark.
			metrics["peak-RSS-since-start"] = 1
		}
	}
	sps := float64(total) / b.Elapsed().Seconds()
	b.ReportMetric(sps, "steps/s")
	for k, v := range metrics {
		b.ReportMetric(v, k)
	}
	keep(b, sps, metrics)
}

// runMillion runs enough checks for memSteps steps and returns the steps
// executed and the live heap after the first 100,000. A calibration run of
// 100 checks sizes one engine.Run that does (nearly) all the steps; short
// top-up runs follow if it falls short.
func runMillion(b *testing.B, t engine.Target) (steps int, at100k uint64) {
	checks, first := 100, 0
	for steps < memSteps {
		e, err := engine.New(runner.VDIModel{}, t, engine.Config{
			Model: "vdi", Profile: benchProfile, Seed: benchSeed, Checks: checks, FirstCheck: first,
			Steps: benchSteps, MaxFailures: 1,
			OnCheck: func(_, n int) {
				steps += n
				if at100k == 0 && steps >= 100_000 {
					at100k = liveHeap()
				}
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		res, err := e.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Failures) > 0 {
			b.Fatalf("the reference diverged: %s", res.Failures[0].Divergence.Message())
		}
		first += res.Checks
		checks = roundSize(memSteps, steps, first)
	}
	return steps, at100k
}

// liveHeap returns the heap in use after a GC.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// procStatus returns a kB field of /proc/self/status (0 when unknown).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && k == field {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
