package bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/soap"
	"github.com/specgate/specgate/internal/soap/soaptest"
)

// The CLI's IPAM defaults (cmd/specgate/ipam.go).
const (
	soapQuiescence  = 5 * time.Second
	soapSettle      = 10 * time.Millisecond // the CLI default (--settle)
	soapSettleMin   = time.Millisecond      // the CLI default (--settle-min)
	soapCheckpoints = 1
	soapCallTimeout = 5 * time.Second
)

// BenchmarkSOAP runs the engine on the IPAM reference over real HTTP on
// loopback, with its control endpoint and a callback host, the way
// `specgate run --model ipam --parallel N` wires the embedded reference
// (one reference server per parallel sequence: the ADM is global to a
// server), and compares it with a plain net/http client POSTing
// IsIpamConfigured envelopes to the same kind of server.
// harness-p4-1server is what a single vendor server allows: its sessions
// run one at a time, so p4 only overlaps generation with execution.
func BenchmarkSOAP(b *testing.B) {
	for _, p := range parallels {
		b.Run(pname(p), func(b *testing.B) {
			benchEngine(b, runner.IPAMModel{Control: true}, ipamPool(b, p), "ipam", p)
		})
	}
	b.Run("harness-p4-1server", func(b *testing.B) {
		t, _ := ipamTarget(b)
		benchEngine(b, runner.IPAMModel{Control: true}, t, "ipam", 4)
	})
	b.Run("raw-http", func(b *testing.B) {
		_, url := ipamTarget(b)
		env := soap.NewRequest(soap.ActionIsIpamConfigured, url, soap.WSAAnonymous, soap.IsIpamConfiguredBody()).Marshal()
		ct := soap.ContentType(soap.ActionIsIpamConfigured)
		tr := &http.Transport{MaxIdleConnsPerHost: 4}
		b.Cleanup(tr.CloseIdleConnections)
		hc := &http.Client{Transport: tr, Timeout: soapCallTimeout}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			resp, err := hc.Post(url, ct, bytes.NewReader(env))
			if err != nil {
				b.Fatal(err)
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatalf("IsIpamConfigured: HTTP %d, %v", resp.StatusCode, err)
			}
		}
		b.StopTimer()
		recordSteps(b, b.N)
	})
}

// ipamPool is what the CLI builds for the embedded IPAM reference at
// --parallel n: n servers, one callback host, one client.
func ipamPool(b *testing.B, n int) engine.Target {
	host := callbackHost(b)
	client := &soap.Client{Timeout: soapCallTimeout}
	b.Cleanup(client.CloseIdleConnections)
	cfgs := make([]runner.IPAMConfig, n)
	for k := range cfgs {
		base := startIPAMRef(b)
		cfgs[k] = ipamConfig(base, client, host)
	}
	p, err := runner.NewIPAMPool(cfgs)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// ipamTarget starts an ipamref server and a callback host for the
// benchmark's lifetime and returns an IPAM target on them with control,
// and the SOAP URL.
func ipamTarget(b *testing.B) (*runner.IPAMTarget, string) {
	base := startIPAMRef(b)
	client := &soap.Client{Timeout: soapCallTimeout}
	b.Cleanup(client.CloseIdleConnections)
	cfg := ipamConfig(base, client, callbackHost(b))
	t, err := runner.NewIPAMTarget(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return t, cfg.URL
}

// ipamConfig is the CLI's IPAM target configuration for the server at base.
func ipamConfig(base string, client *soap.Client, host *soap.CallbackHost) runner.IPAMConfig {
	return runner.IPAMConfig{
		Profile: benchProfile, URL: base + ipamref.SOAPPath, Control: base + ipamref.ControlPath, Client: client, Host: host,
		Quiescence: soapQuiescence, Settle: soapSettle, SettleMin: soapSettleMin, Checkpoints: soapCheckpoints,
	}
}

// startIPAMRef serves an ipamref server on loopback for the benchmark's
// lifetime and returns its base URL.
func startIPAMRef(b *testing.B) string {
	srv := ipamref.New(ipamref.Options{Profile: benchProfile, Checkpoints: soapCheckpoints})
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- ipamref.ListenAndServe(ctx, "127.0.0.1:0", srv, func(a net.Addr) { ready <- a }) }()
	select {
	case a := <-ready:
		b.Cleanup(func() { cancel(); srv.Close(); <-errc })
		return "http://" + a.String()
	case err := <-errc:
		cancel()
		b.Fatalf("start the IPAM reference: %v", err)
	}
	return ""
}

// callbackHost starts a callback host for the benchmark's lifetime.
func callbackHost(b *testing.B) *soap.CallbackHost {
	return soaptest.StartHost(b, nil)
}
