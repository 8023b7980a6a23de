// Package harness is the shared set-up of specgate's Ginkgo conformance
// suites: the -target and -profile flags (as the CLI takes them) and the
// one SynchronizedBeforeSuite that opens the system under test in every
// Ginkgo process, so the suites run correctly under `ginkgo -p`.
package harness

import (
	"context"
	"flag"
	"net"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/shim"
	"github.com/specgate/specgate/internal/soap"
	"github.com/specgate/specgate/internal/target"
	"github.com/specgate/specgate/internal/vdiapi"
)

var (
	targetFlag  = flag.String("target", "", "system under test: embedded (default), vdi:exec:'CMD', vdi:tcp://HOST:PORT or soap:http://HOST:PORT/PATH")
	profileFlag = flag.String("profile", "all", "profile to check: strict, documented or all")
	controlFlag = flag.String("control", "", "IPAM: URL of the vendor control endpoint (optional, as for specgate run: without it the clause specs, which reset the server through it, are skipped and the property specs only observe the ADM)")
	checksFlag  = flag.Int("property-checks", 500, "random sequences per property spec")
)

// PropertyChecks is the number of random sequences a property spec runs.
func PropertyChecks() int { return *checksFlag }

// Spec is the parsed target, set in every process before the specs run.
var Spec target.Spec

// VDI is this process's connection to a VDI SUT, nil when the target is
// not a VDI target.
var VDI vdiapi.VDI

// Control is the IPAM control endpoint flag.
func Control() string { return *controlFlag }

// HasControl reports whether the IPAM target has a control endpoint: the
// embedded reference always does, a vendor server when -control is given.
func HasControl() bool { return Spec.Kind == target.Embedded || *controlFlag != "" }

// Profiles returns the profiles selected with -profile.
func Profiles() []string {
	if *profileFlag == "all" || *profileFlag == "" {
		return []string{"strict", "documented"}
	}
	return []string{*profileFlag}
}

// ClauseLabel turns a clause id into a Ginkgo label (labels may not contain '/').
func ClauseLabel(clause string) string { return strings.ReplaceAll(clause, "/", ":") }

// Wants reports whether the target can run a family's specs.
func Wants(family string) bool { return Spec.Family == "" || Spec.Family == family }

var _ = SynchronizedBeforeSuite(func() []byte {
	spec, err := target.Parse(*targetFlag)
	Expect(err).NotTo(HaveOccurred())
	return []byte(spec.Raw)
}, func(raw []byte) {
	var err error
	Spec, err = target.Parse(string(raw))
	Expect(err).NotTo(HaveOccurred())
	switch {
	case Spec.Kind == target.Embedded:
		VDI = vdiref.New(vdiref.Options{})
	case Spec.Family == target.FamilyVDI:
		c, err := shim.Dial(context.Background(), Spec.Kind+":"+Spec.Addr, shim.Options{})
		Expect(err).NotTo(HaveOccurred(), "dial %s", Spec.Raw)
		VDI = c
	}
	if VDI != nil {
		DeferCleanup(func() { _ = VDI.Shutdown() })
	}
	if Wants(target.FamilySOAP) {
		for _, p := range Profiles() {
			openIPAM(p)
		}
	}
})

var (
	ipamMu      sync.Mutex
	ipamTargets = map[string]*runner.IPAMTarget{}
)

// IPAM returns this process's IPAM target for a profile, opened before
// the suite ran.
func IPAM(profile string) *runner.IPAMTarget {
	GinkgoHelper()
	ipamMu.Lock()
	defer ipamMu.Unlock()
	t, ok := ipamTargets[profile]
	Expect(ok).To(BeTrue(), "no IPAM target for profile %s", profile)
	return t
}

// openIPAM opens the IPAM target of a profile: the embedded reference
// server started in this process (one per profile), or the soap: target
// with the -control endpoint. Every session resets the server through the
// control endpoint, which the clause specs need. Called from the
// SynchronizedBeforeSuite, so the servers live for the whole suite.
func openIPAM(profile string) {
	url, control := Spec.Addr, *controlFlag
	if Spec.Kind == target.Embedded {
		srv := ipamref.New(ipamref.Options{Profile: profile})
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan net.Addr, 1)
		go func() { _ = ipamref.ListenAndServe(ctx, "127.0.0.1:0", srv, func(a net.Addr) { ready <- a }) }()
		a := <-ready
		DeferCleanup(func() { cancel(); srv.Close() })
		url, control = "http://"+a.String()+"/ipam", "http://"+a.String()+"/control"
	}
	host, err := soap.NewCallbackHost("127.0.0.1:0", soap.Limits{})
	Expect(err).NotTo(HaveOccurred())
	Expect(host.Start()).To(Succeed())
	DeferCleanup(func() { host.Close() })
	t, err := runner.NewIPAMTarget(runner.IPAMConfig{Profile: profile, URL: url, Control: control,
		Client: &soap.Client{Timeout: 5 * time.Second}, Host: host, Quiescence: 3 * time.Second, Checkpoints: 1})
	Expect(err).NotTo(HaveOccurred())
	ipamMu.Lock()
	ipamTargets[profile] = t
	ipamMu.Unlock()
}
