package bench

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
)

// BenchmarkShrinkTCP shrinks the first failure of the first-close mutant
// (MinLen 8, the longest shrink of the VDI mutants) over a TCP shim
// process, once per shrink budget, and reports the harness's bytes
// allocated per shrink replay and its peak heap in use during the run
// (sampled every millisecond): the peak must not grow with the budget.
func BenchmarkShrinkTCP(b *testing.B) {
	addr := startTCPChild(b, childVDIRefTCP, mutantEnv+"=first-close", profileEnv+"=documented")
	tgt := tcpTarget(b, addr, "documented")
	for _, budget := range []int{250, 1000, 4000} {
		b.Run("budget-"+strconv.Itoa(budget), func(b *testing.B) {
			var allocPer, peakMB float64
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				var peak atomic.Uint64
				stop := make(chan struct{})
				done := make(chan struct{})
				go func() {
					defer close(done)
					var m runtime.MemStats
					for {
						select {
						case <-stop:
							return
						case <-time.After(time.Millisecond):
						}
						runtime.ReadMemStats(&m)
						if m.HeapInuse > peak.Load() {
							peak.Store(m.HeapInuse)
						}
					}
				}()
				e, err := engine.New(runner.VDIModel{}, tgt, engine.Config{Model: "vdi", Profile: "documented", Seed: 1,
					Checks: detectCheckCap, Steps: benchSteps, Parallel: 1, FailFast: true, ShrinkReplays: budget})
				if err != nil {
					b.Fatal(err)
				}
				res, err := e.Run(context.Background())
				close(stop)
				<-done
				if err != nil || len(res.Failures) != 1 {
					b.Fatalf("err %v, %d failures", err, len(res.Failures))
				}
				runtime.ReadMemStats(&after)
				allocPer = float64(after.TotalAlloc-before.TotalAlloc) / float64(max(1, res.Failures[0].Replays))
				peakMB = float64(peak.Load()) / (1 << 20)
			}
			b.ReportMetric(allocPer, "alloc-B/replay")
			b.ReportMetric(peakMB, "peak-heap-MB")
			b.ReportMetric(0, "ns/op")
		})
	}
}
