package monointerop

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/nettcp/duplex"
	"github.com/specgate/specgate/internal/nettcp/nmf"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/models"
)

// openSessions asks the service how many session channels its WCF
// dispatchers hold (GET /control/sessions: the channels counted against
// MaxConcurrentSessions).
func (s *service) openSessions(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(s.control + "/sessions")
	if err != nil {
		t.Fatalf("GET /control/sessions: %v", err)
	}
	defer resp.Body.Close()
	var v struct {
		Open int `json:"open"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("GET /control/sessions: %v", err)
	}
	if v.Open < 0 {
		t.Fatal("the service could not read its dispatchers' session lists (Mono internals changed?)")
	}
	return v.Open
}

// settledSessions polls until the service holds no session, bounded
// generously (Mono notices an End record after its 50 ms receive sleep),
// and returns what it holds then.
func (s *service) settledSessions(t *testing.T) int {
	t.Helper()
	n := 0
	for i := 0; i < 100; i++ {
		if n = s.openSessions(t); n == 0 {
			return 0
		}
		time.Sleep(100 * time.Millisecond)
	}
	return n
}

// kindTarget is a runner target over a fresh transport of its own, the
// transport (to close, as the CLI does when a run ends) and the config.
func kindTarget(t *testing.T, s *service, q time.Duration) (*runner.IPAMTarget, *duplex.Transport) {
	t.Helper()
	fl := &frameLog{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last frames:\n%s", fl)
		}
	})
	tr, err := duplex.New(duplex.Options{Endpoint: s.binary, Encoding: duplex.EncodingBinary, Timeout: callTimeout, OnFrame: fl.add, CloseWait: closeWait})
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := runner.NewIPAMTarget(runner.IPAMConfig{
		Profile: models.ProfileDocumented, Control: s.control, Transport: tr,
		Quiescence: q, Settle: settle, Checkpoints: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tgt, tr
}

// TestCounterSeesAbandoned: the service's session counter is what WCF
// holds: a connection that got its Preamble Ack and was never ended holds
// a slot; the End record frees it.
func TestCounterSeesAbandoned(t *testing.T) {
	s := start(t)
	addr, _, err := duplex.ParseURI(s.binary)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := net.DialTimeout("tcp", addr, callTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	pre, _ := nmf.AppendPreamble(nil, nmf.Preamble{Major: 1, Mode: nmf.ModeDuplex, Via: s.binary, Encoding: duplex.EncodingBinary})
	pre = append(pre, byte(nmf.TypePreambleEnd))
	if _, err := nc.Write(pre); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(callTimeout))
	ack := make([]byte, 1)
	if _, err := nc.Read(ack); err != nil || ack[0] != byte(nmf.TypePreambleAck) {
		t.Fatalf("Preamble Ack: %v %x", err, ack)
	}
	if n := s.openSessions(t); n != 1 {
		t.Errorf("%d sessions open with one connection acknowledged, want 1", n)
	}
	if _, err := nc.Write([]byte{byte(nmf.TypeEnd)}); err != nil {
		t.Fatal(err)
	}
	if n := s.settledSessions(t); n != 0 {
		t.Errorf("%d sessions open after the End record, want 0", n)
	}
}

// TestSessionsClosed: after runs that end every way a run can (all
// conformant; a divergence, shrunk and verified; every step judged silent
// by a quiescence shorter than Mono's pace, so candidates fail and are
// cut short; a run interrupted part-way, as SIGINT does), and once the
// transport is closed as the CLI closes it, the WCF service holds no
// session: every connection was ended with the End record.
func TestSessionsClosed(t *testing.T) {
	good := start(t)
	broken := start(t, "--broken", "complete-before-start")
	kinds := []struct {
		name     string
		s        *service
		q        time.Duration
		checks   int
		interupt time.Duration
		fails    bool
	}{
		{"conformant", good, quiescence, 8, 0, false},
		{"divergence-shrunk-verified", broken, quiescence, 30, 0, true},
		{"silence-timeouts", good, 5 * time.Millisecond, 30, 0, true},
		{"interrupted", good, quiescence, 40, 2 * time.Second, false},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			tgt, tr := kindTarget(t, k.s, k.q)
			ctx, cancel := context.WithTimeout(context.Background(), runBudget)
			defer cancel()
			if k.interupt > 0 {
				time.AfterFunc(k.interupt, cancel)
			}
			eng, err := engine.New(runner.IPAMModel{Control: true}, tgt, engine.Config{
				Model: "ipam", Profile: models.ProfileDocumented, Seed: 0x5e55, Checks: k.checks, Steps: steps,
				MaxFailures: 1, FailFast: true, ShrinkReplays: 40,
			})
			if err != nil {
				t.Fatal(err)
			}
			res, err := eng.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d checks, %d steps, %d failure(s), interrupted %v; %s", res.Checks, res.Steps, len(res.Failures), res.Interrupted, summary(res))
			if k.fails != (len(res.Failures) > 0) {
				t.Errorf("failures: %d, want some: %v", len(res.Failures), k.fails)
			}
			if k.interupt > 0 && !res.Interrupted {
				t.Error("the run was not interrupted")
			}
			if n := k.s.openSessions(t); n > 0 {
				t.Logf("%d session(s) open before the transport is closed (kept idle for reuse)", n)
			}
			tr.Close()
			if n := k.s.settledSessions(t); n != 0 {
				t.Errorf("the WCF service holds %d session(s) after the run", n)
			}
		})
	}
}

func summary(res engine.Result) string {
	var b []string
	for _, f := range res.Failures {
		b = append(b, fmt.Sprintf("%s %d steps (from %d) %s %d/%d", f.Divergence.Signature(), len(f.Sequence), f.Original, f.Class, f.Reproduced, f.Verify))
	}
	return strings.Join(b, "; ")
}

// TestThrottled: with the service limited to 2 concurrent sessions
// (MaxConcurrentSessions = 2, fewer than one IPAM sequence's two sessions
// and a session-less query need), a run at parallel 4 completes,
// conformant, without a timeout: specgate ends the connections it can
// spare, rides session-less calls on an open session, and reports the
// waits as a warning, not as a SUT failure. No session is left open.
func TestThrottled(t *testing.T) {
	s := start(t, "--max-sessions", "2")
	tgt, tr := kindTarget(t, s, quiescence)
	ctx, cancel := context.WithTimeout(context.Background(), runBudget)
	defer cancel()
	eng, err := engine.New(runner.IPAMModel{Control: true}, tgt, engine.Config{
		Model: "ipam", Profile: models.ProfileDocumented, Seed: 9, Checks: 20, Steps: steps, Parallel: 4, MaxFailures: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	res, err := eng.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := tr.Throttle()
	t.Logf("%d checks, %d steps in %v; throttle %+v; warnings %q", res.Checks, res.Steps, time.Since(begin).Round(time.Millisecond), st, tgt.Warnings())
	if len(res.Failures) > 0 || len(res.Faults) > 0 {
		t.Errorf("not conformant under the throttle: %s, faults %+v", summary(res), res.Faults)
	}
	if res.Interrupted || res.Checks != 20 {
		t.Errorf("ran %d of 20 checks (interrupted %v)", res.Checks, res.Interrupted)
	}
	if st.Waits == 0 || len(tgt.Warnings()) == 0 {
		t.Errorf("the throttle was not reported: %+v %q", st, tgt.Warnings())
	}
	tr.Close()
	if n := s.settledSessions(t); n != 0 {
		t.Errorf("the WCF service holds %d session(s) after the run", n)
	}
}
