// Package checker is specgate's public checker API: it replays an action
// sequence of a model against a target, with the judgement specgate's own
// runner makes, and says where the target diverged. A vendor's CI calls it
// from a Go test (see `specgate export --format go-test`).
//
// Only the VDI model is supported so far: targets "embedded" (the bundled
// reference), "vdi:exec:CMD ARGS" and "vdi:tcp://HOST:PORT".
package checker

import (
	"context"
	"errors"
	"fmt"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/shim"
	"github.com/specgate/specgate/internal/target"
	"github.com/specgate/specgate/internal/vdiapi"
	"github.com/specgate/specgate/models"
)

// Divergence is the first step at which the target did something the
// model does not allow (or crashed, hung or answered garbage).
type Divergence struct {
	// Kind is "divergence", "crash", "hang", "malformed" or "unreachable".
	Kind   string
	Clause string
	Cell   string
	// Step is the 1-based number of the failing step.
	Step     int
	Action   string
	Expected []string
	Observed string
	Detail   string
	// Message is the whole divergence in one line, as specgate prints it.
	Message string
}

// Result is the outcome of a replay.
type Result struct {
	// Divergence is nil when the target conforms on the sequence.
	Divergence *Divergence
	// Transcript holds the wire lines of the failing step.
	Transcript []string
}

// ErrUnsupported is returned for a model or target kind the checker
// cannot drive yet.
var ErrUnsupported = errors.New("checker: unsupported")

// Options tune Replay; the zero value uses specgate's defaults.
type Options struct {
	// ShimEnv holds extra "KEY=value" entries for a vdi:exec: child.
	ShimEnv []string
}

// Replay runs steps of model (only "vdi" so far) under profile ("strict"
// or "documented") against target and returns the first divergence. An
// error means the replay could not be made (bad arguments, the target
// could not be started or reached), not that the target diverged.
func Replay(ctx context.Context, tgt, model, profile string, steps []models.Action) (Result, error) {
	return ReplayWith(ctx, tgt, model, profile, steps, Options{})
}

// ReplayWith is Replay with options.
func ReplayWith(ctx context.Context, tgt, model, profile string, steps []models.Action, opts Options) (Result, error) {
	if model != "vdi" {
		return Result{}, fmt.Errorf("%w: model %q (only vdi)", ErrUnsupported, model)
	}
	if len(steps) == 0 {
		return Result{}, errors.New("checker: no steps")
	}
	spec, err := target.Parse(tgt)
	if err != nil {
		return Result{}, fmt.Errorf("checker: %w", err)
	}
	drv, wire, err := openVDI(ctx, spec, profile, opts)
	if err != nil {
		return Result{}, err
	}
	defer drv.Shutdown()
	t, err := runner.NewVDITarget(drv, profile, wire)
	if err != nil {
		return Result{}, fmt.Errorf("checker: %w", err)
	}
	d, transcript, err := engine.ReplaySteps(ctx, t, steps, nil)
	if err != nil {
		return Result{}, fmt.Errorf("checker: replay: %w", err)
	}
	if d == nil {
		return Result{}, nil
	}
	return Result{Divergence: &Divergence{Kind: d.Kind, Clause: d.Clause, Cell: d.Cell, Step: d.Step,
		Action: d.Action, Expected: d.Expected, Observed: d.Observed, Detail: d.Detail,
		Message: d.Message()}, Transcript: transcript}, nil
}

// openVDI starts or connects to the VDI target and sends what specgate
// sends first: shim.hello with the profile, then shim.reset of every set.
func openVDI(ctx context.Context, spec target.Spec, profile string, opts Options) (vdiapi.VDI, *runner.WireLog, error) {
	var drv vdiapi.VDI
	var wire *runner.WireLog
	switch spec.Kind {
	case target.Embedded:
		drv = vdiref.New(vdiref.Options{Profile: profile})
	case "exec", "tcp":
		if spec.Family != target.FamilyVDI {
			return nil, nil, fmt.Errorf("%w: target %s", ErrUnsupported, spec.Raw)
		}
		wire = &runner.WireLog{}
		c, err := shim.Dial(ctx, spec.Kind+":"+spec.Addr, shim.Options{Transcript: wire.Add, Env: opts.ShimEnv})
		if err != nil {
			return nil, nil, fmt.Errorf("checker: target %s: %w", spec.Raw, err)
		}
		drv = c
	default:
		return nil, nil, fmt.Errorf("%w: target %s (only vdi targets)", ErrUnsupported, spec.Raw)
	}
	h, err := drv.Hello(ctx, profile)
	if err == nil && h.Protocol != vdiapi.ProtocolVersion {
		err = fmt.Errorf("speaks %q, specgate speaks %q", h.Protocol, vdiapi.ProtocolVersion)
	}
	if err == nil {
		err = drv.Reset(ctx, "")
	}
	if err != nil {
		drv.Shutdown()
		return nil, nil, fmt.Errorf("checker: target %s: %w", spec.Raw, err)
	}
	return drv, wire, nil
}
