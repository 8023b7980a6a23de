package main

import (
	"strings"
	"testing"
	"time"
)

// TestShimCheckPrintsStderrTailOnce: a shim that fails several calls and
// logs to stderr gets its stderr tail printed once, after the calls, not
// under every failing call.
func TestShimCheckPrintsStderrTailOnce(t *testing.T) {
	tgt := `vdi:exec:sh -c 'echo "vendor shim: log line one" >&2; echo "vendor shim: log line two" >&2; exec "$0" fixture chaos-vdi --mode rpc-error%2' ` + specgateBin
	r := specgate(t, 2*time.Minute, "shim-check", "--target", tgt, "--call-timeout", "5s")
	if r.code != 1 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stdout, "  FAIL  "); n < 3 {
		t.Fatalf("%d failing calls, want several:\n%s", n, r.stdout)
	}
	for _, l := range []string{"vendor shim: log line one", "vendor shim: log line two"} {
		if n := strings.Count(r.stdout, "| "+l); n != 1 {
			t.Errorf("%q printed %d times, want once:\n%s", l, n, r.stdout)
		}
	}
	if i, j := strings.LastIndex(r.stdout, "  FAIL  "), strings.Index(r.stdout, "  | vendor shim: log line one"); j < i {
		t.Errorf("the stderr tail is not after the calls:\n%s", r.stdout)
	}
}
