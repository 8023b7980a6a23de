// Package vdi_test is the Ginkgo conformance suite of the VDI client
// state machine. It runs against the embedded reference by default, or
// against any shim given with -target (like the CLI):
//
//	go test ./suites/vdi/ -args -target "vdi:exec:./myshim" -profile strict
//	bin/specgate-conformance -target vdi:tcp://127.0.0.1:7000 -ginkgo.label-filter=strict
package vdi_test

import (
	"context"
	"flag"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/shim"
	"github.com/specgate/specgate/internal/target"
	"github.com/specgate/specgate/internal/vdiapi"
)

var (
	targetFlag  = flag.String("target", "", "system under test: embedded (default), vdi:exec:'CMD' or vdi:tcp://HOST:PORT")
	profileFlag = flag.String("profile", "all", "profile to check: strict, documented or all")
)

func TestVDIConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "VDI conformance")
}

// drv is this Ginkgo process's connection to the SUT.
var drv vdiapi.VDI

// The target is parsed once, on process 1; every parallel process opens
// its own connection (an exec target starts one child per process).
var _ = SynchronizedBeforeSuite(func() []byte {
	spec, err := target.Parse(*targetFlag)
	Expect(err).NotTo(HaveOccurred())
	Expect(spec.Family == "" || spec.Family == target.FamilyVDI).To(BeTrue(), "not a VDI target: %s", spec.Raw)
	return []byte(spec.Raw)
}, func(raw []byte) {
	spec, err := target.Parse(string(raw))
	Expect(err).NotTo(HaveOccurred())
	if spec.Kind == target.Embedded {
		drv = vdiref.New(vdiref.Options{})
	} else {
		c, err := shim.Dial(context.Background(), spec.Kind+":"+spec.Addr, shim.Options{})
		Expect(err).NotTo(HaveOccurred(), "dial %s", spec.Raw)
		drv = c
	}
	DeferCleanup(func() { _ = drv.Shutdown() })
})

// label turns a clause id into a Ginkgo label (labels may not contain '/').
func label(clause string) string { return strings.ReplaceAll(clause, "/", ":") }

func profiles() []string {
	if *profileFlag == "all" || *profileFlag == "" {
		return []string{"strict", "documented"}
	}
	return []string{*profileFlag}
}
