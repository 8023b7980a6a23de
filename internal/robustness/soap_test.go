package robustness

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/chaos"
	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/soap"
	"github.com/specgate/specgate/internal/soap/soaptest"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/ipam"
)

// Deadlines of the SOAP tests.
const (
	soapCallTimeout = 800 * time.Millisecond // soap.Client.Timeout
	soapQuiescence  = 800 * time.Millisecond // runner.IPAMConfig.Quiescence
	soapSettle      = 150 * time.Millisecond // runner.IPAMConfig.Settle
)

func iact(op string, idx, arg int) models.Action { return models.Action{Op: op, Idx: idx, Arg: arg} }

var (
	// soapQuerySeq is one IsIpamConfigured: the response modes select it.
	soapQuerySeq = []models.Action{iact(ipam.OpIsConfigured, -1, 0)}
	// soapConversionSeq is a schema conversion on slot 0 (Start,
	// Checkpoint, Complete): the callback modes spoil its callbacks.
	soapConversionSeq = []models.Action{iact(ipam.OpInitSchema, 0, 0), iact(ipam.OpStartSchema, 0, 0)}
	// soapNextSeq is the next sequence of the run: conformant, and not
	// selected by the response modes.
	soapNextSeq = []models.Action{iact(ipam.OpInitSchema, 0, 0), iact(ipam.OpStartSchema, 0, 0), iact(ipam.OpIsRequired, -1, 0)}
)

// soapRig is one IPAM target (runner.NewIPAMTarget with a soap.Client and
// a soap.CallbackHost) over a chaos SOAP server wrapping ipamref, served
// by httptest on 127.0.0.1:0.
type soapRig struct {
	chaos *chaos.SOAP
	inner *ipamref.Server
	srv   *httptest.Server
	host  *soap.CallbackHost
	tgt   *runner.IPAMTarget
	exits atomic.Int64
}

// soapRigOptions vary a soapRig.
type soapRigOptions struct {
	// host is shared when not nil (its owner closes it); otherwise a
	// fresh one is made, configured by tune before Start.
	host *soap.CallbackHost
	tune func(*soap.CallbackHost)
	// slow gives the call and the quiescence 3s: for the 50 MB and
	// 100,000-deep cases, whose point is the limits, not the deadlines
	// (under -race on a small machine moving a few MB can take longer
	// than the usual 800 ms).
	slow bool
}

// slowMode reports whether a mode moves oversized payloads.
func slowMode(m chaos.Mode) bool {
	return strings.Contains(m.Name, chaos.ModeHuge) || strings.Contains(m.Name, chaos.ModeDeep)
}

func newSOAPRig(t testing.TB, mode chaos.Mode, host *soap.CallbackHost, tune func(*soap.CallbackHost)) *soapRig {
	return newSOAPRigWith(t, mode, soapRigOptions{host: host, tune: tune, slow: slowMode(mode)})
}

func newSOAPRigWith(t testing.TB, mode chaos.Mode, o soapRigOptions) *soapRig {
	t.Helper()
	host, tune := o.host, o.tune
	r := &soapRig{}
	r.inner = ipamref.New(ipamref.Options{Profile: models.ProfileDocumented, CallbackTimeout: 2 * time.Second})
	r.chaos = chaos.NewSOAP(mode, r.inner)
	r.chaos.Exit = func(int) { r.exits.Add(1) }
	if host == nil {
		host = soaptest.StartHost(t, tune)
	}
	r.host = host
	r.srv = httptest.NewServer(r.chaos)
	// Cleanups run last-in first-out: first release the chaos server's
	// hanging requests and deliveries, then the HTTP server, then the
	// reference server (its callback goroutines).
	t.Cleanup(func() { r.inner.Close() })
	t.Cleanup(r.srv.Close)
	t.Cleanup(func() { r.chaos.Close() })
	callTimeout, quiescence := soapCallTimeout, soapQuiescence
	if o.slow {
		callTimeout, quiescence = 3*time.Second, 3*time.Second
	}
	var err error
	r.tgt, err = runner.NewIPAMTarget(runner.IPAMConfig{
		Profile: models.ProfileDocumented, URL: r.srv.URL + ipamref.SOAPPath, Control: r.srv.URL + ipamref.ControlPath,
		Client: &soap.Client{Timeout: callTimeout}, Host: host,
		Quiescence: quiescence, Settle: soapSettle, Checkpoints: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *soapRig) replay(t testing.TB, seq []models.Action) (*engine.Divergence, []string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	d, tr, err := engine.Replay(ctx, r.tgt, seq)
	el := time.Since(start)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("Replay hung: still running after %v", el)
	}
	return d, tr, el
}

// describe renders a report for comparisons: "kind: detail", or "kind:
// observed" when there is no detail (callback divergences), or "none".
func describe(d *engine.Divergence) string {
	switch {
	case d == nil:
		return "none"
	case d.Detail != "":
		return d.Kind + ": " + d.Detail
	}
	return d.Kind + " [" + d.Clause + "]: " + d.Observed
}

// checkSOAPNext runs the next sequence and checks that it passes: the
// chaos server's misbehaviour is over (the response modes do not select
// it, the callback modes fired @1) and the SUT was reset by the runner.
func checkSOAPNext(t *testing.T, rig *soapRig, mode chaos.Mode) {
	t.Helper()
	rig.chaos.Wait() // late and asynchronous deliveries are over
	if d, _, _ := rig.replay(t, soapNextSeq); d != nil {
		t.Errorf("next sequence after %s: %s", mode, d.Message())
	}
}

// TestSOAPResponseMisbehaviours spoils the HTTP response to
// IsIpamConfigured in every response mode and checks what the runner
// reports, that the call is bounded by the client's deadline, and that
// the next sequence passes.
func TestSOAPResponseMisbehaviours(t *testing.T) {
	for _, c := range soapResponseCases {
		t.Run(c.mode, func(t *testing.T) {
			t.Parallel()
			mode := chaos.MustParseMode(c.mode)
			rig := newSOAPRig(t, mode, nil, nil)
			d, tr, el := rig.replay(t, soapQuerySeq)
			got := describe(d)
			t.Logf("%s: %s (%v)", mode, got, el)
			if d != nil {
				checkOneLine(t, d)
				if d.Step != 1 || d.Action != soapQuerySeq[0].String() || d.Clause != ipam.ClQueryConfig {
					t.Errorf("reported at step %d %s [%s], want step 1 %s [%s]", d.Step, d.Action, d.Clause, soapQuerySeq[0], ipam.ClQueryConfig)
				}
				if d.Observed != d.Kind {
					t.Errorf("observed %q, want the kind %q", d.Observed, d.Kind)
				}
			}
			if d != nil && (len(tr) == 0 || !strings.Contains(tr[0], "IsIpamConfigured")) {
				t.Errorf("transcript lacks the request: %.300q", tr)
			}
			if el > c.within {
				t.Errorf("replay took %v, want under %v", el, c.within)
			}
			rig.chaos.Wait() // the handler calls Exit after dropping the connection
			if c.exits != rig.exits.Load() {
				t.Errorf("Exit called %d times, want %d", rig.exits.Load(), c.exits)
			}
			checkSOAPNext(t, rig, mode)
			if !regexp.MustCompile("^(" + c.want + ")$").MatchString(got) {
				t.Errorf("reported %q, want %q", got, c.want)
			}
		})
	}
}

// TestSOAPCallbackMisbehaviours spoils the callbacks of a schema
// conversion in every callback mode (the first matching callback only)
// and checks what the runner reports and that the next sequence passes.
func TestSOAPCallbackMisbehaviours(t *testing.T) {
	for _, c := range soapCallbackCases {
		t.Run(c.mode, func(t *testing.T) {
			t.Parallel()
			mode := chaos.MustParseMode(c.mode)
			rig := newSOAPRig(t, mode, nil, nil)
			d, tr, el := rig.replay(t, soapConversionSeq)
			got := describe(d)
			t.Logf("%s: %s (%v)", mode, got, el)
			if d == nil {
				t.Fatalf("%s: no divergence reported", mode)
			}
			checkOneLine(t, d)
			if !regexp.MustCompile("^(" + c.want + ")$").MatchString(got) {
				t.Errorf("reported %q, want %q", got, c.want)
			}
			if !regexp.MustCompile("^(" + c.action + ")$").MatchString(d.Action) {
				t.Errorf("reported at %s, want %s", d.Action, c.action)
			}
			if len(tr) == 0 {
				t.Errorf("no transcript")
			}
			if el > c.within {
				t.Errorf("replay took %v, want under %v", el, c.within)
			}
			late := rig.host.LateDropped()
			checkSOAPNext(t, rig, mode)
			if mode.Name == chaos.ModeCBLate {
				// The late Complete reached a session the runner had
				// already forgotten: the host counted and dropped it, and
				// the next sequence was not blamed for it.
				if n := rig.host.LateDropped(); n != late+1 || len(rig.host.Stray()) != 0 {
					t.Errorf("late callbacks dropped: %d before, %d after (want one more); %d strays", late, n, len(rig.host.Stray()))
				}
			}
		})
	}
}

// TestSOAPCallbackAfterEndPastSettle: a callback for a session that has
// completed, sent after the runner's settle window, must still be
// reported somewhere (docs §6.1: nothing after Complete). It cannot be
// blamed on a sequence any more (the next one is not at fault), so the
// target reports it as a run-level warning.
func TestSOAPCallbackAfterEndPastSettle(t *testing.T) {
	t.Parallel()
	mode := chaos.MustParseMode(chaos.ModeCBAfterEnd + "@1+600ms")
	rig := newSOAPRig(t, mode, nil, nil)
	if w := rig.tgt.Warnings(); len(w) != 0 {
		t.Fatalf("warnings before any sequence: %q", w)
	}
	d, _, _ := rig.replay(t, soapConversionSeq)
	rig.chaos.Wait()
	d2, _, _ := rig.replay(t, soapNextSeq)
	if d != nil || d2 != nil {
		t.Errorf("a divergence was blamed on a sequence: %s / %s", describe(d), describe(d2))
	}
	w := rig.tgt.Warnings()
	if len(w) != 1 || !strings.HasPrefix(w[0], "1 callback(s) arrived for sessions that had already ended") ||
		!strings.Contains(w[0], "ipam/3.17.1.1/Completed") {
		t.Errorf("a Notify*Checkpoint %v after the Complete: warnings %q, want one naming 1 late callback and 3.17.1.1/Completed", mode.Delay, w)
	}
}

// TestSOAPHeldSessionCheckpointPastSettle: a sequence that ends with a
// session held in progress leaves its server free to send the checkpoints
// that follow Start. One that arrives after the runner let the session go
// is no misbehaviour (the session never completed): it must be dropped
// without a late-callback warning and without blaming the next sequence.
// Before the runner abandoned held sessions, the conformant reference
// drew "arrived for sessions that had already ended" warnings under load.
func TestSOAPHeldSessionCheckpointPastSettle(t *testing.T) {
	t.Parallel()
	mode := chaos.MustParseMode(chaos.ModeCBLate + ":checkpoint@1+400ms")
	rig := newSOAPRig(t, mode, nil, nil)
	held := []models.Action{iact(ipam.OpCtlHold, -1, 0), iact(ipam.OpInitSchema, 0, 0), iact(ipam.OpStartSchema, 0, 0)}
	if d, tr, _ := rig.replay(t, held); d != nil {
		t.Fatalf("held session: %s\n%s", d.Message(), strings.Join(tr, "\n"))
	}
	rig.chaos.Wait() // the delayed checkpoint has been delivered
	if n := rig.host.AbandonedDropped(); n != 1 {
		t.Errorf("%d callbacks dropped for abandoned sessions, want the delayed checkpoint", n)
	}
	if n, s := rig.host.LateDropped(), len(rig.host.Stray()); n != 0 || s != 0 {
		t.Errorf("the delayed checkpoint of a held session counted as %d late, %d stray", n, s)
	}
	if w := rig.tgt.Warnings(); len(w) != 0 {
		t.Errorf("warnings for a conformant server: %q", w)
	}
	checkSOAPNext(t, rig, mode)
}

// TestSOAPOversizedMemoryBounded checks that a 50 MB body and a document
// nested 100,000 deep, as a response or as a callback, are rejected at
// the limits (1 MiB, depth 64) with bounded memory: the bytes this
// process allocates during the whole replay (client, callback host,
// runner, and the in-process chaos server) stay far below the body size,
// and the chaos server could not push the body through.
func TestSOAPOversizedMemoryBounded(t *testing.T) {
	for _, c := range []struct {
		mode, want string
		seq        []models.Action
	}{
		{chaos.ModeHuge + ":IsIpamConfigured", `malformed: soap: message too large: more than 1048576 bytes`, soapQuerySeq},
		{chaos.ModeDeep + ":IsIpamConfigured", `malformed: soap: document nested too deeply: more than 64 nested elements \(at byte \d+\)`, soapQuerySeq},
		{chaos.ModeCBHuge + "@1", `divergence \[ipam/callback/malformed\]: too-large: soap: message too large: more than 1048576 bytes`, soapConversionSeq},
		{chaos.ModeCBDeep + "@1", `divergence \[ipam/callback/malformed\]: malformed: soap: document nested too deeply: more than 64 nested elements \(at byte \d+\)`, soapConversionSeq},
	} {
		t.Run(c.mode, func(t *testing.T) {
			mode := chaos.MustParseMode(c.mode)
			rig := newSOAPRig(t, mode, nil, nil)
			grew, total, d := measure(t, func() *engine.Divergence {
				d, _, _ := rig.replay(t, c.seq)
				rig.chaos.Wait()
				return d
			})
			got := describe(d)
			t.Logf("%s: %s; heap grew %d KiB, %d KiB allocated, chaos server wrote %d KiB", mode, got, grew>>10, total>>10, rig.chaos.Written()>>10)
			if !regexp.MustCompile("^(" + c.want + ")$").MatchString(got) {
				t.Errorf("reported %q, want %q", got, c.want)
			}
			if limit := uint64(chaos.HugeBytes / 5); total > limit {
				t.Errorf("%d bytes allocated during the replay (limit %d)", total, limit)
			}
			if w := rig.chaos.Written(); w > chaos.HugeBytes/4 {
				t.Errorf("the chaos server wrote %d of %d bytes: the peer kept reading past its limit", w, chaos.HugeBytes)
			}
		})
	}
}

// post sends one request and returns the status (0 on error) and the
// latency.
func post(hc *http.Client, url, ct, body string) (int, time.Duration) {
	start := time.Now()
	resp, err := hc.Post(url, ct, strings.NewReader(body))
	el := time.Since(start)
	if err != nil {
		return 0, el
	}
	resp.Body.Close()
	return resp.StatusCode, el
}

// TestSOAPCallbackFlood floods the callback host with copies of the
// start notification (chaos cb-flood: 10,000 within a second, from 16
// connections): the runner reports a divergence at once instead of
// hanging; the host keeps answering other sessions (within 3s under the
// race detector, well under the 5s default quiescence); what it keeps is
// bounded (the copies that outlive the session are counted and dropped,
// strays stay under MaxEvents, the live heap does not grow with the
// flood); and once the flood is stopped the next sequence passes.
func TestSOAPCallbackFlood(t *testing.T) {
	const maxEvents = 256
	mode := chaos.MustParseMode(chaos.ModeCBFlood + ":start@1")
	rig := newSOAPRig(t, mode, nil, func(h *soap.CallbackHost) { h.MaxEvents = maxEvents })
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, _, el := rig.replay(t, soapConversionSeq)
	t.Logf("reported after %v: %s", el, describe(d))
	if d == nil {
		t.Fatalf("no divergence reported for a flood of start notifications")
	}
	checkOneLine(t, d)
	if d.Kind != engine.KindDivergence || !regexp.MustCompile(`^NotifyAsyncSchemaConversion(Start|Complete)`).MatchString(d.Observed) ||
		(d.Clause != ipam.ClSchemaCBProg && d.Clause != ipam.ClSchemaCBDone) {
		t.Errorf("reported %s, want a divergence on a duplicated callback [%s or %s]", describe(d), ipam.ClSchemaCBProg, ipam.ClSchemaCBDone)
	}
	if el > 5*time.Second {
		t.Errorf("the divergence took %v", el)
	}
	// While the flood goes on, the host answers a well-formed callback to
	// another session promptly: the whole flood (chaos.FloodCount copies),
	// or as much of it as 25s allow.
	hc := &http.Client{Timeout: 5 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	probe := soap.NewCallback(soap.ActionNotifyAsyncSchemaConversionStart, "", soap.NotifyStartBody(soap.FamilySchema)).Marshal()
	var worst time.Duration
	probes := 0
	floodStart := time.Now()
	deadline := floodStart.Add(25 * time.Second)
	for rig.chaos.Flooded() < chaos.FloodCount && time.Now().Before(deadline) {
		id, url := rig.host.NewSession()
		status, lat := post(hc, url, soap.ContentType(soap.ActionNotifyAsyncSchemaConversionStart), string(probe))
		probes++
		worst = max(worst, lat)
		if status != http.StatusAccepted || len(rig.host.Events(id)) != 1 {
			t.Fatalf("probe %d during the flood: status %d, %d events recorded", probes, status, len(rig.host.Events(id)))
		}
		rig.host.Forget(id)
		time.Sleep(20 * time.Millisecond)
	}
	rig.chaos.Calm() // stops the flood, if 25s were not enough
	flooded, late := rig.chaos.Flooded(), rig.host.LateDropped()
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("flood: %d of %d copies answered in %v; %d probes, slowest %v; %d dropped as late (session over), %d refused, %d strays; live heap %+d KiB",
		flooded, chaos.FloodCount, time.Since(floodStart).Round(time.Millisecond), probes, worst, late, rig.host.Refused(), len(rig.host.Stray()), grew>>10)
	if flooded < 4*maxEvents {
		t.Fatalf("the flood delivered only %d copies in 25s", flooded)
	}
	if worst > 3*time.Second {
		t.Errorf("the callback host took %v to answer a callback during the flood", worst)
	}
	if n := len(rig.host.Stray()); n > maxEvents {
		t.Errorf("%d stray events kept, MaxEvents is %d", n, maxEvents)
	}
	// Every copy is accounted for: recorded on the session (at most
	// MaxEvents), refused once it was full, dropped as late after it
	// ended, or kept as a stray; the first copy may race the session's
	// creation.
	refused := rig.host.Refused()
	if late == 0 || int64(late+refused+len(rig.host.Stray()))+maxEvents+1 < flooded {
		t.Errorf("%d copies answered but only %d counted as late, %d refused, %d strays: where did the rest go?",
			flooded, late, refused, len(rig.host.Stray()))
	}
	if grew > 8<<20 {
		t.Errorf("the live heap grew by %d KiB over a flood of %d copies", grew>>10, flooded)
	}
	if d, _, _ := rig.replay(t, soapNextSeq); d != nil {
		t.Errorf("next sequence after the flood: %s", d.Message())
	}
}

// TestSOAPUnknownSessionAfterStrayListFull: once the stray list is full
// (here after MaxEvents strays, as after a flood that outlived its
// session), a callback to an unknown session must still be reported.
func TestSOAPUnknownSessionAfterStrayListFull(t *testing.T) {
	const maxEvents = 16
	host := soaptest.StartHost(t, func(h *soap.CallbackHost) { h.MaxEvents = maxEvents })
	hc := &http.Client{Timeout: 5 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	for i := 0; i <= maxEvents; i++ {
		post(hc, host.BaseURL()+"/cb/"+chaos.UnknownSessionID, soap.ContentType(""), "<x/>")
	}
	if len(host.Stray()) != maxEvents || host.Dropped("") != 1 {
		t.Fatalf("stray list: %d kept, %d refused", len(host.Stray()), host.Dropped(""))
	}
	rig := newSOAPRig(t, chaos.MustParseMode(chaos.ModeCBUnknownSession+"@1"), host, nil)
	d, _, _ := rig.replay(t, soapConversionSeq)
	got := describe(d)
	want := "divergence [" + ipam.ClUnknownSession + "]: a callback to an unknown session path"
	if got != want {
		t.Errorf("reported %q, want %q", got, want)
	}
	if host.Dropped("") < 2 {
		t.Errorf("the unknown-session callback was kept (%d refused): the stray list was not full, the test proves nothing", host.Dropped(""))
	}
}

// TestSOAPIdleConnectionsDoNotStarveCallbacks: connections a SUT opened
// and left idle (keep-alive) must not keep the callback host from
// accepting the callbacks of the next session. MaxConns idle connections
// are opened, then a conversion runs.
func TestSOAPIdleConnectionsDoNotStarveCallbacks(t *testing.T) {
	const maxConns = 8
	rig := newSOAPRig(t, chaos.MustParseMode(chaos.ModeNone), nil, func(h *soap.CallbackHost) { h.MaxConns = maxConns })
	for i := 0; i < maxConns; i++ {
		c, err := net.Dial("tcp", rig.host.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.Write([]byte("POST /cb/" + chaos.UnknownSessionID + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		resp.Body.Close()
	}
	d, _, el := rig.replay(t, soapConversionSeq)
	if d != nil {
		t.Errorf("conversion with %d idle connections open: %s (after %v)", maxConns, d.Message(), el)
	}
}
