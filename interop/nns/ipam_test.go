package nnsinterop

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/fixtures/ipamtcp"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/nettcp/duplex"
	"github.com/specgate/specgate/internal/nettcp/nns"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/spnego"
	"github.com/specgate/specgate/models"
)

// serveIPAM starts the project's net.tcp IPAM reference (plain MC-NMF,
// no security) until the test ends.
func serveIPAM(t testing.TB, opts ipamtcp.Options) ipamtcp.Info {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	infoc := make(chan ipamtcp.Info, 1)
	done := make(chan error, 1)
	go func() { done <- ipamtcp.ListenAndServe(ctx, "", opts, func(i ipamtcp.Info) { infoc <- i }) }()
	select {
	case info := <-infoc:
		t.Cleanup(func() { cancel(); <-done })
		return info
	case err := <-done:
		cancel()
		t.Fatalf("ipamtcp: %v", err)
	}
	return ipamtcp.Info{}
}

func runnerTarget(info ipamtcp.Info, tr *duplex.Transport) (*runner.IPAMTarget, error) {
	return runner.NewIPAMTarget(runner.IPAMConfig{Profile: models.ProfileDocumented, Control: info.Control, Transport: tr,
		Quiescence: time.Second, Settle: 30 * time.Millisecond, Checkpoints: 1})
}

func ipamModel() runner.IPAMModel { return runner.IPAMModel{Control: true} }

// runIPAMThroughPeer runs the IPAM model through specgate's NNS client
// (SPNEGO-NTLM, EncryptAndSign), the GSSAPI peer and, behind it, the
// reference (or a mutant). It returns the engine's result and the peer's
// per-connection summaries.
func runIPAMThroughPeer(t *testing.T, ref ipamref.Options, checks int) (engine.Result, []summary) {
	t.Helper()
	requirePeer(t)
	return runIPAMThroughPeerWith(t, ref, checks, nil, func() nns.SecurityContext { return spnegoContext(password, nns.EncryptAndSign) })
}

func runIPAMThroughPeerWith(t *testing.T, ref ipamref.Options, checks int, env []string, newCtx func() nns.SecurityContext) (engine.Result, []summary) {
	t.Helper()
	info := serveIPAM(t, ipamtcp.Options{Ref: ref})
	p := startPeerEnv(t, env, "--mech", "spnego", "--require", "EncryptAndSign", "--forever", "--backend", info.Addr.String())
	u, err := url.Parse(info.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	peerVia := "net.tcp://" + p.addr + u.Path
	d := &nns.Dialer{
		Via: peerVia, Encoding: duplex.EncodingBinary,
		NewContext: func() (nns.SecurityContext, error) { return newCtx(), nil },
		Config:     level(nns.EncryptAndSign),
	}
	tr, err := duplex.New(duplex.Options{Endpoint: info.Endpoint, Via: peerVia, Encoding: duplex.EncodingBinary, Timeout: 10 * time.Second, Dial: d.DialContext})
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := runner.NewIPAMTarget(runner.IPAMConfig{Profile: ref.Profile, Control: info.Control, Transport: tr,
		Quiescence: time.Second, Settle: 30 * time.Millisecond, Checkpoints: 1})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(runner.IPAMModel{Control: true}, tgt, engine.Config{
		Model: "ipam", Profile: ref.Profile, Seed: 0x5eed, Checks: checks, Steps: 12, MaxFailures: 1, ShrinkTime: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_ = tr.Close()
	p.mu.Lock()
	logText := p.log.String()
	p.mu.Unlock()
	var sums []summary
	for _, line := range strings.Split(logText, "\n") {
		if j, ok := strings.CutPrefix(line, "nns-peer: SUMMARY "); ok {
			var s summary
			if err := json.Unmarshal([]byte(j), &s); err != nil {
				t.Fatalf("peer summary %q: %v", j, err)
			}
			sums = append(sums, s)
		}
	}
	return res, sums
}

// TestIPAMModelPassesThroughGSSAPI: specgate's IPAM model over net.tcp
// with Windows transport security (SPNEGO-NTLM, EncryptAndSign), every
// frame unwrapped by the real GSSAPI stack, passes against the reference.
func TestIPAMModelPassesThroughGSSAPI(t *testing.T) {
	checks := 20
	if testing.Short() {
		checks = 5
	}
	res, sums := runIPAMThroughPeer(t, ipamref.Options{Profile: models.ProfileDocumented}, checks)
	checkIPAMRun(t, res, sums, checks)
}

// TestIPAMModelPassesOverKerberosThroughGSSAPI: the same over
// SPNEGO-Kerberos (a ticket from the loopback KDC per session).
func TestIPAMModelPassesOverKerberosThroughGSSAPI(t *testing.T) {
	requirePeer(t)
	k := startKDC(t)
	checks := 10
	res, sums := runIPAMThroughPeerWith(t, ipamref.Options{Profile: models.ProfileDocumented}, checks, k.peerEnv(),
		func() nns.SecurityContext { return spnego.NewInitiator(spnego.OIDKerberos, krbContext(k, password)) })
	checkIPAMRun(t, res, sums, checks)
	for _, s := range sums {
		if s.Initiator != "alice@TEST.LOCAL" {
			t.Fatalf("peer saw %q", s.Initiator)
		}
	}
}

func checkIPAMRun(t *testing.T, res engine.Result, sums []summary, checks int) {
	t.Helper()
	t.Logf("%d sessions, %d steps; the peer summarised %d connections", res.Checks, res.Steps, len(sums))
	for _, f := range res.Failures {
		t.Errorf("divergence: %s\n%s", f.Divergence.Message(), strings.Join(f.Transcript, "\n"))
	}
	if res.Checks != checks {
		t.Errorf("ran %d of %d checks", res.Checks, checks)
	}
	if len(sums) == 0 {
		t.Fatal("the peer summarised no connection")
	}
	// Every connection authenticated with confidentiality and no frame
	// failed verification. A connection the client closes right after its
	// End record can end in a reset on the peer's side (duplex closes
	// without waiting, as WCF's client does); that is not a failure.
	for i, s := range sums {
		if !s.Confidentiality || s.Handshake != "ok" {
			t.Errorf("peer connection %d: %+v", i, s)
		}
		for _, e := range s.Errors {
			if strings.Contains(e, "gss_") || strings.Contains(e, "not encrypted") || strings.Contains(e, "unexpected record") {
				t.Errorf("peer connection %d: %s", i, e)
			}
		}
	}
}

// TestIPAMBrokenCaughtThroughGSSAPI: the same path catches a broken
// server (the wrong-action mutant of the reference).
func TestIPAMBrokenCaughtThroughGSSAPI(t *testing.T) {
	mi, ok := ipamref.LookupMutant("wrong-action")
	if !ok {
		t.Fatal("no mutant wrong-action")
	}
	res, _ := runIPAMThroughPeer(t, ipamref.Options{Profile: mi.Profiles[len(mi.Profiles)-1], Mutant: "wrong-action"}, 50)
	if len(res.Failures) == 0 {
		t.Fatalf("wrong-action not caught in %d sessions", res.Checks)
	}
	t.Logf("caught: %s", res.Failures[0].Divergence.Message())
}
