package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// repoRoot is the module root (two levels up from cmd/specgate).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestMakeSuitesParallelPassesTarget: make suites-parallel hands TARGET,
// CONTROL and PROFILE to the suites as -target, -control and -profile
// (after ginkgo's "--"), quoted so that a target holding spaces and single
// quotes arrives as one argument; without them nothing is passed.
func TestMakeSuitesParallelPassesTarget(t *testing.T) {
	dir := t.TempDir()
	argsFile := filepath.Join(dir, "args")
	writeScript(t, dir, "fake-go", `for a in "$@"; do printf '%s\n' "$a"; done > '`+argsFile+`'
`)
	fakeGo := filepath.Join(dir, "fake-go")
	target := "vdi:exec:'./myshim --flag'"
	// The target reaches make through the environment, as a user's shell
	// would pass TARGET="vdi:exec:'./myshim --flag'".
	r := sh(t, dir, `T="`+target+`"; export T; make -s -C '`+repoRoot(t)+`' suites-parallel GO='`+fakeGo+`' TARGET="$T" CONTROL=http://127.0.0.1:1/control PROFILE=strict`, time.Minute)
	if r.code != 0 {
		t.Fatalf("make suites-parallel: exit %d\n%s", r.code, r.output)
	}
	args := readArgs(t, argsFile)
	i := indexOf(args, "--")
	want := []string{"-target=" + target, "-control=http://127.0.0.1:1/control", "-profile=strict"}
	if i < 0 || strings.Join(args[i+1:], "\n") != strings.Join(want, "\n") || args[i-1] != "./suites/conformance" {
		t.Fatalf("suites got %q, want %q after ./suites/conformance --", args, want)
	}
	if r := sh(t, dir, `make -s -C '`+repoRoot(t)+`' suites-parallel GO='`+fakeGo+`'`, time.Minute); r.code != 0 {
		t.Fatalf("make suites-parallel without a target: exit %d\n%s", r.code, r.output)
	}
	if args := readArgs(t, argsFile); indexOf(args, "--") >= 0 {
		t.Fatalf("without TARGET the suites got flags: %q", args)
	}
}

func readArgs(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

// TestMakeTestInstallsNothing: installs belong to make deps and .ci/run
// (which runs make deps before make test), never to make test or to the
// tests themselves.
func TestMakeTestInstallsNothing(t *testing.T) {
	root := repoRoot(t)
	installs := regexp.MustCompile(`apt-get|npm (ci|install)|install-(mono|interop-node|browser|nns)\.sh`)
	r := sh(t, root, "make -n test", time.Minute)
	if r.code != 0 || installs.MatchString(r.output) {
		t.Fatalf("make -n test (exit %d) installs something:\n%s", r.code, r.output)
	}
	r = sh(t, root, "make -n deps", time.Minute)
	for _, s := range []string{"install-mono.sh", "install-interop-node.sh", "install-browser.sh", "install-nns.sh"} {
		if r.code != 0 || !strings.Contains(r.output, s) {
			t.Fatalf("make -n deps (exit %d) does not run %s:\n%s", r.code, s, r.output)
		}
	}
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	deps, test := strings.Index(string(ci), "\nmake deps\n"), strings.Index(string(ci), "\nmake test\n")
	if deps < 0 || test < 0 || deps > test || !strings.Contains(string(ci), "CI=true") {
		t.Fatalf(".ci/run must export CI=true and run make deps before make test:\n%s", ci)
	}
	tests, _ := filepath.Glob(filepath.Join(root, "interop", "*", "*_test.go"))
	if len(tests) == 0 {
		t.Fatal("no interop tests found")
	}
	// A package whose tests skip for a missing dependency must name
	// make deps in its messages (a shared constant counts for the whole
	// package; a skip that is an opt-in, gated on an environment variable,
	// is not a missing dependency).
	skips, names := map[string]bool{}, map[string]bool{}
	for _, p := range tests {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if installs.Match(src) && regexp.MustCompile(`exec\.Command(Context)?\([^)]*"bash"`).Match(src) {
			t.Errorf("%s runs an install script", p)
		}
		dir := filepath.Dir(p)
		names[dir] = names[dir] || strings.Contains(string(src), "make deps")
		for _, m := range regexp.MustCompile(`t\.Skipf?\(([^\n]*)`).FindAllStringSubmatch(string(src), -1) {
			if !strings.Contains(m[1], "set INTEROP_") {
				skips[dir] = true
			}
		}
	}
	for dir := range skips {
		if !names[dir] {
			t.Errorf("%s: tests skip without naming make deps", dir)
		}
	}
}
