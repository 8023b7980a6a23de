package bench

import "fmt"

// collectTB is a non-panicking rapid.TB for running rapid.Check outside a
// *testing.T (the engine has its own, unexported).
type collectTB struct {
	failed bool
	errs   []string
}

func (t *collectTB) Helper()              {}
func (t *collectTB) Name() string         { return "bench" }
func (t *collectTB) Logf(string, ...any)  {}
func (t *collectTB) Log(...any)           {}
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
