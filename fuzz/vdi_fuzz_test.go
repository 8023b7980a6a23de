package fuzz

import (
	"context"
	"testing"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"pgregory.net/rapid"
)

// vdiProperty replays a generated sequence on the in-process reference; any
// divergence fails the fuzz input.
func vdiProperty(profile string) func(*rapid.T) {
	gen, err := engine.SequenceGen(runner.VDIModel{}, profile)
	if err != nil {
		panic(err)
	}
	drv := vdiref.New(vdiref.Options{Profile: profile})
	tg, err := runner.NewVDITarget(drv, profile, nil)
	if err != nil {
		panic(err)
	}
	return func(t *rapid.T) {
		seq := gen.Draw(t, "seq")
		d, _, err := engine.Replay(context.Background(), tg, seq)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if d != nil {
			t.Fatalf("%s", d.Message())
		}
	}
}

// seeds adds a few deterministic byte strings (rapid bitstreams) so `go
// test` exercises the targets without -fuzz.
func seeds(f *testing.F) {
	x := uint64(0x9E3779B97F4A7C15)
	for n := 0; n < 8; n++ {
		b := make([]byte, 64+64*n)
		for i := range b {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			b[i] = byte(x)
		}
		f.Add(b)
	}
}

func FuzzVDIStrict(f *testing.F)     { seeds(f); f.Fuzz(rapid.MakeFuzz(vdiProperty("strict"))) }
func FuzzVDIDocumented(f *testing.F) { seeds(f); f.Fuzz(rapid.MakeFuzz(vdiProperty("documented"))) }

// TestFuzzTargetsCatchAMutant shows the fuzz property is not vacuous: the
// same property over a mutant fails on some input.
func TestFuzzPropertyCatchesAMutant(t *testing.T) {
	gen, _ := engine.SequenceGen(runner.VDIModel{}, "documented")
	tg, _ := runner.NewVDITarget(vdiref.New(vdiref.Options{Profile: "documented", Mutant: "double-create"}), "documented", nil)
	engine.SetSteps(30)
	for i := 0; i < 200; i++ {
		seq := engine.Generate(gen, 99, i)
		if d, _, _ := engine.Replay(context.Background(), tg, seq); d != nil {
			return
		}
	}
	t.Fatal("200 sequences never exposed the double-create mutant")
}
