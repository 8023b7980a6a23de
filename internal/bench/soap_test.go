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
)

// The CLI's IPAM defaults (cmd/specgate/ipam.go).
const (
	soapQuiescence  = 5 * time.Second
	soapSettle      = 10 * time.Millisecond // the CLI default
	soapCheckpoints = 1
	soapCallTimeout = 5 * time.Second
)

// BenchmarkSOAP runs the engine on the IPAM reference server over real
// HTTP on loopback, with its control endpoint and a callback host, the
// way `specgate run --model ipam` wires the embedded reference, and
// compares it with a plain net/http client POSTing IsIpamConfigured
// envelopes to the same kind of server. An IPAM target runs its sessions
// one at a time (the ADM is global to the server), so harness-p2/p4 only
// overlap generation with execution; harness-p4-4servers pools four
// independent servers behind one engine to show what the engine does when
// the SUT allows parallel sessions.
func BenchmarkSOAP(b *testing.B) {
	for _, p := range parallels {
		b.Run(pname(p), func(b *testing.B) {
			t, _ := ipamTarget(b)
			benchEngine(b, runner.IPAMModel{Control: true}, t, "ipam", p)
		})
	}
	b.Run("harness-p4-4servers", func(b *testing.B) {
		pool := &poolTarget{free: make(chan int, 4)}
		for k := 0; k < 4; k++ {
			t, _ := ipamTarget(b)
			pool.ts = append(pool.ts, t)
			pool.free <- k
		}
		benchEngine(b, runner.IPAMModel{Control: true}, pool, "ipam", 4)
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

// ipamTarget starts an ipamref server and a callback host for the
// benchmark's lifetime and returns an IPAM target on them with control,
// and the SOAP URL.
func ipamTarget(b *testing.B) (*runner.IPAMTarget, string) {
	srv := ipamref.New(ipamref.Options{Profile: benchProfile, Checkpoints: soapCheckpoints})
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- ipamref.ListenAndServe(ctx, "127.0.0.1:0", srv, func(a net.Addr) { ready <- a }) }()
	var base string
	select {
	case a := <-ready:
		base = "http://" + a.String()
	case err := <-errc:
		cancel()
		b.Fatalf("start the IPAM reference: %v", err)
	}
	b.Cleanup(func() { cancel(); srv.Close(); <-errc })
	host, err := soap.NewCallbackHost("127.0.0.1:0", soap.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	if err := host.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { host.Close() })
	client := &soap.Client{Timeout: soapCallTimeout}
	b.Cleanup(client.CloseIdleConnections)
	url := base + ipamref.SOAPPath
	t, err := runner.NewIPAMTarget(runner.IPAMConfig{
		Profile: benchProfile, URL: url, Control: base + ipamref.ControlPath, Client: client, Host: host,
		Quiescence: soapQuiescence, Settle: soapSettle, Checkpoints: soapCheckpoints,
	})
	if err != nil {
		b.Fatal(err)
	}
	return t, url
}

// poolTarget spreads sessions over several targets of independent SUTs,
// one session per target at a time.
type poolTarget struct {
	ts   []engine.Target
	free chan int
}

func (p *poolTarget) NewSession(ctx context.Context, name string, record bool) (engine.Session, error) {
	var k int
	select {
	case k = <-p.free:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s, err := p.ts[k].NewSession(ctx, name, record)
	if err != nil {
		p.free <- k
		return nil, err
	}
	return &pooledSession{Session: s, p: p, k: k}, nil
}

type pooledSession struct {
	engine.Session
	p *poolTarget
	k int
}

func (s *pooledSession) Finish(ctx context.Context, steps int) *engine.Divergence {
	if f, ok := s.Session.(engine.Finisher); ok {
		return f.Finish(ctx, steps)
	}
	return nil
}

func (s *pooledSession) Close(ctx context.Context) {
	s.Session.Close(ctx)
	s.p.free <- s.k
}
