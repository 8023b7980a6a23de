package bench

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/failfile"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/shim"
	"github.com/specgate/specgate/internal/vdiapi"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/vdi"
)

// verifiedCallTimeout is the shim call deadline of the TCP rows: a hang is
// judged after it (the CLI default is 5s; a vendor gate sets its own).
const verifiedCallTimeout = 100 * time.Millisecond

// BenchmarkVerifiedFailure measures, per VDI mutant, the wall time from
// the start of a run to its first verified, shrunk failure written as a
// failure file: in process, and over a TCP shim process. Iteration i runs
// seed i+1; the metric is the median over the iterations (ms-median), and
// ms-max the slowest. The TCP rows also run a uniform random walk over
// the same actions, oracle and shim until its first divergence (no
// verification, no shrinking) and report walk-x: the walk's median time to
// detect over the engine's median time to detect.
func BenchmarkVerifiedFailure(b *testing.B) {
	for _, mi := range vdiref.Mutants {
		profile := models.ProfileDocumented
		if !slices.Contains(mi.Profiles, profile) {
			profile = models.ProfileStrict
		}
		b.Run("inprocess/"+mi.Name, func(b *testing.B) {
			tgt := inProcessTarget(b, 1, mi.Name, profile)
			benchVerified(b, tgt, profile, nil)
		})
		b.Run("tcp/"+mi.Name, func(b *testing.B) {
			addr := startTCPChild(b, childVDIRefTCP, mutantEnv+"="+mi.Name, profileEnv+"="+profile)
			tgt := tcpTarget(b, addr, profile)
			benchVerified(b, tgt, profile, func(seed uint64) float64 { return walkDetectMs(b, tgt, seed) })
		})
	}
}

// tcpTarget dials one shim client on addr with the bench call deadline.
func tcpTarget(b *testing.B, addr, profile string) *runner.VDITarget {
	wire := &runner.WireLog{}
	c, err := shim.Dial(context.Background(), "tcp://"+addr, shim.Options{CallTimeout: verifiedCallTimeout, Transcript: wire.Add})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Shutdown() })
	vdiHello(b, []vdiapi.VDI{c})
	t, err := runner.NewVDIPool([]vdiapi.VDI{c}, []*runner.WireLog{wire}, profile)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

func benchVerified(b *testing.B, tgt engine.Target, profile string, walk func(seed uint64) float64) {
	dir := b.TempDir()
	var total, detect, walks []float64
	for i := 0; i < b.N; i++ {
		seed := uint64(i + 1)
		var detected time.Time
		var lastCheck time.Time
		found := false
		start := time.Now()
		e, err := engine.New(runner.VDIModel{}, tgt, engine.Config{
			Model: "vdi", Profile: profile, Seed: seed, Checks: detectCheckCap, Steps: benchSteps, Parallel: 1, FailFast: true,
			OnCheck: func(int, int) { lastCheck = time.Now() },
			OnFailure: func(f engine.Failure) {
				ff := failfile.FromFailure(f, "bench", "bench")
				if _, err := ff.Write(dir, func(p string) string { return "specgate replay " + filepath.Base(p) }); err != nil {
					b.Error(err)
				}
				detected, found = lastCheck, true
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		if !found {
			b.Fatalf("seed %d: no failure in %d checks", seed, detectCheckCap)
		}
		total = append(total, ms(time.Since(start)))
		detect = append(detect, ms(detected.Sub(start)))
		if walk != nil {
			walks = append(walks, walk(seed))
		}
	}
	b.ReportMetric(*median(total), "ms-median")
	b.ReportMetric(slices.Max(total), "ms-max")
	if walk != nil {
		if r := ratio(median(walks), median(detect)); r != nil {
			b.ReportMetric(*r, "walk-x")
		}
	}
	b.ReportMetric(0, "ns/op")
}

// walkDetectMs is the uniform walk of detectWalk on an arbitrary target:
// milliseconds to its first divergence (+Inf past the caps).
func walkDetectMs(b *testing.B, tgt engine.Target, seed uint64) float64 {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 0x3a1c))
	pContinue := 1 - 1/(1+float64(benchSteps))
	alpha := vdi.Alphabet
	start := time.Now()
	deadline := start.Add(detectTimeCap)
	steps := 0
	for n := 0; steps < detectWalkCap && time.Now().Before(deadline); n++ {
		s, err := tgt.NewSession(ctx, "w"+strconv.Itoa(n), false)
		if err != nil {
			b.Fatal(err)
		}
		for i, tries := 0, 0; rng.Float64() < pContinue && tries < 1000; tries++ {
			d, executed := s.Step(ctx, i, alpha[rng.IntN(len(alpha))])
			if !executed {
				continue
			}
			steps++
			i++
			if d != nil {
				s.Close(ctx)
				return ms(time.Since(start))
			}
		}
		s.Close(ctx)
	}
	return ms(time.Since(start)) * 1e9
}
