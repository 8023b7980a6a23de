package bench

import (
	"context"
	"testing"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/fixtures/ipamtcp"
	"github.com/specgate/specgate/internal/nettcp/duplex"
	"github.com/specgate/specgate/internal/runner"
)

// BenchmarkNetTCP compares the spec's own transport with the HTTP binding
// on the same reference model, side by side in one run, at --parallel 1:
// the engine drives the net.tcp reference (fixtures/ipamtcp: one MC-NMF
// duplex connection per IPAM session, callbacks on it) in the binary
// (0x08, MC-NBFSE) and text (0x03) encodings, and the HTTP reference
// with its callback host (the SOAP harness-p1 row). Every step is judged
// by the same runner and model.
func BenchmarkNetTCP(b *testing.B) {
	for _, enc := range []struct {
		name string
		enc  byte
	}{{"binary", duplex.EncodingBinary}, {"text", duplex.EncodingText}} {
		b.Run(enc.name+"-p1", func(b *testing.B) {
			benchEngine(b, runner.IPAMModel{Control: true}, netTCPTarget(b, enc.enc), "ipam", 1)
		})
	}
	b.Run("http-text-p1", func(b *testing.B) {
		t, _ := ipamTarget(b)
		benchEngine(b, runner.IPAMModel{Control: true}, t, "ipam", 1)
	})
}

// netTCPTarget serves the net.tcp reference for the benchmark's lifetime
// and returns the target the CLI builds for soap:net.tcp://… with
// --control.
func netTCPTarget(b *testing.B, enc byte) *runner.IPAMTarget {
	ctx, cancel := context.WithCancel(context.Background())
	infoc := make(chan ipamtcp.Info, 1)
	done := make(chan error, 1)
	opts := ipamtcp.Options{Ref: ipamref.Options{Profile: benchProfile, Checkpoints: soapCheckpoints}}
	go func() { done <- ipamtcp.ListenAndServe(ctx, "", opts, func(i ipamtcp.Info) { infoc <- i }) }()
	var info ipamtcp.Info
	select {
	case info = <-infoc:
		b.Cleanup(func() { cancel(); <-done })
	case err := <-done:
		cancel()
		b.Fatalf("start the net.tcp reference: %v", err)
	}
	tr, err := duplex.New(duplex.Options{Endpoint: info.Endpoint, Encoding: enc, Timeout: soapCallTimeout})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tr.Close() })
	t, err := runner.NewIPAMTarget(runner.IPAMConfig{
		Profile: benchProfile, Control: info.Control, Transport: tr,
		Quiescence: soapQuiescence, Settle: soapSettle, SettleMin: soapSettleMin, Checkpoints: soapCheckpoints,
	})
	if err != nil {
		b.Fatal(err)
	}
	return t
}
