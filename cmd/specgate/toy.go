package main

import (
	"context"

	"github.com/specgate/specgate/fixtures/toyref"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/target"
	"github.com/specgate/specgate/models/toy"
)

// openToy binds the toy model (docs/architecture.md's worked example) to
// its in-process reference; it has no wire target.
func openToy(_ context.Context, spec target.Spec, rf *runFlags) (*bound, error) {
	if spec.Kind != target.Embedded {
		return nil, usagef("model toy runs only on the embedded reference")
	}
	srv, err := toyref.New("")
	if err != nil {
		return nil, usagef("%v", err)
	}
	t, err := runner.NewTableTarget(toy.Table, rf.profile, srv)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return &bound{target: t, close: func() {}, coverage: t.Coverage}, nil
}
