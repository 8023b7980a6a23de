package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/vdiapi"
	"github.com/specgate/specgate/models"
)

// The engine runs with the CLI's defaults: documented profile, 30 steps on
// average per sequence.
const (
	benchSeed    = 0x5eed5eed
	benchSteps   = 30
	benchProfile = models.ProfileDocumented
)

// engineSteps runs the engine on t until at least n steps have executed
// and returns the number of steps. It runs the checks in rounds (each a
// fresh engine.New+Run continuing the check numbering), sizing every round
// from the average sequence length seen so far, so one benchmark op is one
// step, as in the raw baselines. A divergence fails the benchmark: the
// targets benchmarked are the conformant references.
func engineSteps(b testing.TB, m engine.Model, t engine.Target, name string, parallel, n int) int {
	ctx := context.Background()
	steps, checks := 0, 0
	for steps < n {
		want := roundSize(n, steps, checks)
		e, err := engine.New(m, t, engine.Config{
			Model: name, Profile: benchProfile, Seed: benchSeed, Checks: want, FirstCheck: checks,
			Steps: benchSteps, Parallel: parallel, MaxFailures: 1,
		})
		if err != nil {
			b.Fatal(err)
		}
		res, err := e.Run(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Failures) > 0 {
			f := res.Failures[0]
			b.Fatalf("the reference diverged (check %d): %s", f.Check, f.Divergence.Message())
		}
		if res.Checks == 0 {
			b.Fatal("engine ran no checks")
		}
		steps += res.Steps
		checks += res.Checks
	}
	return steps
}

// benchEngine is the body of the harness-pN benchmarks: b.N steps of the
// engine on t.
func benchEngine(b *testing.B, m engine.Model, t engine.Target, name string, parallel int) {
	b.ResetTimer()
	steps := engineSteps(b, m, t, name, parallel, b.N)
	b.StopTimer()
	recordSteps(b, steps)
}

// vdiHello does what the CLI does with each driver it opens: shim.hello
// with the profile, and a full reset through the first one.
func vdiHello(b testing.TB, drivers []vdiapi.VDI) {
	ctx := context.Background()
	for k, d := range drivers {
		h, err := d.Hello(ctx, benchProfile)
		if err != nil {
			b.Fatal(err)
		}
		if h.Protocol != vdiapi.ProtocolVersion {
			b.Fatalf("driver speaks %q", h.Protocol)
		}
		if k == 0 {
			if err := d.Reset(ctx, ""); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// inProcessTarget is what the CLI builds for the embedded VDI reference:
// one vdiref instance per parallel sequence, no wire log.
func inProcessTarget(b testing.TB, parallel int, mutant string, profile string) *runner.VDITarget {
	drivers := make([]vdiapi.VDI, parallel)
	wires := make([]*runner.WireLog, parallel)
	for k := range drivers {
		drivers[k] = vdiref.New(vdiref.Options{Profile: profile, Mutant: mutant})
	}
	t, err := runner.NewVDIPool(drivers, wires, profile)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// roundSize returns how many checks the next round runs to reach n steps:
// a small first round measures the average sequence length, the later
// ones aim at n without overshooting by more than a sequence or so.
func roundSize(n, steps, checks int) int {
	if checks == 0 {
		return min(n/benchSteps+1, 64)
	}
	perCheck := max(1, steps/checks)
	return max(1, (n-steps+perCheck-1)/perCheck)
}

func pname(p int) string { return fmt.Sprintf("harness-p%d", p) }
