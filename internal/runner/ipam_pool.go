package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/specgate/specgate/internal/coverage"
	"github.com/specgate/specgate/internal/engine"
)

// IPAMPool spreads sessions over several IPAM targets, each on its own
// management server. The ADM is global to a server, so one server runs
// one session at a time; the embedded reference starts one server per
// parallel sequence and pools them. Every session begins with a control
// reset, so which server a sequence lands on does not change its result.
type IPAMPool struct {
	ts   []*IPAMTarget
	free chan int
}

// NewIPAMPool prepares one target per configuration; they share one
// coverage counter and one callback-gap estimator.
func NewIPAMPool(cfgs []IPAMConfig) (*IPAMPool, error) {
	if len(cfgs) == 0 {
		return nil, errors.New("an IPAM pool needs at least one server")
	}
	p := &IPAMPool{free: make(chan int, len(cfgs))}
	for k, cfg := range cfgs {
		if cfg.Control == "" {
			return nil, fmt.Errorf("pooled IPAM server %d: a pool needs the control endpoint to reset each server", k)
		}
		t, err := NewIPAMTarget(cfg)
		if err != nil {
			return nil, fmt.Errorf("pooled IPAM server %d: %w", k, err)
		}
		if k > 0 {
			t.cov, t.gaps, t.quiet = p.ts[0].cov, p.ts[0].gaps, p.ts[0].quiet
		}
		p.ts = append(p.ts, t)
		p.free <- k
	}
	return p, nil
}

// NewSession opens a session on a free server, waiting for one.
func (p *IPAMPool) NewSession(ctx context.Context, name string, record bool) (engine.Session, error) {
	var k int
	select {
	case k = <-p.free:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s, err := p.ts[k].newSession(ctx, record)
	if err != nil {
		p.free <- k
		return nil, fmt.Errorf("pooled IPAM server %d: %w", k, err)
	}
	s.done = func() { p.free <- k }
	return s, nil
}

// Warnings returns the run-level findings of every server (the servers
// share one callback host, so its late count is read once).
func (p *IPAMPool) Warnings() []string { return p.ts[0].Warnings() }

// Coverage returns the coverage counted so far over every server.
func (p *IPAMPool) Coverage() *coverage.Coverage { return p.ts[0].Coverage() }
