package runner

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/vdiapi"
)

// runVDI runs the engine over n in-process instances of a (mutant) reference.
func runVDI(t *testing.T, mutant string, parallel int) (engine.Result, []string, map[string]int) {
	t.Helper()
	var drivers []vdiapi.VDI
	var wires []*WireLog
	for k := 0; k < parallel; k++ {
		drivers = append(drivers, vdiref.New(vdiref.Options{Profile: "documented", Mutant: mutant}))
		wires = append(wires, nil)
	}
	tg, err := NewVDIPool(drivers, wires, "documented")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	eng, err := engine.New(VDIModel{}, tg, engine.Config{Model: "vdi", Profile: "documented", Seed: 424242,
		Checks: parallelChecks(), Steps: 30, Parallel: parallel,
		OnFailure: func(f engine.Failure) { order = append(order, fmt.Sprint(f.Check, f.Divergence.Clause, f.Sequence)) }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res, order, tg.Coverage().Cells
}

// parallelChecks is the run length of TestParallelEqualsSerial: 3000
// checks, or 1000 under the race detector, whose purpose there is the
// concurrent paths (which every check exercises), not the search depth
// (the plain run keeps it); the full length took 200 s under -race.
func parallelChecks() int {
	if raceEnabled {
		return 1000
	}
	return 3000
}

// TestParallelEqualsSerial checks that a parallel run finds the same
// divergences, in the same order, with the same minimal sequences and the
// same coverage as a serial run of the same seed.
func TestParallelEqualsSerial(t *testing.T) {
	for _, mutant := range []string{"", "first-close", "lifo"} {
		serial, so, sc := runVDI(t, mutant, 1)
		par, po, pc := runVDI(t, mutant, 4)
		if serial.Checks != par.Checks || serial.Steps != par.Steps {
			t.Errorf("%q: serial %d checks/%d steps, parallel %d/%d", mutant, serial.Checks, serial.Steps, par.Checks, par.Steps)
		}
		if !reflect.DeepEqual(so, po) {
			t.Errorf("%q: failures differ:\nserial   %v\nparallel %v", mutant, so, po)
		}
		if !reflect.DeepEqual(sc, pc) {
			t.Errorf("%q: coverage differs", mutant)
		}
		if mutant != "" && len(so) == 0 {
			t.Errorf("%q: not found", mutant)
		}
	}
}
