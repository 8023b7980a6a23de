package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/report"
)

// oneLineUsage asserts exit 2 with one "specgate: " line on stderr that
// holds every want.
func oneLineUsage(t *testing.T, r result, args []string, want ...string) {
	t.Helper()
	if r.code != ExitUsage {
		t.Errorf("specgate %q: exit %d, want 2\nstderr: %s", args, r.code, r.stderr)
		return
	}
	line := strings.TrimSuffix(r.stderr, "\n")
	if strings.Contains(line, "\n") || !strings.HasPrefix(line, "specgate: ") {
		t.Errorf("specgate %q: want one specgate: line on stderr, got %q", args, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("specgate %q: stderr %q lacks %q", args, line, w)
		}
	}
}

// assertNothingWritten fails when dir exists.
func assertNothingWritten(t *testing.T, dir string, args []string) {
	t.Helper()
	if _, err := os.Lstat(dir); err == nil {
		t.Errorf("specgate %q wrote %s", args, dir)
	}
}

// TestExecTargetAsInREADME: --target "vdi:exec:'./myshim --flag'" starts the
// program with its arguments (not a file named "./myshim --flag"), in run
// and shim-check; an unbalanced quote is a usage error in run, replay and
// shim-check.
func TestExecTargetAsInREADME(t *testing.T) {
	quoted := "vdi:exec:'" + specgateBin + " fixture vdi-shim'"
	if r := specgate(t, time.Minute, "shim-check", "--target", quoted); r.code != 0 {
		t.Fatalf("shim-check --target %q: exit %d\n%s%s", quoted, r.code, r.stdout, r.stderr)
	}
	out := filepath.Join(t.TempDir(), "out")
	if r := specgate(t, 2*time.Minute, "run", "--model", "vdi", "--checks", "20", "--seed", "5", "--parallel", "1",
		"--progress", "none", "--out", out, "--target", quoted); r.code != 0 {
		t.Fatalf("run --target %q: exit %d\n%s%s", quoted, r.code, r.stdout, r.stderr)
	}
	ff := filepath.Join(t.TempDir(), "f.json")
	if err := os.WriteFile(ff, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"run", "--target", "vdi:exec:'./myshim --flag", "--out", filepath.Join(out, "x")},
		{"shim-check", "--target", `vdi:exec:"./myshim`},
		{"run", "--target", `vdi:exec:./myshim\`, "--out", filepath.Join(out, "x")},
	} {
		oneLineUsage(t, specgate(t, time.Minute, args...), args, "invalid target")
	}
	assertNothingWritten(t, filepath.Join(out, "x"), nil)
	if err := os.WriteFile(ff, mustFailureFile(t), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"replay", ff, "--target", "vdi:exec:'./myshim"}
	oneLineUsage(t, specgate(t, time.Minute, args...), args, "unbalanced")
}

// mustFailureFile returns a valid failure file: the one a mutant run
// writes.
func mustFailureFile(t *testing.T) []byte {
	t.Helper()
	out := t.TempDir()
	r := specgate(t, 2*time.Minute, "run", "--model", "vdi", "--checks", "200", "--seed", "3", "--parallel", "1",
		"--progress", "none", "--out", out, "--target", mutantTarget("wrong-code"), "--verify", "1")
	paths, _ := filepath.Glob(filepath.Join(out, "failures", "*.json"))
	if len(paths) == 0 {
		t.Fatalf("no failure file from the wrong-code mutant (exit %d)\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestNumericFlagRanges: every numeric flag outside its documented range is
// exit 2 with one line naming the flag, and nothing is written. The
// --steps value is the one that once grew a run to 24 GB.
func TestNumericFlagRanges(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	rep := filepath.Join(dir, "r.json")
	if err := os.WriteFile(rep, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(a ...string) []string { return append([]string{"run", "--out", out}, a...) }
	cases := []struct {
		args []string
		want string
	}{
		{run("--steps", "9223372036854775807"), "--steps must be between 1 and 10000"},
		{run("--steps", "0"), "--steps"},
		{run("--checks", "1000000001"), "--checks must be between 1 and 1000000000"},
		{run("--parallel", "257"), "--parallel must be between 1 and 256"},
		{run("--parallel", "0"), "--parallel"},
		{run("--verify", "101"), "--verify must be between 1 and 100"},
		{run("--shrink-replays", "1000001"), "--shrink-replays must be between 1 and 1000000"},
		{run("--max-failures", "10001"), "--max-failures must be between 1 and 10000"},
		{run("--min-coverage", "1.5"), "--min-coverage must be between 0 and 1"},
		{run("--min-coverage", "NaN"), "--min-coverage"},
		{run("--min-coverage", "-0.1"), "--min-coverage"},
		{run("--call-timeout", "0s"), "--call-timeout"},
		{run("--call-timeout", "2h"), "--call-timeout must be above 0 and at most 1h0m0s, got 2h0m0s"},
		{run("--start-timeout", "0s"), "--start-timeout"},
		{run("--start-timeout", "2h"), "--start-timeout must be above 0 and at most 1h0m0s, got 2h0m0s"},
		{run("--shrink-time", "-1s"), "--shrink-time"},
		{run("--budget", "-1s"), "--budget"},
		{run("--budget", "8760h"), "--budget must be between 0 and 168h0m0s"},
		{run("--quiescence", "0s"), "--quiescence"},
		{run("--settle", "2m"), "--settle"},
		{run("--settle", "5ms", "--settle-min", "6ms"), "--settle-min must be between 0 and --settle"},
		{run("--nettcp-close-wait", "-1s"), "--nettcp-close-wait"},
		{run("--checkpoints", "-1"), "--checkpoints must be between 0 and 100"},
		{run("--checkpoints", "101"), "--checkpoints"},
		{run("--encoding", "xml"), `--encoding must be binary or text, got "xml"`},
		{run("--shard", "4/4", "--seed", "1"), "--shard"},
		{run("--shard", "9223372036854775806/9223372036854775807", "--seed", "1"), "0 <= i < n <= 100000"},
		{[]string{"replay", rep, "--call-timeout", "-1s"}, "--call-timeout"},
		{[]string{"replay", rep, "--encoding", "xml"}, "--encoding"},
		{[]string{"replay", rep, "--checkpoints", "1000"}, "--checkpoints"},
		{[]string{"shim-check", "--target", "vdi:tcp://127.0.0.1:1", "--call-timeout", "0s"}, "--call-timeout"},
		{[]string{"shim-check", "--target", "vdi:tcp://127.0.0.1:1", "--start-timeout", "-1s"}, "--start-timeout"},
		{[]string{"merge", "--out", out, "--min-coverage", "2", rep}, "--min-coverage"},
		{[]string{"fixture", "ipam-server", "--checkpoints", "1000000"}, "--checkpoints must be between 0 and 100"},
	}
	for _, tc := range cases {
		oneLineUsage(t, specgate(t, time.Minute, tc.args...), tc.args, tc.want)
		assertNothingWritten(t, out, tc.args)
	}
}

// TestSIGTERMWithMaxSteps: a run with the largest --steps allowed stops on
// SIGTERM, exits 6 and writes its reports; the bound is generous (a loaded
// machine), the point is that it stops at all.
func TestSIGTERMWithMaxSteps(t *testing.T) {
	for _, model := range []string{"all", "ipam"} {
		t.Run(model, func(t *testing.T) { sigtermWithMaxSteps(t, model) })
	}
}

func sigtermWithMaxSteps(t *testing.T, model string) {
	dir := t.TempDir()
	cmd := exec.Command(specgateBin, "run", "--model", model, "--steps", strconv.Itoa(maxSteps), "--checks", strconv.Itoa(maxChecks),
		"--seed", "11", "--out", dir, "--progress", "none", "--parallel", "2")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	finished := false
	defer func() {
		if !finished {
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	sc := bufio.NewScanner(stdout)
	first := sc.Scan()
	go func() {
		for sc.Scan() {
		}
		done <- cmd.Wait()
	}()
	if !first {
		t.Fatal("no first line")
	}
	time.Sleep(2 * time.Second) // well into long sequences
	_ = cmd.Process.Signal(syscall.SIGTERM)
	var werr error
	select {
	case werr = <-done:
		finished = true
	case <-time.After(2 * time.Minute):
		t.Fatal("specgate did not stop within 2 minutes of SIGTERM")
	}
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("exit %v, want %d", werr, ExitInterrupted)
	}
	rep := readReport(t, filepath.Join(dir, "report.json"))
	if !rep.Run.Interrupted { // run.steps counts the steps executed, which a signal cuts short
		t.Fatalf("report: interrupted %v (steps executed %d)", rep.Run.Interrupted, rep.Run.Steps)
	}
	for _, f := range []string{"report.xml", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOutputPathsCheckedBeforeTheRun: unwritable paths and non-regular
// files are exit 2 with nothing written; /dev/stdout stays a symlink.
func TestOutputPathsCheckedBeforeTheRun(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	afile := filepath.Join(dir, "afile")
	if err := os.WriteFile(afile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good")
	if r := specgate(t, time.Minute, "run", "--checks", "2", "--seed", "1", "--out", good, "--progress", "none"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	goodRep := filepath.Join(good, "report.json")
	run := func(a ...string) []string { return append([]string{"run", "--checks", "2", "--seed", "1"}, a...) }
	before, lerr := os.Lstat("/dev/stdout")
	cases := []struct {
		args []string
		want string
	}{
		{run("--out", "/proc/specgate-x"), "--out /proc/specgate-x"},
		{run("--out", out, "--html", "/proc/specgate-x.html"), "--html /proc/specgate-x.html"},
		{run("--out", out, "--json", "/dev/stdout"), "use - for standard output"},
		{run("--out", out, "--junit", "/dev/null"), "a device"},
		{run("--out", out, "--json", dir), "a directory"},
		{run("--out", filepath.Join(afile, "sub")), "--out"},
		{run("--out", afile), "not a directory"},
		{run("--out", out, "--json", "-", "--html", "-"), "at most one"},
		{[]string{"merge", "--out", "/proc/specgate-y", goodRep}, "--out /proc/specgate-y"},
		{[]string{"baseline", "--report", goodRep, "--reason", "x", "--out", "/dev/null"}, "a device"},
	}
	for _, tc := range cases {
		oneLineUsage(t, specgate(t, time.Minute, tc.args...), tc.args, tc.want)
		assertNothingWritten(t, out, tc.args)
	}
	if lerr == nil {
		after, err := os.Lstat("/dev/stdout")
		if err != nil || after.Mode().Type() != before.Mode().Type() {
			t.Fatalf("/dev/stdout changed: %v %v", after, err)
		}
	}
}

// TestReportToStandardOutput: "--json -" writes the report on stdout (the
// summary goes to stderr) and no file named "-".
func TestReportToStandardOutput(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(specgateBin, "run", "--checks", "3", "--seed", "2", "--out", "o", "--json", "-", "--progress", "none")
	cmd.Dir = dir
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, se.String())
	}
	var rep report.Report
	if err := json.Unmarshal(so.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%.300s", err, so.String())
	}
	if rep.Run.Seed != 2 || len(rep.Models) == 0 {
		t.Fatalf("report on stdout: %+v", rep.Run)
	}
	if !strings.Contains(se.String(), "clauses") {
		t.Fatalf("the summary is not on stderr: %q", se.String())
	}
	for _, p := range []string{filepath.Join(dir, "-"), filepath.Join(dir, "o", "-"), filepath.Join(dir, "o", "report.json")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "o", "report.html")); err != nil {
		t.Errorf("the other reports still go to --out: %v", err)
	}
}

// TestReportWriteFailureIsNotExit0: a report that cannot be written at the
// end (its path became a directory during the run) exits 7, never 0.
func TestReportWriteFailureIsNotExit0(t *testing.T) {
	dir := t.TempDir()
	testHookBeforeReports = func(rf *runFlags) {
		if err := os.MkdirAll(rf.jsonOut, 0o755); err != nil {
			t.Error(err)
		}
	}
	defer func() { testHookBeforeReports = nil }()
	var so, se bytes.Buffer
	code := run([]string{"run", "--checks", "2", "--seed", "1", "--out", dir, "--progress", "none", "--model", "vdi"}, &so, &se)
	if code != ExitWriteFailed {
		t.Fatalf("exit %d, want %d\n%s", code, ExitWriteFailed, se.String())
	}
	if !strings.Contains(se.String(), "report.json") {
		t.Fatalf("stderr does not say which report: %q", se.String())
	}
}

// TestVersionShowsBuild: "specgate version" prints the commit line, the
// date line and the Go version; report.json records the same build.
func TestVersionShowsBuild(t *testing.T) {
	r := specgate(t, time.Minute, "version")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) < 4 || lines[0] != "specgate 0.1.0" || !strings.HasPrefix(lines[1], "commit:") ||
		!strings.HasPrefix(lines[2], "date:") || !strings.Contains(lines[3], runtime.Version()) {
		t.Fatalf("version output %q", r.stdout)
	}
	out := t.TempDir()
	if r := specgate(t, time.Minute, "run", "--checks", "2", "--seed", "1", "--out", out, "--progress", "none"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rep := readReport(t, filepath.Join(out, "report.json"))
	if rep.Run.Build == nil || rep.Run.Build.GoVersion != runtime.Version() || rep.Run.Build.Version != "0.1.0" {
		t.Fatalf("run.build = %+v", rep.Run.Build)
	}
}

// TestShimEnv: --shim-env NAME=VALUE reaches the exec child (the shim
// below starts only when it sees the value), the value is printed
// nowhere, and malformed entries are usage errors.
func TestShimEnv(t *testing.T) {
	const secret = "s3cret-Value-42"
	// The expected value sits in a file, so that the target (which is
	// printed and reported) does not hold it.
	want := filepath.Join(t.TempDir(), "want")
	if err := os.WriteFile(want, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	shimCmd := `sh -c 'test "$SG_SHIM_TOKEN" = "$(cat ` + want + `)" && exec ` + specgateBin + ` fixture vdi-shim'`
	tgt := `vdi:exec:"` + strings.ReplaceAll(shimCmd, `"`, `\"`) + `"`
	r := specgate(t, time.Minute, "shim-check", "--target", tgt)
	if r.code == 0 {
		t.Fatalf("the shim started without the variable:\n%s", r.stdout)
	}
	r = specgate(t, time.Minute, "shim-check", "--target", tgt, "--shim-env", "SG_SHIM_TOKEN="+secret, "--shim-env", "OTHER=1")
	if r.code != 0 {
		t.Fatalf("shim-check with --shim-env: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	out := t.TempDir()
	r = specgate(t, 2*time.Minute, "run", "--model", "vdi", "--checks", "10", "--seed", "4", "--parallel", "1", "-v",
		"--progress", "none", "--out", out, "--target", tgt, "--shim-env", "SG_SHIM_TOKEN="+secret)
	if r.code != 0 {
		t.Fatalf("run with --shim-env: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Fatal("the --shim-env value was printed")
	}
	if !strings.Contains(r.stderr, "SG_SHIM_TOKEN") {
		t.Errorf("-v does not name the extra variable: %q", r.stderr)
	}
	data, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if bytes.Contains(data, []byte(secret)) {
		t.Fatal("the --shim-env value is in report.json")
	}
	for _, args := range [][]string{
		{"run", "--out", filepath.Join(out, "x"), "--target", tgt, "--shim-env", "1BAD=" + secret},
		{"run", "--out", filepath.Join(out, "x"), "--target", tgt, "--shim-env", secret},
		{"shim-check", "--target", tgt, "--shim-env", "A-B=" + secret},
		{"run", "--out", filepath.Join(out, "x"), "--shim-env", "GOOD=1"}, // embedded: no child
	} {
		r := specgate(t, time.Minute, args...)
		oneLineUsage(t, r, args, "--shim-env")
		if strings.Contains(r.stderr, secret) {
			t.Errorf("specgate %q printed the value: %q", args, r.stderr)
		}
		assertNothingWritten(t, filepath.Join(out, "x"), args)
	}
}
