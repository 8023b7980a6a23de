package bench

import (
	"flag"
	"strconv"
	"testing"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/models/vdi"
	"pgregory.net/rapid"
)

// BenchmarkInProcess compares the engine on the in-process VDI reference
// (engine.New+Run, Parallel 1, what `specgate run` does with the embedded
// target) with bare rapid stepping the same model: rapid.Check over
// t.Repeat, each step one uniformly drawn action of vdi.Alphabet applied
// with Model.Assume, with no session, no SUT and no oracle. One op is one
// executed step in both.
func BenchmarkInProcess(b *testing.B) {
	b.Run("engine", func(b *testing.B) {
		t := inProcessTarget(b, 1, "", benchProfile)
		benchEngine(b, runner.VDIModel{}, t, "vdi", 1)
	})
	b.Run("bare-rapid", func(b *testing.B) {
		b.ResetTimer()
		steps := bareRapidSteps(b, b.N)
		b.StopTimer()
		recordSteps(b, steps)
	})
}

// bareRapidSteps runs rapid.Check rounds of uniform random walks of the
// VDI model until n steps have executed; it returns the step count.
func bareRapidSteps(b testing.TB, n int) int {
	p, err := vdi.ParseProfile(benchProfile)
	if err != nil {
		b.Fatal(err)
	}
	alpha := vdi.Alphabet
	pick := rapid.IntRange(0, len(alpha)-1)
	steps, checks := 0, 0
	prop := func(t *rapid.T) {
		checks++
		m := vdi.New(p)
		t.Repeat(map[string]func(*rapid.T){
			"step": func(t *rapid.T) {
				a := alpha[pick.Draw(t, "a")]
				if j, _ := m.Judge(a); !j {
					t.Skip("not judgeable")
				}
				m.Assume(a)
				steps++
			},
		})
	}
	setFlag(b, "rapid.steps", strconv.Itoa(benchSteps))
	setFlag(b, "rapid.nofailfile", "true")
	for steps < n {
		setFlag(b, "rapid.checks", strconv.Itoa(roundSize(n, steps, checks)))
		tb := &engine.CollectTB{TestName: "bench"}
		rapid.Check(tb, prop)
		if tb.Failed() {
			b.Fatalf("bare rapid failed: %v", tb.Errors())
		}
	}
	return steps
}

func setFlag(b testing.TB, name, value string) {
	if err := flag.Set(name, value); err != nil {
		b.Fatal(err)
	}
}
