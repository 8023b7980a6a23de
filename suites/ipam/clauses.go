// Package ipamsuite holds the Ginkgo specs of the MS-IPAMM2 asynchronous
// schema conversion and provisioning machines: one Entry per clause (the
// callback order of 3.17.1.1/3.13.1.1, each processing step of 3.15.4.7 and
// 3.11.4.7, the pre-operation gate 3.1.4.2, the IIpamServer queries) in each
// profile, and property specs that run the engine's random sequences.
package ipamsuite

import (
	"context"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/ipam"
	"github.com/specgate/specgate/suites/harness"
)

var _ = Describe("IPAM clauses", func() {
	BeforeEach(func() {
		if !harness.Wants("soap") {
			Skip("not an IPAM target")
		}
		if !harness.HasControl() {
			Skip("the clause specs set the server up through its control endpoint: give -control URL")
		}
	})
	var entries []TableEntry
	for _, prof := range harness.Profiles() {
		p, _ := ipam.ParseProfile(prof)
		for _, c := range ipam.Info().Clauses {
			path := ipam.ShortestPathTo(p, c.ID, 8)
			if path == nil {
				continue // clauses only a divergence can show (quiescence, late callbacks, ...)
			}
			entries = append(entries, Entry(fmt.Sprintf("%s [%s]: %s", c.ID, prof, c.Text),
				Label("ipam", prof, harness.ClauseLabel(c.ID)), prof, c.ID, path))
		}
	}
	DescribeTable("each clause, set up through the model's shortest path",
		func(ctx SpecContext, prof, clause string, path []models.Action) {
			t := harness.IPAM(prof)
			s, err := t.NewSession(ctx, "spec", false)
			Expect(err).NotTo(HaveOccurred())
			defer s.Close(context.WithoutCancel(ctx))
			var done []string
			for i, a := range path {
				d, executed := s.Step(ctx, i, a)
				done = append(done, a.String())
				Expect(executed).To(BeTrue(), "%v was not judgeable after %s", a, strings.Join(done, ", "))
				if d != nil {
					Fail(fmt.Sprintf("after %s: %s\nwire:\n  %s", strings.Join(done, ", "), d.Message(), strings.Join(s.Transcript(), "\n  ")))
				}
			}
			Expect(s.(interface{ Exercised() []string }).Exercised()).To(ContainElement(clause),
				"the last step did not exercise the clause")
			if f, ok := s.(engine.Finisher); ok {
				d := f.Finish(ctx, len(path))
				Expect(d).To(BeNil(), "late callbacks after the last step")
			}
		},
		entries)
})

var _ = Describe("IPAM random multi-session sequences", func() {
	BeforeEach(func() {
		if !harness.Wants("soap") {
			Skip("not an IPAM target")
		}
	})
	for _, prof := range harness.Profiles() {
		prof := prof
		It(fmt.Sprintf("conform to the model [%s]", prof), Label("ipam", prof, "property"), func(ctx SpecContext) {
			var failures []engine.Failure
			eng, err := engine.New(runner.IPAMModel{Control: harness.HasControl()}, harness.IPAM(prof), engine.Config{
				Model: "ipam", Profile: prof, Seed: uint64(GinkgoRandomSeed()) | 1, Checks: 40, Steps: 20, MaxFailures: 2,
				OnFailure: func(f engine.Failure) { failures = append(failures, f) },
			})
			Expect(err).NotTo(HaveOccurred())
			_, err = eng.Run(context.WithoutCancel(ctx))
			Expect(err).NotTo(HaveOccurred())
			for _, f := range failures {
				var steps []string
				for _, a := range f.Sequence {
					steps = append(steps, a.String())
				}
				AddReportEntry("minimal sequence ["+f.Divergence.Clause+"]", strings.Join(steps, "\n"))
			}
			if len(failures) > 0 {
				AddReportEntry("replay", harness.ReplayHint("ipam", prof))
			}
			Expect(failures).To(BeEmpty(), "%v", failures)
		})
	}
})
