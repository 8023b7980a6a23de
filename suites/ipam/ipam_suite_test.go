package ipamsuite_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	_ "github.com/specgate/specgate/suites/harness"
	_ "github.com/specgate/specgate/suites/ipam"
)

// TestIPAMConformance runs the IPAM family alone:
//
//	go test ./suites/ipam/ -args -target soap:http://HOST:PORT/ipam -control http://HOST:PORT/control
func TestIPAMConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "IPAM conformance")
}
