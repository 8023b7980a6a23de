package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/specgate/specgate/internal/coverage"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/target"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/toy"
)

// modelBinding ties a model to the target family that can run it.
type modelBinding struct {
	name   string
	family string
	model  engine.Model
	open   func(ctx context.Context, spec target.Spec, rf *runFlags) (*bound, error)
	// hidden models run only when named (--model NAME), never in "all".
	hidden bool
}

// bound is a model's engine target on an opened SUT.
type bound struct {
	model    engine.Model // overrides the binding's model when set
	target   engine.Target
	close    func()
	coverage func() *coverage.Coverage
	// warnings, when set, returns run-level findings that are not
	// divergences; it is read before close.
	warnings func() []string
}

var registry = []modelBinding{
	{name: "vdi", family: target.FamilyVDI, model: runner.VDIModel{}, open: openVDI},
	{name: "ipam", family: target.FamilySOAP, model: runner.IPAMModel{Control: true}, open: openIPAM},
	{name: "toy", family: "toy", model: runner.TableModel{T: toy.Table}, open: openToy, hidden: true},
}

func modelNames() []string {
	var out []string
	for _, m := range registry {
		if !m.hidden {
			out = append(out, m.name)
		}
	}
	return out
}

// selectModels resolves --model against the target's family.
func selectModels(name string, spec target.Spec) ([]modelBinding, error) {
	var out []modelBinding
	for _, m := range registry {
		if name == "all" && m.hidden || name != "all" && m.name != name {
			continue
		}
		if spec.Family != "" && m.family != spec.Family {
			if name != "all" {
				return nil, usagef("model %q cannot run on target %q (a %s target)", name, spec.Raw, spec.Family)
			}
			continue
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		if name != "all" {
			return nil, usagef("unknown model %q (known: %s)", name, strings.Join(modelNames(), ", "))
		}
		return nil, usagef("no model runs on target %q", spec.Raw)
	}
	return out, nil
}

func validAction(model string, a models.Action) error {
	for _, m := range registry {
		if m.name != model {
			continue
		}
		for _, b := range m.model.Alphabet() {
			if a == b {
				return nil
			}
		}
		return fmt.Errorf("action %s is not part of model %s", a, model)
	}
	return fmt.Errorf("unknown model %q", model)
}

func newLogger(w io.Writer, verbose bool) *slog.Logger {
	if !verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
