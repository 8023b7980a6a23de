package engine

import (
	"flag"
	"fmt"
	"sync"
	"testing"
)

// CollectTB is a non-panicking rapid.TB that records what rapid reports, so
// rapid.Check can run from a plain binary, inside Ginkgo or in a benchmark
// (rapid.Check takes any rapid.TB; its own failure output goes through
// Fatalf and Logf). The zero value is ready to use.
type CollectTB struct {
	// TestName is what Name returns.
	TestName string
	failed   bool
	errs     []string
}

// Helper does nothing.
func (t *CollectTB) Helper() {}

// Name returns TestName.
func (t *CollectTB) Name() string { return t.TestName }

// Logf discards rapid's log lines.
func (t *CollectTB) Logf(string, ...any) {}

// Log discards rapid's log lines.
func (t *CollectTB) Log(...any) {}

// Skipf does nothing.
func (t *CollectTB) Skipf(string, ...any) {}

// Skip does nothing.
func (t *CollectTB) Skip(...any) {}

// SkipNow does nothing.
func (t *CollectTB) SkipNow() {}

// Errorf records a failure.
func (t *CollectTB) Errorf(format string, args ...any) {
	t.failed = true
	t.errs = append(t.errs, fmt.Sprintf(format, args...))
}

// Error records a failure.
func (t *CollectTB) Error(args ...any) {
	t.failed = true
	t.errs = append(t.errs, fmt.Sprint(args...))
}

// Fatalf records a failure (rapid stops the check itself).
func (t *CollectTB) Fatalf(format string, args ...any) { t.Errorf(format, args...) }

// Fatal records a failure.
func (t *CollectTB) Fatal(args ...any) { t.Error(args...) }

// FailNow marks the test failed.
func (t *CollectTB) FailNow() { t.failed = true }

// Fail marks the test failed.
func (t *CollectTB) Fail() { t.failed = true }

// Failed reports whether a failure was recorded.
func (t *CollectTB) Failed() bool { return t.failed }

// Errors returns the failure messages recorded, in order.
func (t *CollectTB) Errors() []string { return t.errs }

var (
	rapidInit sync.Once
	// rapidMu guards rapid's global flags: generation reads them (RLock),
	// configuring and shrinking write them (Lock).
	rapidMu sync.RWMutex
)

// initRapid makes rapid usable outside `go test`: rapid calls
// testing.Short(), which needs testing.Init and a parsed flag set.
func initRapid() {
	rapidInit.Do(func() {
		if flag.Lookup("test.short") == nil {
			testing.Init()
		}
		if !flag.Parsed() {
			_ = flag.CommandLine.Parse(nil)
		}
	})
}

func setRapidFlag(name, value string) {
	if err := flag.Set(name, value); err != nil {
		panic(fmt.Sprintf("engine: cannot set -%s: %v", name, err))
	}
}
