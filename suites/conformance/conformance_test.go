// Package conformance compiles every specgate suite into one binary:
//
//	make suites
//	bin/specgate-conformance -target vdi:tcp://127.0.0.1:7000 -profile strict \
//	    -ginkgo.junit-report=junit.xml -ginkgo.json-report=report.json
package conformance_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/specgate/specgate/suites/harness"
	_ "github.com/specgate/specgate/suites/ipam"
	_ "github.com/specgate/specgate/suites/vdi"
)

func TestConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	sc, rc := GinkgoConfiguration()
	noColor, err := harness.NoColor(rc.NoColor)
	if err != nil {
		t.Fatal(err)
	}
	rc.NoColor = noColor
	RunSpecs(t, "specgate conformance", sc, rc)
}
