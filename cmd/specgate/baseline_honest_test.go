package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/report"
)

// TestBaselineStaysHonest: entries carry a ticket, an owner, an expiry and
// the proof; a listed deviation a run does not meet is gone only when its
// proof no longer reproduces; an expired entry fails (4); a divergence
// under a clause the baseline has not accepted is pending until
// "baseline accept".
func TestBaselineStaysHonest(t *testing.T) {
	dir := t.TempDir()
	night1 := filepath.Join(dir, "n1")
	mutant := mutantTarget("wrong-code")
	common := []string{"run", "--model", "vdi", "--seed", "5", "--progress", "none"}
	if r := specgate(t, 3*time.Minute, append(common, "--checks", "150", "--out", night1, "--target", mutant)...); r.code != 1 {
		t.Fatalf("night 1: exit %d, want 1\n%s", r.code, r.stderr)
	}
	bl := filepath.Join(dir, "baseline.json")
	if r := specgate(t, time.Minute, "baseline", "--report", filepath.Join(night1, "report.json"), "--reason", "vendor bug",
		"--ticket", "ACME-42", "--owner", "qa@acme", "--expires", "2999-12-31", "--out", bl); r.code != 0 {
		t.Fatalf("baseline: exit %d\n%s", r.code, r.stderr)
	}
	b, err := report.ReadBaseline(bl)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Deviations) != 1 || b.Deviations[0].Ticket != "ACME-42" || b.Deviations[0].Owner != "qa@acme" ||
		b.Deviations[0].Expires != "2999-12-31" || b.Deviations[0].Proof == nil || len(b.Accepted) == 0 {
		t.Fatalf("baseline = %+v, want one entry with ticket, owner, expiry and proof, and the accepted clauses", b)
	}

	// One check does not meet the bug; its proof still shows it: known, 0.
	short := append(common, "--checks", "1", "--baseline", bl)
	r := specgate(t, 2*time.Minute, append(short, "--out", filepath.Join(dir, "n2"), "--target", mutant)...)
	if r.code != 0 || !strings.Contains(r.stdout, "1 still show, 0 gone") {
		t.Fatalf("a run that misses the bug while it is still there: exit %d, want 0 (proof reproduced)\n%s", r.code, r.stdout)
	}
	// Against a fixed SUT the proof no longer reproduces: gone, 4.
	r = specgate(t, 2*time.Minute, append(short, "--out", filepath.Join(dir, "n3"))...)
	if r.code != 4 || !strings.Contains(r.stdout, "0 still show, 1 gone") {
		t.Fatalf("fixed SUT: exit %d, want 4 (proof no longer reproduces)\n%s", r.code, r.stdout)
	}

	// An expired entry fails with 4 though the bug is still there and listed.
	b.Deviations[0].Expires = "2000-01-01"
	if err := b.Write(bl); err != nil {
		t.Fatal(err)
	}
	r = specgate(t, 3*time.Minute, append(common, "--checks", "150", "--baseline", bl, "--out", filepath.Join(dir, "n4"), "--target", mutant)...)
	if r.code != 4 || !strings.Contains(r.stdout, "expired:") {
		t.Fatalf("expired entry: exit %d, want 4\n%s", r.code, r.stdout)
	}

	// A baseline that has not accepted the clause (a check added by a newer
	// specgate): the divergence is pending, the run passes; after
	// "baseline accept" it fails.
	clause := readReport(t, filepath.Join(night1, "report.json")).Models[0].Divergences[0].Clause
	fresh := &report.BaselineFile{Schema: report.BaselineSchema, SchemaVersion: report.BaselineSchemaVersion, Deviations: []report.Deviation{}}
	for _, c := range allClauses() {
		if c != clause {
			fresh.Accepted = append(fresh.Accepted, c)
		}
	}
	pb := filepath.Join(dir, "pending.json")
	if err := fresh.Write(pb); err != nil {
		t.Fatal(err)
	}
	pend := append(common, "--checks", "150", "--baseline", pb, "--target", mutant)
	r = specgate(t, 3*time.Minute, append(pend, "--out", filepath.Join(dir, "n5"))...)
	if r.code != 0 || !strings.Contains(r.stdout, "pending: ") {
		t.Fatalf("divergence under an unaccepted clause: exit %d, want 0 with it pending\n%s", r.code, r.stdout)
	}
	if a := specgate(t, time.Minute, "baseline", "accept", "--baseline", pb); a.code != 0 || !strings.Contains(a.stdout, "+ "+clause) {
		t.Fatalf("baseline accept: exit %d\n%s%s", a.code, a.stdout, a.stderr)
	}
	r = specgate(t, 3*time.Minute, append(pend, "--out", filepath.Join(dir, "n6"))...)
	if r.code != 1 {
		t.Fatalf("after baseline accept: exit %d, want 1\n%s", r.code, r.stdout)
	}
}
