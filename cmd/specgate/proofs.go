package main

import (
	"context"
	"fmt"
	"io"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/report"
)

// proofReplays records which baseline proofs a run replayed and which of
// them still showed their deviation.
type proofReplays struct {
	replayed, reproduced map[string]bool
}

func newProofReplays() *proofReplays {
	return &proofReplays{replayed: map[string]bool{}, reproduced: map[string]bool{}}
}

// replay replays, on the model's open target, the proof of every deviation
// of model that the baseline lists and the run did not meet (seen holds the
// run's baseline signatures), up to k times each: a deviation is gone only
// when k replays in a row no longer show it. A proof recorded under another
// profile, or one the target cannot run, is not replayed (its deviation is
// then "not checked").
func (p *proofReplays) replay(ctx context.Context, t engine.Target, b *report.BaselineFile, model, profile string, seen map[string]bool, k int, out io.Writer) {
	n, still := 0, 0
	for _, dev := range b.Deviations {
		sig := dev.Signature()
		if dev.Model != model || seen[sig] || dev.Proof == nil || dev.Proof.Profile != profile {
			continue
		}
		ok, shown := replayProof(ctx, t, model, sig, dev.Proof, k)
		if !ok {
			continue
		}
		p.replayed[sig], n = true, n+1
		if shown {
			p.reproduced[sig], still = true, still+1
		}
	}
	if n > 0 {
		fmt.Fprintf(out, "%s: replayed the proofs of %d listed deviations this run did not meet: %d still show, %d gone\n",
			model, n, still, n-still)
	}
}

// replayProof replays proof up to k times and reports whether it ran to
// the end every time it was tried (ok) and whether some replay showed the
// deviation sig.
func replayProof(ctx context.Context, t engine.Target, model, sig string, proof *report.Proof, k int) (ok, shown bool) {
	for j := 0; j < k; j++ {
		d, _, err := engine.Replay(ctx, t, proof.Sequence)
		if err != nil || ctx.Err() != nil {
			return false, false
		}
		if d != nil && report.SignatureOf(model, *d) == sig {
			return true, true
		}
	}
	return true, false
}

// baselineSigs returns the baseline signatures of a model's divergences.
func baselineSigs(m *report.Model) map[string]bool {
	out := map[string]bool{}
	for _, d := range m.Divergences {
		out[report.SignatureOf(m.Name, d.Divergence)] = true
	}
	return out
}
