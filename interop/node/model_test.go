package nodeinterop

import (
	"context"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/soap"
)

// runModel runs specgate's IPAM model (random multi-session sequences,
// documented profile, with the control endpoint) against the node-soap
// server, through the same runner and engine the CLI uses.
func runModel(t *testing.T, srv *nodeServer, checks int) engine.Result {
	t.Helper()
	host := newCallbackHost(t)
	tg, err := runner.NewIPAMTarget(runner.IPAMConfig{Profile: "documented", URL: srv.base + "/ipam",
		Control: srv.base + "/control", Client: &soap.Client{Timeout: 5 * time.Second}, Host: host,
		Quiescence: 3 * time.Second, Settle: 20 * time.Millisecond, Checkpoints: 1})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(runner.IPAMModel{Control: true}, tg, engine.Config{Model: "ipam", Profile: "documented",
		Seed: 11, Checks: checks, Steps: 12, FailFast: true, ShrinkTime: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := eng.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestModelAgainstNodeSoap: the harness's envelopes are accepted by a real,
// independent SOAP stack and its callbacks are parsed and judged by the
// model; the conformant node server passes, the broken one is caught.
func TestModelAgainstNodeSoap(t *testing.T) {
	requireNode(t)
	install(t)
	res := runModel(t, startServer(t), 25)
	for _, f := range res.Failures {
		t.Errorf("divergence against node-soap: %s (sequence %v)", f.Divergence.Message(), f.Sequence)
	}
	if res.Checks != 25 || res.Steps == 0 {
		t.Fatalf("ran %d checks, %d steps", res.Checks, res.Steps)
	}
	broken := runModel(t, startServer(t, "--broken", "complete-before-start"), 25)
	if len(broken.Failures) == 0 {
		t.Fatal("the broken node server (Complete before Start) was not caught")
	}
	t.Logf("broken server caught: %s, shrunk to %d steps", broken.Failures[0].Divergence.Message(), len(broken.Failures[0].Sequence))
}
