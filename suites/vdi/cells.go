// Package vdisuite holds the Ginkgo specs of the VDI client state machine:
// one Entry per cell of the seed table in each profile, and property specs
// that run the engine's random sequences.
package vdisuite

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/vdi"
	"github.com/specgate/specgate/suites/harness"
)

var setCounter atomic.Int64

// fnAction is the call each function row makes (device 0).
var fnAction = map[vdi.Fn]models.Action{
	vdi.FnCreate:           {Op: vdi.OpCreateEx, Idx: -1, Arg: 1},
	vdi.FnGetConfiguration: {Op: vdi.OpGetConfiguration, Idx: -1},
	vdi.FnOpenDevice:       {Op: vdi.OpOpenDevice, Idx: 0},
	vdi.FnGetCommand:       {Op: vdi.OpGetCommand, Idx: 0},
	vdi.FnCompleteCommand:  {Op: vdi.OpCompleteCommand, Idx: 0},
	vdi.FnSignalAbort:      {Op: vdi.OpSignalAbort, Idx: -1},
	vdi.FnClose:            {Op: vdi.OpClose, Idx: -1},
}

// variant selects the situation a cell is checked in.
type variant int

const (
	plain variant = iota
	commandQueued
	closePending
)

// fixture drives one device set through the runner's session, the one
// place that compares what the SUT did with what the model allows; the
// suite asserts on its verdicts.
type fixture struct {
	s     engine.Session
	ctx   context.Context
	n     int
	steps []string
}

func newFixture(prof string) *fixture {
	ctx := context.Background()
	// A reference implementation emulates the profile it is told.
	_, err := harness.VDI.Hello(ctx, prof)
	Expect(err).NotTo(HaveOccurred(), "shim.hello")
	t, err := runner.NewVDITarget(harness.VDI, prof, nil)
	Expect(err).NotTo(HaveOccurred())
	s, err := t.NewSession(ctx, fmt.Sprintf("suite-%d-%d", GinkgoParallelProcess(), setCounter.Add(1)), false)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { s.Close(context.Background()) })
	return &fixture{s: s, ctx: ctx}
}

// do performs a through the session, asserts that the runner found it
// allowed, and returns the status, the state after it and the outcome
// taken.
func (f *fixture) do(a models.Action) (vdi.HR, vdi.State, int) {
	GinkgoHelper()
	d, executed := f.s.Step(f.ctx, f.n, a)
	f.n++
	Expect(executed).To(BeTrue(), "%v cannot be judged here", a)
	hr, st, k, _ := runner.VDIOutcome(f.s)
	f.steps = append(f.steps, fmt.Sprintf("%v -> %v", a, hr))
	if d != nil {
		Fail("after " + strings.Join(f.steps, "; ") + ": " + d.Message())
	}
	return hr, st, k
}

func goal(s vdi.State, v variant, a models.Action) func(*vdi.Model) bool {
	return func(m *vdi.Model) bool {
		if m.State != s || m.Expect(a).N == 0 {
			return false
		}
		q, c := m.Pending(0)
		switch v {
		case commandQueued:
			return q > 0
		case closePending:
			return c && q == 0
		}
		return true
	}
}

// seedOutcomes parses a seed table cell into "HR -> State" strings.
func seedOutcomes(cell string, cur vdi.State) []string {
	next := cur.String()
	codes := cell
	if i := strings.Index(cell, " -> "); i >= 0 {
		codes, next = cell[:i], cell[i+4:]
	}
	parts := strings.Split(codes, " or ")
	var out []string
	for i, p := range parts {
		n := cur.String()
		if i == len(parts)-1 {
			n = next
		}
		out = append(out, strings.TrimSpace(p)+" -> "+n)
	}
	return out
}

var _ = Describe("VDI client transitions", func() {
	BeforeEach(func() {
		if !harness.Wants("vdi") {
			Skip("not a VDI target")
		}
	})
	var entries []TableEntry
	for _, prof := range harness.Profiles() {
		for _, fn := range vdi.Fns {
			for _, st := range vdi.States {
				vs := []variant{plain}
				if st == vdi.Active && fn == vdi.FnGetCommand {
					vs = []variant{commandQueued, closePending}
				}
				for _, v := range vs {
					id := vdi.CellID(st, fn)
					name := fmt.Sprintf("%s [%s]", id, prof)
					if v == commandQueued {
						name += " with a command queued"
					} else if v == closePending {
						name += " with the device closed by the server"
					}
					labels := []string{"vdi", prof, harness.ClauseLabel(id)}
					// Also label the clause the profile cites for this call
					// here (a reference page where it departs from the table).
					p, _ := vdi.ParseProfile(prof)
					if path := vdi.ShortestPath(p, goal(st, v, fnAction[fn]), 10); path != nil {
						m := vdi.New(p)
						for _, a := range path {
							m.Assume(a)
						}
						e := m.Expect(fnAction[fn])
						if c := e.Clause(); c != id && c != "" {
							labels = append(labels, harness.ClauseLabel(c))
						}
					}
					entries = append(entries, Entry(name, Label(labels...), prof, st, fn, v))
				}
			}
		}
	}
	DescribeTable("a call in each state gives its status and next state",
		func(prof string, st vdi.State, fn vdi.Fn, v variant) {
			p, err := vdi.ParseProfile(prof)
			Expect(err).NotTo(HaveOccurred())
			a := fnAction[fn]
			path := vdi.ShortestPath(p, goal(st, v, a), 10)
			if path == nil {
				Skip(fmt.Sprintf("the %s profile does not judge %v in %v (see its ambiguities)", prof, a, st))
			}
			f := newFixture(prof)
			m := vdi.New(p)
			for _, step := range path {
				m.Assume(step)
				_, _, k := f.do(step)
				Expect(k).To(Equal(0), "set-up step %v took another allowed outcome than the path's", step)
			}
			e := m.Expect(a)
			hr, next, _ := f.do(a)
			if p == vdi.Strict && e.Clause() == vdi.CellID(st, fn) {
				// The strict profile is the seed table: the outcome taken must be one of the cell's.
				Expect(seedOutcomes(vdi.SeedTable[fn][st], st)).To(ContainElement(fmt.Sprintf("%v -> %v", hr, next)))
			}
			// Next states that only show on later calls are checked by the
			// property specs, which run random sequences.
			Expect(next).To(BeElementOf(vdi.States[:]))
		},
		entries)
})
