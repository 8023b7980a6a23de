package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The README's quick-start, vendor and nightly-gate blocks, run as written
// (extracted from README.md itself, so the two cannot drift) against
// fixture targets. Each placeholder the README uses for a vendor's own
// shim, host or budget is replaced by the explicit substitution list of
// each test; every substitution must match, so a README edit that drops a
// placeholder fails here instead of being skipped.

// readmeBlocks returns the fenced ```sh blocks under the README heading
// "## <heading>", up to the next "## " heading.
func readmeBlocks(t *testing.T, heading string) []string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	in, fence := false, false
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case fence && line == "```":
			blocks = append(blocks, cur.String())
			cur.Reset()
			fence = false
		case fence:
			cur.WriteString(line + "\n")
		case strings.HasPrefix(line, "## "):
			in = line == "## "+heading
		case in && line == "```sh":
			fence = true
		}
	}
	if len(blocks) == 0 {
		t.Fatalf("README.md has no ```sh block under %q", "## "+heading)
	}
	return blocks
}

// substitution replaces a README placeholder by a fixture value.
type substitution struct{ old, new string }

// substitute applies subs to block; each must occur at least once.
func substitute(t *testing.T, block string, subs []substitution) string {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(block, s.old) {
			t.Fatalf("README block no longer contains %q (update the substitution list):\n%s", s.old, block)
		}
		block = strings.ReplaceAll(block, s.old, s.new)
	}
	return block
}

// shellCommands splits a block into its commands: one per line, a line
// ending in a backslash continues on the next; blank and comment-only
// lines are dropped (sh ignores the trailing comments).
func shellCommands(block string) []string {
	var cmds []string
	var cur strings.Builder
	for _, line := range strings.Split(block, "\n") {
		if cur.Len() == 0 && (strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#")) {
			continue
		}
		cur.WriteString(line + "\n")
		if !strings.HasSuffix(line, `\`) {
			cmds = append(cmds, cur.String())
			cur.Reset()
		}
	}
	return cmds
}

// shResult is one sh run in a test's working directory.
type shResult struct {
	code   int
	output string
}

// sh runs script with sh (extra options first, e.g. "-e") in dir.
func sh(t *testing.T, dir, script string, timeout time.Duration, opts ...string) shResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", append(opts, "-c", script)...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("sh -c %q: did not finish within %v\n%s", script, timeout, out.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("sh -c %q: %v", script, err)
	}
	return shResult{code: code, output: out.String()}
}

// readmeWorkdir is a fresh working directory for README blocks, with the
// test's specgate build at bin/specgate (what "go build -o bin/specgate
// ./cmd/specgate" and "go run ./cmd/specgate" build from this tree).
func readmeWorkdir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if r := sh(t, dir, "mkdir -p bin && cp '"+specgateBin+"' bin/specgate", time.Minute); r.code != 0 {
		t.Fatalf("copy specgate: %s", r.output)
	}
	return dir
}

// buildSub replaces the README's build line: the test built specgate
// from this tree already.
var buildSub = substitution{"go build -o bin/specgate ./cmd/specgate", "test -x bin/specgate"}

// writeScript writes an executable sh script into dir.
func writeScript(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// printedReplays returns the replay commands a run printed ("Replay: CMD").
func printedReplays(out string) []string {
	var cmds []string
	for _, line := range strings.Split(out, "\n") {
		if c, ok := strings.CutPrefix(strings.TrimSpace(line), "Replay:"); ok {
			cmds = append(cmds, strings.TrimSpace(c))
		}
	}
	return cmds
}

// checkReplays pastes every replay command of out into sh from dir: each
// starts with the program path the README invoked (bin/specgate) and
// reproduces its failure (exit 1).
func checkReplays(t *testing.T, dir, out string) {
	t.Helper()
	cmds := printedReplays(out)
	if len(cmds) == 0 {
		t.Fatalf("the run printed no replay command:\n%s", out)
	}
	for _, c := range cmds {
		if !strings.HasPrefix(c, "bin/specgate replay ") {
			t.Errorf("replay command %q does not start with the program path as invoked (bin/specgate)", c)
		}
		if r := sh(t, dir, c, 2*time.Minute); r.code != 1 {
			t.Errorf("pasted replay command %q: exit %d, want 1 (reproduced)\n%s", c, r.code, r.output)
		}
	}
}

// TestREADMEQuickStart runs the quick-start block: the run against the
// embedded references passes and the make targets it names exist (make -n:
// the test suite does not run itself).
func TestREADMEQuickStart(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := readmeWorkdir(t)
	block := substitute(t, readmeBlocks(t, "Quick start")[0], []substitution{
		{"go run ./cmd/specgate run", "bin/specgate run --checks 200"},
		{"make deps", "make -n -C '" + root + "' deps"},
		{"make test", "make -n -C '" + root + "' test"},
	})
	for _, c := range shellCommands(block) {
		if r := sh(t, dir, c, 5*time.Minute); r.code != 0 {
			t.Errorf("%s: exit %d, want 0\n%s", strings.TrimSpace(c), r.code, r.output)
		}
	}
}

// TestREADMEVendorBlock runs the "against a vendor implementation" block
// against fixtures: ./myshim (the reference shim; it refuses any argument
// but --flag), a TCP shim, an IPAM server, and a saved failure of a
// mutant. Runs, models and shim-check exit 0; the replay exits 1.
func TestREADMEVendorBlock(t *testing.T) {
	dir := readmeWorkdir(t)
	writeScript(t, dir, "myshim", `[ $# -eq 0 ] || [ "$*" = "--flag" ] || { echo "myshim: unexpected arguments: $*" >&2; exit 9; }
exec '`+specgateBin+`' fixture vdi-shim
`)
	tcp := startTCPShim(t)
	ipam := startFixture(t, "fixture", "ipam-server")
	saved := filepath.Join(dir, "saved")
	if r := specgate(t, 2*time.Minute, "run", "--model", "vdi", "--seed", "3", "--checks", "300", "--target", mutantTarget("wrong-code"), "--out", saved, "--progress", "none"); r.code != 1 {
		t.Fatalf("mutant run for a saved failure: exit %d\n%s", r.code, r.stdout)
	}
	files, _ := filepath.Glob(filepath.Join(saved, "failures", "*.json"))
	if len(files) == 0 {
		t.Fatal("no saved failure")
	}
	rel, _ := filepath.Rel(dir, files[0])
	block := substitute(t, readmeBlocks(t, "Quick start")[1], []substitution{
		buildSub,
		{"bin/specgate run --target", "bin/specgate run --checks 200 --target"},
		{"127.0.0.1:7000", tcp},
		{"10.0.0.5:8080", ipam},
		{"specgate-out/failures/<file>.json", rel},
	})
	for _, c := range shellCommands(block) {
		want := 0
		if strings.HasPrefix(c, "bin/specgate replay ") {
			want = 1
		}
		if r := sh(t, dir, c, 5*time.Minute); r.code != want {
			t.Errorf("%s: exit %d, want %d\n%s", strings.TrimSpace(c), r.code, want, r.output)
		}
	}
}

// TestREADMENightlyGate runs the nightly-gate block as written, as one sh
// script, over three nights against ./vendor-shim (a fixture with planted
// mutants), and the README's baseline command after the first night:
//
//  1. first night, no ci/ at all, one mutant (under sh -e): exit 1, the
//     corpus is created and holds the failures;
//  2. the baseline is written from night 1's report; same mutant: exit 0,
//     the corpus does not grow;
//  3. a second mutant planted as well: exit 1, the corpus grows.
//
// Every replay command a night prints, pasted into sh, reproduces.
func TestREADMENightlyGate(t *testing.T) {
	dir := readmeWorkdir(t)
	blocks := readmeBlocks(t, "A nightly gate in five lines")
	if len(blocks) < 2 {
		t.Fatalf("want the gate block and the baseline block, got %d blocks", len(blocks))
	}
	gate := substitute(t, blocks[0], []substitution{buildSub, {"--checks 200000", "--checks 1500"}})
	baselineCmd := substitute(t, blocks[1], nil)
	if !strings.Contains(baselineCmd, "ci/specgate-baseline.json") || !strings.Contains(gate, "ci/specgate-baseline.json") {
		t.Fatalf("the baseline command does not write the file the gate reads:\n%s\n%s", baselineCmd, gate)
	}
	corpusFiles := func() int {
		files, _ := filepath.Glob(filepath.Join(dir, "ci", "corpus", "*.json"))
		return len(files)
	}
	night := func(n int, mutants string, want int, opts ...string) string {
		t.Helper()
		writeScript(t, dir, "vendor-shim", "exec '"+specgateBin+"' fixture vdi-shim --mutant "+mutants+"\n")
		r := sh(t, dir, gate, 10*time.Minute, opts...)
		if r.code != want {
			t.Fatalf("night %d (--mutant %s): exit %d, want %d\n%s", n, mutants, r.code, want, r.output)
		}
		return r.output
	}

	out := night(1, "wrong-code", 1, "-e")
	n1 := corpusFiles()
	if n1 == 0 {
		t.Fatalf("night 1: the corpus did not grow\n%s", out)
	}
	checkReplays(t, dir, out)

	if r := sh(t, dir, baselineCmd, time.Minute); r.code != 0 {
		t.Fatalf("baseline command: exit %d\n%s", r.code, r.output)
	}
	out = night(2, "wrong-code", 0)
	if got := corpusFiles(); got != n1 || !strings.Contains(out, "added 0,") {
		t.Fatalf("night 2: corpus has %d files, want %d (no growth)\n%s", got, n1, out)
	}

	out = night(3, "wrong-code,double-create", 1)
	if got := corpusFiles(); got <= n1 {
		t.Fatalf("night 3: corpus has %d files, want more than %d\n%s", got, n1, out)
	}
	checkReplays(t, dir, out)
}

// TestREADMENightlyGateUnreachable: with a vendor shim that does not start
// on a first night, the nightly block, under sh -e too, exits with
// specgate's 3 (not the corpus step's status) and the corpus stays empty.
func TestREADMENightlyGateUnreachable(t *testing.T) {
	dir := readmeWorkdir(t)
	gate := substitute(t, readmeBlocks(t, "A nightly gate in five lines")[0], []substitution{buildSub, {"--checks 200000", "--checks 50"}})
	writeScript(t, dir, "vendor-shim", "echo 'vendor-shim: licence expired' >&2; exit 1\n")
	for _, opts := range [][]string{nil, {"-e"}} {
		if r := sh(t, dir, gate, 5*time.Minute, opts...); r.code != 3 {
			t.Fatalf("sh %v: exit %d, want 3\n%s", opts, r.code, r.output)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "ci", "corpus", "*.json")); len(files) != 0 {
		t.Fatalf("corpus grew from an unreachable SUT: %v", files)
	}
}
