package main

import (
	"context"
	"fmt"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/shim"
	"github.com/specgate/specgate/internal/target"
	"github.com/specgate/specgate/internal/vdiapi"
)

// openVDI opens the VDI implementation a target names: in-process
// reference instances for "embedded", shim clients otherwise; one per
// parallel sequence.
func openVDI(ctx context.Context, spec target.Spec, rf *runFlags) (*bound, error) {
	n := max(1, rf.parallel)
	var drivers []vdiapi.VDI
	var wires []*runner.WireLog
	var contradictions []string
	closeAll := func() {
		for _, d := range drivers {
			d.Shutdown()
		}
	}
	for k := 0; k < n; k++ {
		var drv vdiapi.VDI
		var wire *runner.WireLog
		if spec.Kind == target.Embedded {
			drv = vdiref.New(vdiref.Options{Profile: rf.profile})
		} else {
			wire = &runner.WireLog{}
			c, err := shim.Dial(ctx, spec.Kind+":"+spec.Addr, shim.Options{
				CallTimeout:  rf.callTimeout,
				StartTimeout: rf.startTimeout,
				Transcript:   wire.Add,
				Env:          rf.shimEnv,
			})
			if err != nil {
				closeAll()
				return nil, &unreachableError{fmt.Errorf("target %s: %w", spec.Raw, err)}
			}
			drv = c
		}
		drivers, wires = append(drivers, drv), append(wires, wire)
		h, err := drv.Hello(ctx, rf.profile)
		if err != nil {
			closeAll()
			return nil, &unreachableError{fmt.Errorf("target %s: shim.hello: %w", spec.Raw, err)}
		}
		if h.Protocol != vdiapi.ProtocolVersion {
			closeAll()
			return nil, usagef("target %s speaks %q, specgate speaks %q", spec.Raw, h.Protocol, vdiapi.ProtocolVersion)
		}
		if k == 0 {
			contradictions = rf.statements.checkHello(h)
			for _, c := range contradictions {
				fmt.Fprintf(rf.stderr, "specgate: %s\n", c)
			}
			if err := drv.Reset(ctx, ""); err != nil {
				closeAll()
				return nil, &unreachableError{fmt.Errorf("target %s: shim.reset: %w", spec.Raw, err)}
			}
			if !h.Capabilities.ConcurrentSets && spec.Kind == "tcp" && n > 1 {
				fmt.Fprintf(rf.stderr, "specgate: %s declares concurrentSets=false: running its sequences one at a time (--parallel 1)\n", spec.Raw)
				n = 1
			}
		}
	}
	t, err := runner.NewVDIPool(drivers, wires, rf.profile)
	if err != nil {
		closeAll()
		return nil, usagef("%v", err)
	}
	return &bound{target: t, close: closeAll, coverage: t.Coverage,
		warnings: func() []string { return contradictions }}, nil
}
