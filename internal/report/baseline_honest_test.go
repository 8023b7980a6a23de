package report

import (
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/jsonenc"
)

// A listed deviation the run did not meet is gone only when its proof no
// longer reproduces; without a proof it is not checked, never gone.
func TestGoneNeedsAProofThatNoLongerReproduces(t *testing.T) {
	r := sampleReport(t)
	b := baselineFor(t, r, "accepted")
	vdiSig := SignatureOf("vdi", r.Models[0].Divergences[0].Divergence)
	if b.Deviations[0].Proof == nil && b.Deviations[1].Proof == nil {
		t.Fatal("NewBaselineFromReport embedded no proof")
	}

	r.Models[0].Divergences = nil // not met by this run
	ApplyWith(r, b, "b.json", ApplyOptions{ProofsReplayed: true, Replayed: map[string]bool{vdiSig: true}, Reproduced: map[string]bool{vdiSig: true}})
	if r.ExitCode == ExitKnownGone || len(r.Baseline.Resolved) != 0 || strings.Join(r.Baseline.Reproduced, ",") != vdiSig {
		t.Fatalf("proof reproduced: exit %d, baseline %+v; want it known, not gone", r.ExitCode, r.Baseline)
	}

	r = sampleReport(t)
	r.Models[0].Divergences = nil
	ApplyWith(r, b, "b.json", ApplyOptions{ProofsReplayed: true, Replayed: map[string]bool{vdiSig: true}, Reproduced: map[string]bool{}})
	if r.ExitCode != ExitKnownGone || strings.Join(r.Baseline.Resolved, ",") != vdiSig {
		t.Fatalf("proof no longer reproduces: exit %d, baseline %+v; want gone (4)", r.ExitCode, r.Baseline)
	}

	for i := range b.Deviations {
		b.Deviations[i].Proof = nil
	}
	r = sampleReport(t)
	r.Models[0].Divergences = nil
	ApplyWith(r, b, "b.json", ApplyOptions{ProofsReplayed: true})
	if r.ExitCode == ExitKnownGone || strings.Join(r.Baseline.NotChecked, ",") != vdiSig {
		t.Fatalf("no proof: exit %d, baseline %+v; want not checked", r.ExitCode, r.Baseline)
	}
}

// An expired entry fails the run with exit 4 even when its deviation is
// still there (and still excused).
func TestExpiredEntryFails(t *testing.T) {
	r := sampleReport(t)
	b := baselineFor(t, r, "accepted")
	r.Run.Started = time.Date(2027, 2, 1, 8, 0, 0, 0, time.UTC)
	b.Deviations[0].Expires = "2027-01-31"
	b.Deviations[1].Expires = "2027-02-01" // the last day: still valid
	Apply(r, b, "b.json")
	if r.ExitCode != ExitKnownGone || len(r.Baseline.Expired) != 1 || r.Baseline.Expired[0] != b.Deviations[0].Signature() {
		t.Fatalf("exit %d, expired %v; want 4 and exactly the entry that expired", r.ExitCode, r.Baseline.Expired)
	}
	if !r.Models[0].Divergences[0].Known && !r.Models[1].Divergences[0].Known {
		t.Fatal("an expired entry stopped excusing its divergence (it should fail as stale, exit 4, not as new)")
	}
	b.Deviations[0].Expires = "31/01/2027"
	if err := b.validate(); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Fatalf("bad expiry date accepted: %v", err)
	}
}

// A new divergence under a clause the baseline has not accepted (a check a
// newer specgate added) is pending: reported, not failing.
func TestNewCheckIsPendingUntilAccepted(t *testing.T) {
	r := sampleReport(t)
	b := &BaselineFile{Schema: BaselineSchema, SchemaVersion: 1, Deviations: []Deviation{}}
	for _, m := range r.Models {
		for _, c := range m.Clauses {
			b.Accepted = append(b.Accepted, c.ID)
		}
	}
	newClause := r.Models[0].Divergences[0].Clause
	var kept []string
	for _, c := range b.Accepted {
		if c != newClause {
			kept = append(kept, c)
		}
	}
	b.Accepted = kept
	Apply(r, b, "b.json")
	if !r.Models[0].Divergences[0].Pending || len(r.Baseline.Pending) != 1 {
		t.Fatalf("divergence under an unaccepted clause: pending %v, baseline %+v", r.Models[0].Divergences[0].Pending, r.Baseline)
	}
	if r.Models[1].Divergences[0].Pending || len(r.Baseline.New) != 1 {
		t.Fatalf("divergence under an accepted clause must be new: %+v", r.Baseline)
	}
	// The other (accepted, new) divergence still fails the run.
	if r.ExitCode == ExitConformant {
		t.Fatal("the accepted clause's new divergence did not fail the run")
	}
	r.Models[1].Divergences = nil
	Apply(r, b, "b.json")
	if r.ExitCode != ExitConformant {
		t.Fatalf("only a pending divergence: exit %d, want 0", r.ExitCode)
	}
}

// A clause renamed by a later specgate keeps old baselines matching.
func TestRenamedClauseKeepsBaselineMatching(t *testing.T) {
	r := sampleReport(t)
	b := NewBaselineFromReport(r, "accepted")
	cur := r.Models[0].Divergences[0].Clause
	old := cur + "-old-name"
	b.Deviations[0].Clause = old
	data, err := jsonenc.Indent(b)
	if err != nil {
		t.Fatal(err)
	}
	clauseRenames[old] = cur
	defer delete(clauseRenames, old)
	got, err := ParseBaseline(data)
	if err != nil {
		t.Fatal(err)
	}
	Apply(r, got, "b.json")
	if !r.Models[0].Divergences[0].Known {
		t.Fatalf("a baseline naming the old clause id %q no longer matches %q", old, cur)
	}
}
