package vdisuite_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	_ "github.com/specgate/specgate/suites/harness"
	_ "github.com/specgate/specgate/suites/vdi"
)

// TestVDIConformance runs the VDI family alone:
//
//	go test ./suites/vdi/ -args -target "vdi:exec:./myshim" -profile strict
func TestVDIConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "VDI conformance")
}
