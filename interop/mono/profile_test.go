package monointerop

import (
	"context"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/nettcp/duplex"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/models"
)

// TestProfile (INTEROP_MONO_PROFILE=1, or =fresh for a new connection per
// session-less call) prints where a run's wall time
// goes against the Mono service, from the frames' timestamps: dial to
// Preamble Ack, request to response, one-way to the first callback, End
// to the server's close, and the rest (the harness: control calls,
// settle, judging).
func TestProfile(t *testing.T) {
	if os.Getenv("INTEROP_MONO_PROFILE") == "" {
		t.Skip("set INTEROP_MONO_PROFILE=1 to profile a run against the Mono service")
	}
	s := start(t)
	var mu sync.Mutex
	var frames []duplex.Frame
	idle := 0
	if os.Getenv("INTEROP_MONO_PROFILE") == "fresh" {
		idle = -1 // a new connection per session-less call, as before they were kept
	}
	tr, err := duplex.New(duplex.Options{Endpoint: s.binary, Timeout: callTimeout, IdleConns: idle, OnFrame: func(f duplex.Frame) {
		mu.Lock()
		frames = append(frames, f)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tgt, err := runner.NewIPAMTarget(runner.IPAMConfig{Profile: models.ProfileDocumented, Control: s.control, Transport: tr,
		Quiescence: quiescence, Settle: settle, Checkpoints: 1})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(runner.IPAMModel{Control: true}, tgt, engine.Config{Model: "ipam", Profile: models.ProfileDocumented, Seed: 7, Checks: 30, Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	// Warm up, then profile.
	if _, err := eng.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	frames = nil
	mu.Unlock()
	eng, _ = engine.New(runner.IPAMModel{Control: true}, tgt, engine.Config{Model: "ipam", Profile: models.ProfileDocumented, Seed: 8, Checks: 30, Steps: steps})
	begin := time.Now()
	res, err := eng.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Since(begin)
	mu.Lock()
	defer mu.Unlock()
	// Per session id (connection), pair each sent frame with the next
	// received one.
	type span struct {
		n int
		d time.Duration
	}
	spans := map[string]*span{}
	last := map[string]duplex.Frame{}
	for _, f := range frames {
		key := f.Session
		if f.Dir == duplex.Sent {
			last[key] = f
			continue
		}
		p, ok := last[key]
		if !ok {
			continue
		}
		delete(last, key)
		kind := "request -> response or callback"
		switch p.What {
		case "preamble":
			kind = "dial+preamble -> Preamble Ack"
		case "EndRecord":
			kind = "End -> server close"
		}
		sp := spans[kind]
		if sp == nil {
			sp = &span{}
			spans[kind] = sp
		}
		sp.n++
		sp.d += f.Time.Sub(p.Time)
	}
	var kinds []string
	var sum time.Duration
	for k, sp := range spans {
		kinds = append(kinds, k)
		sum += sp.d
	}
	sort.Strings(kinds)
	t.Logf("%d checks, %d steps in %v (%.1f steps/s)", res.Checks, res.Steps, wall.Round(time.Millisecond), float64(res.Steps)/wall.Seconds())
	for _, k := range kinds {
		sp := spans[k]
		t.Logf("  %-36s %4d x %7.1f ms = %6.2f s (%4.1f%%)", k, sp.n, float64(sp.d.Microseconds())/1000/float64(sp.n), sp.d.Seconds(), 100*sp.d.Seconds()/wall.Seconds())
	}
	t.Logf("  %-36s                  %6.2f s (%4.1f%%)", "rest (control, settle, harness)", (wall - sum).Seconds(), 100*(wall-sum).Seconds()/wall.Seconds())
}
