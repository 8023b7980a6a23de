package fuzz

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/soap"
	"pgregory.net/rapid"
)

// ipamProperty replays a generated IPAM sequence against the reference
// management server over real HTTP (with its control endpoint).
func ipamProperty(f *testing.F, profile string) func(*rapid.T) {
	srv := ipamref.New(ipamref.Options{Profile: profile})
	hs := httptest.NewServer(srv)
	host, err := soap.NewCallbackHost("127.0.0.1:0", soap.Limits{})
	if err != nil {
		f.Fatal(err)
	}
	if err := host.Start(); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { hs.Close(); srv.Close(); host.Close() })
	tg, err := runner.NewIPAMTarget(runner.IPAMConfig{Profile: profile, URL: hs.URL + "/ipam", Control: hs.URL + "/control",
		Client: &soap.Client{Timeout: 5 * time.Second}, Host: host, Quiescence: 3 * time.Second,
		Settle: 5 * time.Millisecond, Checkpoints: 1})
	if err != nil {
		f.Fatal(err)
	}
	gen, err := engine.SequenceGen(runner.IPAMModel{Control: true}, profile)
	if err != nil {
		f.Fatal(err)
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

func FuzzIPAMStrict(f *testing.F) { seeds(f); f.Fuzz(rapid.MakeFuzz(ipamProperty(f, "strict"))) }
func FuzzIPAMDocumented(f *testing.F) {
	seeds(f)
	f.Fuzz(rapid.MakeFuzz(ipamProperty(f, "documented")))
}
