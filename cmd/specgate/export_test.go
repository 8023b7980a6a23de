package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/failfile"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/ipam"
)

// needTool returns the path of a tool the reproducer tests run; without
// it they are skipped, except under CI=true where a missing tool fails.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found in PATH: the export reproducer tests need it (CI=true)", name)
		}
		t.Skipf("SKIP: %s not found in PATH: the export reproducer test cannot run it", name)
	}
	return p
}

// mutantFailure runs specgate with --fail-fast against the exec shim of
// mutant and returns the path of the failure file it wrote.
func mutantFailure(t *testing.T, mutant, profile, callTimeout string) string {
	t.Helper()
	out := t.TempDir()
	r := specgate(t, 3*time.Minute, "run", "--model", "vdi", "--profile", profile, "--seed", "1",
		"--checks", "2000", "--fail-fast", "--call-timeout", callTimeout, "--progress", "none",
		"--target", "vdi:exec:"+specgateBin+" fixture vdi-shim --mutant "+mutant, "--out", out)
	if r.code != ExitDivergence && r.code != ExitUnreachable {
		t.Fatalf("run against mutant %s: exit %d\n%s%s", mutant, r.code, r.stdout, r.stderr)
	}
	paths, _ := filepath.Glob(filepath.Join(out, "failures", "*.json"))
	for _, p := range paths {
		// An inconclusive result (a stimulus the mutant's wrong state
		// refused) does not stop --fail-fast; the divergence is the one.
		if f, err := failfile.Read(p, validAction); err == nil && f.Divergence.Kind != engine.KindInconclusive {
			return p
		}
	}
	t.Fatalf("no failure file for mutant %s\n%s", mutant, r.stdout)
	return ""
}

// runTool runs name with args in dir (bounded) and returns its exit code
// and combined output.
func runTool(t *testing.T, timeout time.Duration, dir string, env []string, name string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not finish within %v\n%s", name, args, timeout, out.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	} else if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return 0, out.String()
}

// TestExportVDIScriptReproduces exports a failure of every VDI mutant as
// a vdi-script and runs its run.py: it must report the mismatch at the
// failing step against the mutant (exit 1) and pass against the reference
// (exit 0), over exec, and over TCP for one mutant.
func TestExportVDIScriptReproduces(t *testing.T) {
	py := needTool(t, "python3")
	for _, mi := range vdiref.Mutants {
		profile := mi.Profiles[len(mi.Profiles)-1]
		t.Run(mi.Name+"/"+profile, func(t *testing.T) {
			t.Parallel()
			callTimeout := "5s"
			if mi.Kind == vdiref.KindHang {
				callTimeout = "1s"
			}
			ff := mutantFailure(t, mi.Name, profile, callTimeout)
			f, err := failfile.Read(ff, validAction)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "repro")
			if r := specgate(t, time.Minute, "export", ff, "--format", "vdi-script", "--out", dir); r.code != 0 {
				t.Fatalf("export: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			runPy := filepath.Join(dir, "run.py")
			mutant := specgateBin + " fixture vdi-shim --mutant " + mi.Name
			code, out := runTool(t, time.Minute, dir, nil, py, runPy, "--exec", mutant, "--call-timeout", "2")
			want := fmt.Sprintf("MISMATCH at step %d/%d", f.Divergence.Step, len(f.Sequence))
			if code != 1 || !strings.Contains(out, want) {
				t.Fatalf("run.py against the mutant: exit %d, want 1 and %q\n%s", code, want, out)
			}
			code, out = runTool(t, time.Minute, dir, nil, py, runPy, "--exec", specgateBin+" fixture vdi-shim")
			if code != 0 || !strings.Contains(out, "PASS") {
				t.Fatalf("run.py against the reference: exit %d, want 0\n%s", code, out)
			}
			if mi.Name != "lifo" {
				return
			}
			for tgt, wantCode := range map[string]int{startTCPShim(t, "--mutant", mi.Name): 1, startTCPShim(t): 0} {
				code, out = runTool(t, time.Minute, dir, nil, py, runPy, "--tcp", tgt)
				if code != wantCode {
					t.Errorf("run.py --tcp %s: exit %d, want %d\n%s", tgt, code, wantCode, out)
				}
			}
		})
	}
}

// TestExportGoTestReproduces exports a failure as a go-test file, puts it
// in a temporary module that replaces specgate by this repository
// (offline: GOPROXY=off) and runs go test: it must fail against the
// mutant the failure came from and pass against the reference.
func TestExportGoTestReproduces(t *testing.T) {
	goTool := needTool(t, "go")
	ff := mutantFailure(t, "lifo", "strict", "5s")
	dir := t.TempDir()
	if r := specgate(t, time.Minute, "export", ff, "--format", "go-test", "--out", filepath.Join(dir, "repro_test.go")); r.code != 0 {
		t.Fatalf("export: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	mod := "module example.com/vendorci\n\ngo 1.26.8\n\nrequire github.com/specgate/specgate v0.0.0\n\nreplace github.com/specgate/specgate => " + repo + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off"}
	code, out := runTool(t, 4*time.Minute, dir, env, goTool, "test", "-count=1", ".")
	if code == 0 || !strings.Contains(out, "diverges: divergence at step") {
		t.Fatalf("go test against the mutant: exit %d, want a failing test\n%s", code, out)
	}
	env = append(env, "SPECGATE_TARGET=vdi:exec:"+specgateBin+" fixture vdi-shim")
	code, out = runTool(t, 4*time.Minute, dir, env, goTool, "test", "-count=1", ".")
	if code != 0 {
		t.Fatalf("go test against the reference: exit %d, want 0\n%s", code, out)
	}
}

// TestExportBadInput: a bad format, flag or file, or a failure of a
// model the format does not drive, is one line on stderr and exit 2.
func TestExportBadInput(t *testing.T) {
	dir := t.TempDir()
	vdiFile := writeFailure(t, dir, "vdi", []models.Action{{Op: "Create", Idx: -1, Arg: 1}})
	ipamFile := writeFailure(t, dir, "ipam", []models.Action{ipam.Alphabet(false)[0]})
	cases := map[string][]string{
		"unknown format":      {"export", vdiFile, "--format", "pcap"},
		"missing format":      {"export", vdiFile},
		"missing file":        {"export", "--format", "vdi-script"},
		"no such file":        {"export", filepath.Join(dir, "nope.json"), "--format", "vdi-script"},
		"ipam to vdi-script":  {"export", ipamFile, "--format", "vdi-script"},
		"ipam to go-test":     {"export", ipamFile, "--format", "go-test"},
		"vdi to ipam-curl":    {"export", vdiFile, "--format", "ipam-curl"},
		"bad flag":            {"export", vdiFile, "--format", "vdi-script", "--nope"},
		"out is a file (dir)": {"export", vdiFile, "--format", "vdi-script", "--out", vdiFile},
		"go-test not _test":   {"export", vdiFile, "--format", "go-test", "--out", filepath.Join(dir, "x.go")},
		"bad package":         {"export", vdiFile, "--format", "go-test", "--package", "a-b", "--out", filepath.Join(dir, "x_test.go")},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			r := specgate(t, time.Minute, args...)
			if r.code != ExitUsage {
				t.Fatalf("exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
			}
			if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "specgate: export: ") {
				t.Fatalf("want one line \"specgate: export: ...\", got:\n%s", r.stderr)
			}
		})
	}
}

func writeFailure(t *testing.T, dir, model string, seq []models.Action) string {
	t.Helper()
	f := failfile.FromFailure(engine.Failure{Model: model, Profile: "strict", Seed: 1, Sequence: seq,
		Divergence: engine.Divergence{Kind: engine.KindDivergence, Clause: model + "/x", Step: 1, Action: seq[0].String()}}, "embedded", "test")
	sub := filepath.Join(dir, model)
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := f.Write(sub, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
