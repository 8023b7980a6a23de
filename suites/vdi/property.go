package vdisuite

import (
	"context"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/suites/harness"
)

// The property specs run the engine's random sequences inside Ginkgo. The
// engine gives rapid its own collecting TB (never GinkgoT(), whose Fail
// panics and loses rapid's minimal sequence); a failure is reported once,
// with the minimal sequence and the replay command as report entries.
var _ = Describe("VDI random sequences", func() {
	BeforeEach(func() {
		if !harness.Wants("vdi") {
			Skip("not a VDI target")
		}
	})
	for _, prof := range harness.Profiles() {
		prof := prof
		It(fmt.Sprintf("conform to the model [%s]", prof), Label("vdi", prof, "property"), func(ctx SpecContext) {
			_, err := harness.VDI.Hello(ctx, prof)
			Expect(err).NotTo(HaveOccurred())
			tg, err := runner.NewVDITarget(harness.VDI, prof, nil)
			Expect(err).NotTo(HaveOccurred())
			var failures []engine.Failure
			eng, err := engine.New(runner.VDIModel{}, tg, engine.Config{
				Model: "vdi", Profile: prof, Seed: uint64(GinkgoRandomSeed()) | 1, Checks: harness.PropertyChecks(), Steps: 30,
				MaxFailures: 3, OnFailure: func(f engine.Failure) { failures = append(failures, f) },
			})
			Expect(err).NotTo(HaveOccurred())
			res, err := eng.Run(context.WithoutCancel(ctx))
			Expect(err).NotTo(HaveOccurred())
			for _, f := range failures {
				AddReportEntry("minimal sequence ["+f.Divergence.Clause+"]", strings.Join(steps(f), "\n"))
			}
			if len(failures) > 0 {
				AddReportEntry("replay", harness.ReplayHint("vdi", prof))
			}
			Expect(failures).To(BeEmpty(), "%s", describe(failures))
			Expect(res.Checks).To(Equal(harness.PropertyChecks()))
		})
	}
})

func steps(f engine.Failure) []string {
	var out []string
	for i, a := range f.Sequence {
		out = append(out, fmt.Sprintf("%2d. %s", i+1, a))
	}
	return out
}

func describe(fs []engine.Failure) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Divergence.Message())
		b.WriteString("\n  minimal sequence: ")
		b.WriteString(strings.Join(steps(f), "; "))
		b.WriteString("\n")
	}
	return b.String()
}
