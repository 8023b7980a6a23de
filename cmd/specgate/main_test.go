package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/failfile"
)

// specgateBin is the specgate binary built once for the end-to-end tests.
var specgateBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "specgate-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	specgateBin = filepath.Join(dir, "specgate")
	build := exec.Command("go", "build", "-o", specgateBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build specgate:", err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result of one specgate invocation.
type result struct {
	code           int
	stdout, stderr string
}

func specgate(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	r, err := runSpecgate(timeout, args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// runSpecgate is specgate for any goroutine: it reports a run that did
// not finish or start as an error instead of failing the test.
func runSpecgate(timeout time.Duration, args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, specgateBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		return result{}, fmt.Errorf("specgate %v: did not finish within %v\nstdout:\n%s", args, timeout, out.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		return result{}, fmt.Errorf("specgate %v: %w", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}, nil
}

func readFailures(t *testing.T, dir string) []*failfile.File {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "failures", "*.json"))
	var out []*failfile.File
	for _, p := range paths {
		f, err := failfile.Read(p, validAction)
		if err != nil {
			t.Fatalf("failure file %s: %v", p, err)
		}
		out = append(out, f)
	}
	return out
}

// startTCPShim starts "specgate fixture vdi-shim --listen 127.0.0.1:0" and
// returns its address; the process is stopped when the test ends.
func startTCPShim(t *testing.T, extra ...string) string {
	t.Helper()
	return startFixture(t, append([]string{"fixture", "vdi-shim", "--listen", "127.0.0.1:0"}, extra...)...)
}

// startFixture runs "specgate fixture ..." that prints "listening on ADDR"
// and returns ADDR; the process is stopped when the test ends.
func startFixture(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(specgateBin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				lines <- a
			}
		}
		close(lines)
	}()
	select {
	case a, ok := <-lines:
		if !ok {
			t.Fatal("tcp shim exited before listening")
		}
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("tcp shim did not start listening")
	}
	return ""
}

func TestExitCodesAndHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--help"}, 0, "Exit codes"},
		{[]string{"run", "--help"}, 0, "-checks"},
		{[]string{"replay", "--help"}, 0, "Exit status"},
		{[]string{"models", "--help"}, 0, "ambiguities"},
		{[]string{"fixture", "--help"}, 0, "vdi-shim"},
		{[]string{}, 2, ""},
		{[]string{"frobnicate"}, 2, ""},
		{[]string{"run", "--model", "nosuch"}, 2, ""},
		{[]string{"run", "--profile", "lax"}, 2, ""},
		{[]string{"run", "--target", "ftp://x"}, 2, ""},
		{[]string{"run", "--checks", "0"}, 2, ""},
		{[]string{"run", "--target", "vdi:tcp://127.0.0.1:1"}, 3, ""},
		{[]string{"run", "--target", "vdi:exec:/nonexistent/shim"}, 3, ""},
		{[]string{"replay"}, 2, ""},
		{[]string{"replay", "/nonexistent.json"}, 2, ""},
	} {
		r := specgate(t, time.Minute, tc.args...)
		if r.code != tc.code {
			t.Errorf("specgate %v: exit %d, want %d\nstderr: %s", tc.args, r.code, tc.code, r.stderr)
		}
		if tc.code == 2 || tc.code == 3 {
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 && len(tc.args) > 0 {
				t.Errorf("specgate %v: error is not one line: %q", tc.args, r.stderr)
			}
			if !strings.HasPrefix(r.stderr, "specgate: ") && len(tc.args) > 0 {
				t.Errorf("specgate %v: stderr %q lacks the specgate: prefix", tc.args, r.stderr)
			}
		}
		if tc.out != "" && !strings.Contains(r.stdout+r.stderr, tc.out) {
			t.Errorf("specgate %v: output lacks %q", tc.args, tc.out)
		}
	}
}

func TestModelsListsClausesAndAmbiguities(t *testing.T) {
	r := specgate(t, time.Minute, "models", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var infos []struct {
		Name        string
		Clauses     []struct{ ID string }
		Ambiguities []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &infos); err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for _, inf := range infos {
		byName[inf.Name] = len(inf.Clauses)
		if len(inf.Ambiguities) == 0 {
			t.Errorf("%s lists no ambiguities", inf.Name)
		}
	}
	if byName["vdi"] < 42 {
		t.Fatalf("vdi lists %d clauses, want at least the 42 cells", byName["vdi"])
	}
	if !strings.Contains(specgate(t, time.Minute, "models").stdout, "vdi/client-table/Active/GetCommand") {
		t.Fatal("text listing lacks the Active/GetCommand cell")
	}
}
