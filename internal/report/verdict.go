package report

import (
	"github.com/specgate/specgate/internal/engine"
)

// Exit codes of a run. They are part of the command-line contract and of
// the JSON report (Report.ExitCode).
const (
	// ExitConformant: no divergence, or only deviations listed in the
	// baseline.
	ExitConformant = 0
	// ExitDivergence: at least one new (unlisted) divergence of a kind
	// other than crash, hang or unreachable.
	ExitDivergence = 1
	// ExitUsage is reserved for usage and configuration errors; a report
	// never carries it.
	ExitUsage = 2
	// ExitUnreachable: the SUT was unreachable, crashed or hung (new
	// divergences of kinds crash, hang or unreachable only).
	ExitUnreachable = 3
	// ExitKnownGone: a deviation listed in the baseline was not seen in a
	// complete run; the baseline is stale and should be updated.
	ExitKnownGone = 4
	// ExitLowCoverage: some model's cell coverage is below the minimum set
	// with ApplyMinCoverage.
	ExitLowCoverage = 5
	// ExitInterrupted: SIGINT or SIGTERM stopped the run before it found
	// any new failure; the reports hold what it covered.
	ExitInterrupted = 6
)

// Verdicts, one per exit code (a partial run that is otherwise conformant
// is "interrupted", exit code 0).
const (
	VerdictConformant  = "conformant"
	VerdictDivergent   = "divergent"
	VerdictUnreachable = "unreachable"
	VerdictKnownGone   = "known-deviation-gone"
	VerdictLowCoverage = "coverage-below-minimum"
	VerdictInterrupted = "interrupted"
	VerdictPartial     = "partial"
	// VerdictInconclusive: only stimuli failed, under --strict-environment.
	VerdictInconclusive = "inconclusive: environment"
)

// IsFaultKind reports whether a divergence kind means the SUT itself was
// unreachable, crashed or hung (exit code 3) rather than answering wrongly
// (exit code 1).
func IsFaultKind(kind string) bool {
	switch kind {
	case engine.KindCrash, engine.KindHang, engine.KindUnreachable:
		return true
	}
	return false
}

// Recompute sets r.Verdict and r.ExitCode from the report's contents: the
// divergences and their Known flags (set by Apply), r.Baseline.Resolved,
// r.Run.Partial and r.Run.MinCoverage. The first rule that matches wins:
//
//  1. ExitDivergence (1): a divergence not marked Known whose kind is not
//     crash, hang or unreachable (malformed answers count as divergences).
//  2. ExitUnreachable (3): a divergence not marked Known of kind crash,
//     hang or unreachable.
//  3. ExitKnownGone (4): the run was complete (!r.Run.Partial) and a
//     baseline deviation of a model in the run was not seen
//     (r.Baseline.Resolved is not empty).
//  4. ExitLowCoverage (5): r.Run.MinCoverage > 0 and some model's cell
//     coverage ratio is below it (a model without coverage counts as 0).
//  5. ExitInterrupted (6): a signal stopped the run (r.Run.Interrupted).
//  6. ExitConformant (0): verdict "partial" when the run is otherwise
//     partial (--budget, --fail-fast), "conformant" otherwise. Known
//     deviations alone keep a run conformant.
//
// Rules 1 and 2 come first: an interrupted run that already verified a
// new failure reports it with its usual code.
//
// Exit code 2 (ExitUsage) is never produced here.
func Recompute(r *Report) {
	hasDiv, hasFault := false, false
	for _, m := range r.Models {
		for _, d := range m.Divergences {
			if d.Known || d.Pending {
				continue
			}
			if IsFaultKind(d.Kind) {
				hasFault = true
			} else {
				hasDiv = true
			}
		}
	}
	inconclusive := false
	for _, m := range r.Models {
		inconclusive = inconclusive || len(m.Inconclusive) > 0
	}
	switch {
	case hasDiv:
		r.ExitCode, r.Verdict = ExitDivergence, VerdictDivergent
	case inconclusive && r.Run.StrictEnvironment:
		r.ExitCode, r.Verdict = ExitDivergence, VerdictInconclusive
	case hasFault:
		r.ExitCode, r.Verdict = ExitUnreachable, VerdictUnreachable
	case r.Run.Interrupted:
		r.ExitCode, r.Verdict = ExitInterrupted, VerdictInterrupted
	case r.Baseline != nil && len(r.Baseline.Expired) > 0:
		r.ExitCode, r.Verdict = ExitKnownGone, VerdictKnownGone
	case !r.Run.Partial && r.Baseline != nil && len(r.Baseline.Resolved) > 0:
		r.ExitCode, r.Verdict = ExitKnownGone, VerdictKnownGone
	case r.Run.MinCoverage > 0 && belowCoverage(r, r.Run.MinCoverage):
		r.ExitCode, r.Verdict = ExitLowCoverage, VerdictLowCoverage
	case r.Run.Partial:
		r.ExitCode, r.Verdict = ExitConformant, VerdictPartial
	default:
		r.ExitCode, r.Verdict = ExitConformant, VerdictConformant
	}
}

// ApplyMinCoverage holds the run to a minimum cell coverage ratio min
// (0..1, e.g. 0.8 for 80%): it records min in r.Run.MinCoverage and
// recomputes the verdict, which becomes ExitLowCoverage (5) when some
// model's cell ratio is below min and nothing worse (1, 3, 4) applies. It
// may be called before or after Apply; min <= 0 removes the minimum.
func ApplyMinCoverage(r *Report, min float64) {
	if min < 0 {
		min = 0
	}
	r.Run.MinCoverage = min
	Recompute(r)
}

func belowCoverage(r *Report, min float64) bool {
	for _, m := range r.Models {
		if cellRatio(&m) < min {
			return true
		}
	}
	return false
}

// cellRatio is the model's cell coverage ratio; 0 without coverage.
func cellRatio(m *Model) float64 {
	if m.Coverage == nil {
		return 0
	}
	return m.Coverage.CellRatio()
}
