package main

import (
	"math"
	"time"
)

// The documented ranges of the numeric flags (README "Flag ranges"). A value
// outside its range is a usage error (exit 2) naming the flag and the range,
// before anything runs or is written: a run must never be able to grow
// without bound or outlive a signal because of a number on its command line.
const (
	maxChecks        = 1_000_000_000 // --checks
	maxSteps         = 10_000        // --steps: a sequence is generated whole before it runs
	maxParallel      = 256           // --parallel: one shim child, connection or server each
	maxVerify        = 100           // --verify
	maxShrinkReplays = 1_000_000     // --shrink-replays
	maxMaxFailures   = 10_000        // --max-failures
	maxCheckpoints   = 100           // --checkpoints (run, replay, fixture ipam-server)

	maxCallTimeout  = time.Hour          // --call-timeout, > 0
	maxShrinkTime   = 24 * time.Hour     // --shrink-time, >= 0
	maxBudget       = 7 * 24 * time.Hour // --budget, >= 0
	maxQuiescence   = 10 * time.Minute   // --quiescence, > 0
	maxSettle       = time.Minute        // --settle, >= 0; --settle-min in [0, --settle]
	maxNetTCPClose  = time.Minute        // --nettcp-close-wait, >= 0
	minCoverageLow  = 0.0                // --min-coverage, a fraction
	minCoverageHigh = 1.0                // --min-coverage
	maxShimEnv      = 64                 // --shim-env entries
	maxShimEnvBytes = 32 << 10           // --shim-env NAME=VALUE length
)

// intInRange checks an integer flag against its range [lo, hi].
func intInRange(cmd, name string, v, lo, hi int) error {
	if v < lo || v > hi {
		return usagef("%s: --%s must be between %d and %d, got %d", cmd, name, lo, hi, v)
	}
	return nil
}

// durInRange checks a duration flag against its range: (0, hi] when
// positive, [0, hi] otherwise.
func durInRange(cmd, name string, v, hi time.Duration, positive bool) error {
	switch {
	case positive && (v <= 0 || v > hi):
		return usagef("%s: --%s must be above 0 and at most %v, got %v", cmd, name, hi, v)
	case !positive && (v < 0 || v > hi):
		return usagef("%s: --%s must be between 0 and %v, got %v", cmd, name, hi, v)
	}
	return nil
}

// fractionInRange checks a fraction flag against [0, 1] (NaN is outside).
func fractionInRange(cmd, name string, v float64) error {
	if math.IsNaN(v) || v < minCoverageLow || v > minCoverageHigh {
		return usagef("%s: --%s must be between %g and %g, got %v", cmd, name, minCoverageLow, minCoverageHigh, v)
	}
	return nil
}

// checkRunLimits checks every numeric flag of run against its range.
func checkRunLimits(rf *runFlags) error {
	for _, c := range []struct {
		name      string
		v, lo, hi int
	}{
		{"checks", rf.checks, 1, maxChecks},
		{"steps", rf.steps, 1, maxSteps},
		{"parallel", rf.parallel, 1, maxParallel},
		{"verify", rf.verify, 1, maxVerify},
		{"shrink-replays", rf.shrinkReplays, 1, maxShrinkReplays},
		{"max-failures", rf.maxFailures, 1, maxMaxFailures},
	} {
		if err := intInRange("run", c.name, c.v, c.lo, c.hi); err != nil {
			return err
		}
	}
	if err := durInRange("run", "shrink-time", rf.shrinkTime, maxShrinkTime, false); err != nil {
		return err
	}
	if err := durInRange("run", "budget", rf.budget, maxBudget, false); err != nil {
		return err
	}
	if err := fractionInRange("run", "min-coverage", rf.minCoverage); err != nil {
		return err
	}
	return checkTargetFlags("run", rf)
}

// checkTargetFlags checks the flags run and replay share: the call
// deadline, the IPAM and net.tcp flags and --shim-env.
func checkTargetFlags(cmd string, rf *runFlags) error {
	if err := durInRange(cmd, "call-timeout", rf.callTimeout, maxCallTimeout, true); err != nil {
		return err
	}
	if err := durInRange(cmd, "start-timeout", rf.startTimeout, maxCallTimeout, true); err != nil {
		return err
	}
	if err := durInRange(cmd, "quiescence", rf.quiescence, maxQuiescence, true); err != nil {
		return err
	}
	if err := durInRange(cmd, "settle", rf.settle, maxSettle, false); err != nil {
		return err
	}
	if err := durInRange(cmd, "settle-min", rf.settleMin, maxSettle, false); err != nil {
		return err
	}
	if rf.settleMin > rf.settle {
		return usagef("%s: --settle-min must be between 0 and --settle (%v), got %v", cmd, rf.settle, rf.settleMin)
	}
	if err := durInRange(cmd, "nettcp-close-wait", rf.netTCPCloseWait, maxNetTCPClose, false); err != nil {
		return err
	}
	if err := intInRange(cmd, "checkpoints", rf.checkpoints, 0, maxCheckpoints); err != nil {
		return err
	}
	switch rf.encoding {
	case "binary", "text":
	default:
		return usagef("%s: --encoding must be binary or text, got %q", cmd, rf.encoding)
	}
	return rf.shimEnv.check(cmd)
}
