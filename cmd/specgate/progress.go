package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/specgate/specgate/internal/report"
)

// progress shows a run's progress: a bar redrawn in place on a TTY, plain
// lines every few seconds otherwise (CI logs).
type progress struct {
	mu                           sync.Mutex
	w                            io.Writer
	model                        string
	total, checks, steps, failed int
	start, last                  time.Time
	bar, off                     bool
}

func newProgress(w io.Writer, model string, total int, mode string) *progress {
	p := &progress{w: w, model: model, total: total, start: time.Now(), last: time.Now()}
	isTTY := false
	if f, ok := w.(*os.File); ok {
		isTTY = report.IsTerminal(f)
	}
	switch mode {
	case "none":
		p.off = true
	case "bar":
		p.bar = true
	case "auto":
		p.bar = isTTY
	}
	return p
}

func (p *progress) check(_, steps int) {
	if p.off {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checks++
	p.steps += steps
	now := time.Now()
	interval := 5 * time.Second
	if p.bar {
		interval = 100 * time.Millisecond
	}
	if now.Sub(p.last) < interval && p.checks != p.total {
		return
	}
	p.last = now
	p.draw(now)
}

func (p *progress) failure() {
	p.mu.Lock()
	p.failed++
	p.mu.Unlock()
}

func (p *progress) draw(now time.Time) {
	el := now.Sub(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(p.steps) / el
	}
	eta := "?"
	if p.checks > 0 {
		eta = (time.Duration(el/float64(p.checks)*float64(p.total-p.checks)) * time.Second).Round(time.Second).String()
	}
	if !p.bar {
		fmt.Fprintf(p.w, "progress %s: %d/%d checks, %.0f steps/s, %d divergences, ETA %s\n", p.model, p.checks, p.total, rate, p.failed, eta)
		return
	}
	const width = 30
	done := width * p.checks / max(1, p.total)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < done {
			bar[i] = '#'
		}
	}
	fmt.Fprintf(p.w, "\r%s [%s] %d/%d checks  %.0f steps/s  %d divergences  ETA %s   ", p.model, bar, p.checks, p.total, rate, p.failed, eta)
}

func (p *progress) done() {
	if p.off {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar {
		fmt.Fprintln(p.w)
	}
}
