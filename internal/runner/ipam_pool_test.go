package runner

import (
	"context"
	"fmt"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/soap"
	"github.com/specgate/specgate/internal/soap/soaptest"
	"github.com/specgate/specgate/models"
)

// runIPAMPool runs the engine over n reference servers (one IPAMTarget
// when n is 1) that share one callback host, with Parallel n.
func runIPAMPool(t *testing.T, mutant string, n int) (engine.Result, []string, map[string]int) {
	t.Helper()
	host := soaptest.StartHost(t, nil)
	client := &soap.Client{Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	cfgs := make([]IPAMConfig, n)
	for k := range cfgs {
		srv := ipamref.New(ipamref.Options{Profile: models.ProfileDocumented, Mutant: mutant})
		hs := httptest.NewServer(srv)
		t.Cleanup(func() { hs.Close(); srv.Close() })
		cfgs[k] = IPAMConfig{Profile: models.ProfileDocumented, URL: hs.URL + ipamref.SOAPPath, Control: hs.URL + ipamref.ControlPath,
			Client: client, Host: host, Quiescence: 2 * time.Second, Settle: 5 * time.Millisecond, Checkpoints: 1}
	}
	var (
		tg  engine.Target
		cov func() map[string]int
	)
	if n == 1 {
		t1, err := NewIPAMTarget(cfgs[0])
		if err != nil {
			t.Fatal(err)
		}
		tg, cov = t1, func() map[string]int { return t1.Coverage().Cells }
	} else {
		p, err := NewIPAMPool(cfgs)
		if err != nil {
			t.Fatal(err)
		}
		tg, cov = p, func() map[string]int { return p.Coverage().Cells }
	}
	var order []string
	eng, err := engine.New(IPAMModel{Control: true}, tg, engine.Config{Model: "ipam", Profile: models.ProfileDocumented,
		Seed: 515151, Checks: 120, Steps: 30, Parallel: n, MaxFailures: 1, ShrinkTime: 3 * time.Second,
		OnFailure: func(f engine.Failure) { order = append(order, fmt.Sprint(f.Check, f.Divergence.Clause, f.Sequence)) }})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := eng.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%q on %d server(s): %d checks, %d failures, %v", mutant, n, res.Checks, len(order), time.Since(start).Round(time.Millisecond))
	return res, order, cov()
}

// TestIPAMPoolEqualsSerial: sequences spread over several servers (what
// the CLI does for the embedded reference at --parallel N) find the same
// divergences, with the same minimal sequences, as one server run
// serially, and on the reference the same steps and coverage.
func TestIPAMPoolEqualsSerial(t *testing.T) {
	mutants := []string{"", "required-not-cleared"}
	if raceEnabled {
		// Under the race detector the pool's concurrency is what matters;
		// shrinking the mutant there takes minutes (the plain run covers it).
		mutants = mutants[:1]
	}
	for _, mutant := range mutants {
		serial, so, sc := runIPAMPool(t, mutant, 1)
		par, po, pc := runIPAMPool(t, mutant, 3)
		if !reflect.DeepEqual(so, po) {
			t.Errorf("%q: failures differ:\nserial %v\npool   %v", mutant, so, po)
		}
		// Against a mutant, a check that diverges through silence (the
		// quiescence deadline) may stop a step sooner or later under
		// load, so step counts and coverage are compared on the
		// reference, where nothing diverges.
		if mutant == "" && (serial.Checks != par.Checks || serial.Steps != par.Steps) {
			t.Errorf("serial %d checks/%d steps, pool %d/%d", serial.Checks, serial.Steps, par.Checks, par.Steps)
		}
		if mutant == "" && !reflect.DeepEqual(sc, pc) {
			t.Errorf("coverage differs:\nserial %v\npool   %v", sc, pc)
		}
		if mutant != "" && len(so) == 0 {
			t.Errorf("%q: not found in %d checks", mutant, serial.Checks)
		}
		if mutant == "" && len(so) != 0 {
			t.Errorf("the reference diverged: %v", so)
		}
	}
}

func TestIPAMPoolNeedsControl(t *testing.T) {
	if _, err := NewIPAMPool(nil); err == nil {
		t.Error("an empty pool was accepted")
	}
	if _, err := NewIPAMPool([]IPAMConfig{{Profile: models.ProfileDocumented, URL: "http://127.0.0.1:1/ipam"}}); err == nil {
		t.Error("a pool without a control endpoint was accepted")
	}
}
