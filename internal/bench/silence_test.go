package bench

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/soap"
	"github.com/specgate/specgate/internal/soap/soaptest"
)

// BenchmarkSilenceVerified measures, per IPAM mutant the harness sees as
// silence past the deadline (never-completes: a Start never completed;
// wrong-action: the Complete sent under the Checkpoint Action, so the
// awaited Complete never comes; concurrent-accepted: a second conversion
// held instead of rejected), the wall time from the start of a run to its
// first failure reported minimal and verified, at the CLI's default
// --quiescence of 5 s: "s/verified" (one run per iteration, each on a
// fresh server and target, so nothing is learnt across iterations). A
// full wait is spent where silence is first met and on the first replay
// of the final verification; the others end on the adaptive deadline
// (runner/quiescence.go). With BENCH_SILENCE_BEFORE=1 a "full-waits" row
// per mutant waits the whole 5 s everywhere, as before (slow: 30-45 s
// per run).
func BenchmarkSilenceVerified(b *testing.B) {
	rows := []struct {
		name string
		min  time.Duration // QuiescenceMin; = Quiescence waits in full
	}{{"adaptive", 0}}
	if os.Getenv("BENCH_SILENCE_BEFORE") == "1" {
		rows = append(rows, struct {
			name string
			min  time.Duration
		}{"full-waits", soapQuiescence})
	}
	for _, mutant := range []string{"never-completes", "wrong-action", "concurrent-accepted"} {
		for _, row := range rows {
			b.Run(mutant+"/"+row.name, func(b *testing.B) {
				var total time.Duration
				var full, short, steps int
				for range b.N {
					b.StopTimer()
					tgt := silenceTarget(b, mutant, row.min)
					b.StartTimer()
					begin := time.Now()
					eng, err := engine.New(runner.IPAMModel{Control: true}, tgt, engine.Config{
						Model: "ipam", Profile: benchProfile, Seed: 3, Checks: 300, Steps: 12, MaxFailures: 1, FailFast: true,
					})
					if err != nil {
						b.Fatal(err)
					}
					res, err := eng.Run(context.Background())
					if err != nil {
						b.Fatal(err)
					}
					total += time.Since(begin)
					if len(res.Failures) == 0 || res.Failures[0].Class != engine.ClassConfirmed {
						b.Fatalf("%s: no confirmed failure in %d checks", mutant, res.Checks)
					}
					f, s := tgt.QuiescenceWaits()
					full, short, steps = full+f, short+s, steps+len(res.Failures[0].Sequence)
				}
				n := float64(b.N)
				b.ReportMetric(total.Seconds()/n, "s/verified")
				b.ReportMetric(float64(full)/n, "full-waits")
				b.ReportMetric(float64(short)/n, "adaptive-waits")
				b.ReportMetric(float64(steps)/n, "steps")
				keep(b, 0, map[string]float64{"s/verified": total.Seconds() / n, "full-waits": float64(full) / n})
			})
		}
	}
}

// silenceTarget serves a mutant ipamref for the benchmark and returns a
// fresh target on it (the CLI's defaults: 5 s quiescence).
func silenceTarget(b *testing.B, mutant string, qmin time.Duration) *runner.IPAMTarget {
	srv := ipamref.New(ipamref.Options{Profile: benchProfile, Checkpoints: soapCheckpoints, Mutant: mutant})
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- ipamref.ListenAndServe(ctx, "127.0.0.1:0", srv, func(a net.Addr) { ready <- a }) }()
	var base string
	select {
	case a := <-ready:
		b.Cleanup(func() { cancel(); srv.Close(); <-errc })
		base = "http://" + a.String()
	case err := <-errc:
		cancel()
		b.Fatalf("start the IPAM mutant: %v", err)
	}
	client := &soap.Client{Timeout: soapCallTimeout}
	b.Cleanup(client.CloseIdleConnections)
	cfg := runner.IPAMConfig{
		Profile: benchProfile, URL: base + ipamref.SOAPPath, Control: base + ipamref.ControlPath, Client: client, Host: soaptest.StartHost(b, nil),
		Quiescence: soapQuiescence, QuiescenceMin: qmin, Settle: soapSettle, SettleMin: soapSettleMin, Checkpoints: soapCheckpoints,
	}
	t, err := runner.NewIPAMTarget(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return t
}
