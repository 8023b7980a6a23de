package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/specgate/specgate/internal/coverage"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/failfile"
)

// printer writes the terminal output of a run in h2spec style.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func newPrinter(w io.Writer) *printer { return &printer{w: w} }

func (p *printer) failure(f *failfile.File, path string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := f.Divergence
	fmt.Fprintf(p.w, "\n  x %s/%s  %s  [%s]\n", f.Model, f.Profile, d.Kind, d.Clause)
	fmt.Fprintf(p.w, "      At:       step %d, %s in state cell %s\n", d.Step+1, d.Action, d.Cell)
	fmt.Fprintf(p.w, "      Expected: %s\n", strings.Join(d.Expected, " | "))
	actual := d.Observed
	if d.Detail != "" {
		actual += " (" + d.Detail + ")"
	}
	fmt.Fprintf(p.w, "      Actual:   %s\n", actual)
	fmt.Fprintf(p.w, "      Sequence: %d steps (shrunk from %d)\n", len(f.Steps), f.OriginalLength)
	for i, s := range f.Steps {
		fmt.Fprintf(p.w, "        %2d. %s\n", i+1, s)
	}
	if len(f.Transcript) > 0 {
		fmt.Fprintf(p.w, "      Wire:\n")
		for _, l := range f.Transcript {
			fmt.Fprintf(p.w, "        %s\n", l)
		}
	}
	if path != "" {
		fmt.Fprintf(p.w, "      Saved:    %s\n", path)
	}
	fmt.Fprintf(p.w, "      Replay:   %s\n", f.Replay)
}

func (p *printer) modelSummary(model, profile string, res engine.Result, cov *coverage.Coverage, dt time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	verdict := "PASS"
	if len(res.Failures) > 0 {
		verdict = "FAIL"
	}
	rate := 0.0
	if s := dt.Seconds(); s > 0 {
		rate = float64(res.Steps) / s
	}
	fmt.Fprintf(p.w, "%s/%s: %d checks, %d steps (%.0f steps/s), %d divergences, cell coverage %.0f%%  %s\n",
		model, profile, res.Checks, res.Steps, rate, len(res.Failures), 100*cov.CellRatio(), verdict)
}
