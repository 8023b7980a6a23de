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

// openVDI opens the VDI implementation a target names: the in-process
// reference for "embedded", a shim otherwise.
func openVDI(ctx context.Context, spec target.Spec, rf *runFlags) (*bound, error) {
	var drv vdiapi.VDI
	var wire *runner.WireLog
	if spec.Kind == target.Embedded {
		drv = vdiref.New(vdiref.Options{Profile: rf.profile})
	} else {
		wire = &runner.WireLog{}
		c, err := shim.Dial(ctx, spec.Kind+":"+spec.Addr, shim.Options{
			CallTimeout: rf.callTimeout,
			Transcript:  wire.Add,
		})
		if err != nil {
			return nil, &unreachableError{fmt.Errorf("target %s: %w", spec.Raw, err)}
		}
		drv = c
	}
	h, err := drv.Hello(ctx, rf.profile)
	if err != nil {
		drv.Shutdown()
		return nil, &unreachableError{fmt.Errorf("target %s: shim.hello: %w", spec.Raw, err)}
	}
	if h.Protocol != vdiapi.ProtocolVersion {
		drv.Shutdown()
		return nil, usagef("target %s speaks %q, specgate speaks %q", spec.Raw, h.Protocol, vdiapi.ProtocolVersion)
	}
	if err := drv.Reset(ctx, ""); err != nil {
		drv.Shutdown()
		return nil, &unreachableError{fmt.Errorf("target %s: shim.reset: %w", spec.Raw, err)}
	}
	t, err := runner.NewVDITarget(drv, rf.profile, wire)
	if err != nil {
		drv.Shutdown()
		return nil, usagef("%v", err)
	}
	return &bound{target: t, close: func() { drv.Shutdown() }, coverage: t.Coverage}, nil
}
