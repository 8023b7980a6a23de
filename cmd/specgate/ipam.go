package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/internal/coverage"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/nettcp/duplex"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/soap"
	"github.com/specgate/specgate/internal/target"
)

func addSOAPFlags(fs *flag.FlagSet, rf *runFlags) {
	fs.StringVar(&rf.control, "control", "", "IPAM: URL of the vendor control endpoint (docs/ipam-soap-binding.md §8); without it specgate only observes the ADM")
	fs.StringVar(&rf.callbackListen, "callback-listen", "127.0.0.1:0", "IPAM: address of the callback host the SUT posts callbacks to")
	fs.DurationVar(&rf.quiescence, "quiescence", 5*time.Second, "IPAM: how long to wait for an awaited callback before reporting silence")
	fs.DurationVar(&rf.settle, "settle", 10*time.Millisecond, "IPAM: longest wait after a sequence's last callback for late ones (shrink replays wait twice the adaptive window, at most this)")
	fs.DurationVar(&rf.settleMin, "settle-min", time.Millisecond, "IPAM: shortest such wait; in between, the window adapts to the server's callback gaps (set equal to --settle for a fixed window)")
	fs.IntVar(&rf.checkpoints, "checkpoints", 1, "IPAM: checkpoints per operation requested through the control endpoint")
	fs.StringVar(&rf.caCert, "ca-cert", "", "https targets: PEM file of the CA that signed the server certificate")
	fs.StringVar(&rf.clientCert, "client-cert", "", "https targets: PEM client certificate (with --client-key)")
	fs.StringVar(&rf.clientKey, "client-key", "", "https targets: PEM client key")
	fs.StringVar(&rf.via, "via", "", "net.tcp targets: the Via URI of the preamble, when it differs from the target URI (a:To)")
	fs.DurationVar(&rf.netTCPCloseWait, "nettcp-close-wait", 0, "net.tcp targets: after each connection's End record, wait up to this long for the server to close it, then 30 ms (Mono's WCF needs it, e.g. 2s); 0 closes at once")
	fs.StringVar(&rf.encoding, "encoding", "binary", "net.tcp targets: binary (0x08, MC-NBFSE, as NetTcpBinding) or text (0x03, SOAP 1.2 UTF-8)")
	fs.Var(&rf.shimEnv, "shim-env", "VDI exec targets: NAME=VALUE added to the shim child's environment (repeatable; values are never printed)")
	fs.StringVar(&rf.security, "security", "none", "net.tcp targets: none, or transport (MS-NNS NegotiateStream, as NetTcpBinding SecurityMode.Transport; the account comes from $"+AuthEnv+" or --auth-file as DOMAIN\\user:PASSWORD or user@REALM:PASSWORD)")
	fs.StringVar(&rf.authMech, "auth", "negotiate", "net.tcp --security transport: negotiate (SPNEGO), kerberos or ntlm")
	fs.StringVar(&rf.spn, "spn", "", "net.tcp --security transport: service principal name (default host/<target host>)")
	fs.StringVar(&rf.protection, "protection", "encryptandsign", "net.tcp --security transport: encryptandsign, sign or none")
	fs.StringVar(&rf.authFile, "auth-file", "", "file holding the target credential (\"Bearer TOKEN\", \"Basic B64\" or USER:PASSWORD); default $"+AuthEnv+"; never a flag value")
}

// openIPAM opens an IPAM management server: the embedded reference (with
// its control endpoint, one server per parallel sequence), or a vendor
// server at a soap: target.
func openIPAM(ctx context.Context, spec target.Spec, rf *runFlags) (*bound, error) {
	if rf.quiescence <= 0 || rf.checkpoints < 0 {
		return nil, usagef("--quiescence must be positive and --checkpoints not negative")
	}
	if rf.settleMin < 0 || rf.settleMin > rf.settle {
		return nil, usagef("--settle-min must be between 0 and --settle (%v), got %v", rf.settle, rf.settleMin)
	}
	if spec.Kind == "net.tcp" {
		return openNetTCP(ctx, spec, rf)
	}
	var refs []embeddedIPAM
	stop := func() {
		for _, r := range refs {
			r.stop()
		}
	}
	if spec.Kind == target.Embedded {
		for range max(1, rf.parallel) {
			r, err := startEmbeddedIPAM(rf)
			if err != nil {
				stop()
				return nil, err
			}
			refs = append(refs, r)
		}
	} else {
		refs = []embeddedIPAM{{url: spec.Addr, control: rf.control, stop: func() {}}}
	}
	host, err := soap.NewCallbackHost(rf.callbackListen, soap.Limits{})
	if err != nil {
		stop()
		return nil, usagef("callback host on %s: %v", rf.callbackListen, err)
	}
	if err := host.Start(); err != nil {
		stop()
		return nil, usagef("callback host: %v", err)
	}
	fail := func(err error) (*bound, error) {
		host.Close()
		stop()
		return nil, err
	}
	tcfg, err := tlsConfig(rf.caCert, rf.clientCert, rf.clientKey)
	if err != nil {
		return fail(usagef("%v", err))
	}
	client := &soap.Client{Timeout: rf.callTimeout, TLSConfig: tcfg, Header: authHeader(rf.auth)}
	cfgs := make([]runner.IPAMConfig, len(refs))
	for k, r := range refs {
		cfgs[k] = runner.IPAMConfig{
			Profile: rf.profile, URL: r.url, Control: r.control, Client: client, Host: host,
			Quiescence: rf.quiescence, Settle: rf.settle, SettleMin: rf.settleMin, Checkpoints: rf.checkpoints,
			ControlHTTP: controlClient(tcfg, rf.callTimeout), ControlHeader: authHeader(rf.auth),
		}
	}
	var (
		tgt  engine.Target
		cov  func() *coverage.Coverage
		warn func() []string
	)
	if len(cfgs) == 1 {
		t, err := runner.NewIPAMTarget(cfgs[0])
		if err != nil {
			return fail(usagef("%v", err))
		}
		tgt, cov, warn = t, t.Coverage, t.Warnings
	} else {
		p, err := runner.NewIPAMPool(cfgs)
		if err != nil {
			return fail(usagef("%v", err))
		}
		tgt, cov, warn = p, p.Coverage, p.Warnings
	}
	// Reachability check: one IsIpamConfigured call.
	url := refs[0].url
	pctx, cancel := context.WithTimeout(ctx, rf.callTimeout)
	defer cancel()
	if _, err := client.Call(pctx, url, soap.NewRequest(soap.ActionIsIpamConfigured, url, soap.WSAAnonymous, soap.IsIpamConfiguredBody())); err != nil {
		if _, isResp := err.(*soap.Fault); !isResp {
			return fail(&unreachableError{fmt.Errorf("target %s: %s", spec.Raw, rf.redactor.String(err.Error()))})
		}
	}
	return &bound{
		model:  runner.IPAMModel{Control: refs[0].control != ""},
		target: tgt,
		close: func() {
			client.CloseIdleConnections()
			host.Close()
			stop()
		},
		coverage: cov,
		warnings: warn,
	}, nil
}

// embeddedIPAM is one IPAM server: its SOAP URL, control URL and how to
// stop it.
type embeddedIPAM struct {
	url, control string
	stop         func()
}

// startEmbeddedIPAM starts one embedded reference server on loopback.
func startEmbeddedIPAM(rf *runFlags) (embeddedIPAM, error) {
	srv := ipamref.New(ipamref.Options{Profile: rf.profile, Checkpoints: rf.checkpoints})
	sctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- ipamref.ListenAndServe(sctx, "127.0.0.1:0", srv, func(a net.Addr) { ready <- a }) }()
	select {
	case a := <-ready:
		base := "http://" + a.String()
		return embeddedIPAM{url: base + ipamref.SOAPPath, control: base + ipamref.ControlPath,
			stop: func() { cancel(); srv.Close(); <-errc }}, nil
	case err := <-errc:
		cancel()
		return embeddedIPAM{}, fmt.Errorf("start the embedded IPAM reference: %w", err)
	}
}

func controlClient(tcfg *tls.Config, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{TLSClientConfig: tcfg, Proxy: nil}}
}

// openNetTCP opens an IPAM server over the spec's own transport: MC-NMF
// duplex sessions (one TCP connection per IPAM session, callbacks on the
// same connection).
func openNetTCP(ctx context.Context, spec target.Spec, rf *runFlags) (*bound, error) {
	enc := duplex.EncodingBinary
	switch rf.encoding {
	case "binary":
	case "text":
		enc = duplex.EncodingText
	default:
		return nil, usagef("--encoding must be binary or text, got %q", rf.encoding)
	}
	tcfg, err := tlsConfig(rf.caCert, rf.clientCert, rf.clientKey)
	if err != nil {
		return nil, usagef("%v", err)
	}
	dial, err := netTCPSecurity(rf, spec.Addr, enc)
	if err != nil {
		return nil, err
	}
	tr, err := duplex.New(duplex.Options{Endpoint: spec.Addr, Via: rf.via, Encoding: enc, Timeout: rf.callTimeout,
		CloseWait: rf.netTCPCloseWait, Dial: dial})
	if err != nil {
		return nil, usagef("target %s: %v", spec.Raw, err)
	}
	t, err := runner.NewIPAMTarget(runner.IPAMConfig{
		Profile: rf.profile, Control: rf.control, Transport: tr,
		Quiescence: rf.quiescence, Settle: rf.settle, SettleMin: rf.settleMin, Checkpoints: rf.checkpoints,
		ControlHTTP: controlClient(tcfg, rf.callTimeout), ControlHeader: authHeader(rf.auth),
	})
	if err != nil {
		tr.Close()
		return nil, usagef("%v", err)
	}
	pctx, cancel := context.WithTimeout(ctx, rf.callTimeout)
	defer cancel()
	if _, err := tr.Call(pctx, "", soap.NewRequest(soap.ActionIsIpamConfigured, spec.Addr, soap.WSAAnonymous, soap.IsIpamConfiguredBody())); err != nil {
		tr.Close()
		return nil, &unreachableError{fmt.Errorf("target %s: %s", spec.Raw, rf.redactor.String(err.Error()))}
	}
	return &bound{model: runner.IPAMModel{Control: rf.control != ""}, target: t,
		close: func() { tr.Close() }, coverage: t.Coverage, warnings: t.Warnings}, nil
}
