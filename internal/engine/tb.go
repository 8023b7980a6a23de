package engine

import (
	"flag"
	"fmt"
	"sync"
	"testing"
)

// collectTB is a non-panicking rapid.TB that records what rapid reports, so
// rapid can run from a plain binary and inside Ginkgo (research/golibs.md
// §1.6, §1.8).
type collectTB struct {
	name   string
	failed bool
	errs   []string
	logs   int
}

func (t *collectTB) Helper()      {}
func (t *collectTB) Name() string { return t.name }
func (t *collectTB) Logf(string, ...any) {
	t.logs++
}
func (t *collectTB) Log(...any)           { t.logs++ }
func (t *collectTB) Skipf(string, ...any) {}
func (t *collectTB) Skip(...any)          {}
func (t *collectTB) SkipNow()             {}
func (t *collectTB) Errorf(format string, args ...any) {
	t.failed = true
	t.errs = append(t.errs, fmt.Sprintf(format, args...))
}
func (t *collectTB) Error(args ...any) {
	t.failed = true
	t.errs = append(t.errs, fmt.Sprint(args...))
}
func (t *collectTB) Fatalf(format string, args ...any) { t.Errorf(format, args...) }
func (t *collectTB) Fatal(args ...any)                 { t.Error(args...) }
func (t *collectTB) FailNow()                          { t.failed = true }
func (t *collectTB) Fail()                             { t.failed = true }
func (t *collectTB) Failed() bool                      { return t.failed }

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
