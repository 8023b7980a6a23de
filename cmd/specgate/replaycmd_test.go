package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestProgramWords(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module github.com/specgate/specgate\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	goRun := filepath.Join(os.TempDir(), "go-build123456", "b001", "exe", "specgate")
	for _, c := range []struct {
		arg0, cwd string
		want      []string
	}{
		{"bin/specgate", root, []string{"bin/specgate"}},
		{"./specgate", other, []string{"./specgate"}},
		{"/opt/sg/specgate", other, []string{"/opt/sg/specgate"}},
		{"sh", other, []string{"sh"}}, // a bare name found on PATH stays bare
		{"specgate-not-on-path-xyz", other, []string{"specgate"}},
		{goRun, root, []string{"go", "run", "./cmd/specgate"}},
		{goRun, other, []string{"go", "run", "github.com/specgate/specgate/cmd/specgate@latest"}},
	} {
		if got := programWords(c.arg0, c.cwd); !reflect.DeepEqual(got, c.want) {
			t.Errorf("programWords(%q, %s) = %q, want %q", c.arg0, c.cwd, got, c.want)
		}
	}
}

func TestReplayCommandQuotesEveryWord(t *testing.T) {
	got := replayCommandWith("bin/specgate", "out dir/f.json", "vdi:exec:'./my shim' --x",
		[]string{"--control 'http://h:1/c?a=b&c'", "--encoding text"})
	want := `bin/specgate replay 'out dir/f.json' --target 'vdi:exec:'\''./my shim'\'' --x' --control 'http://h:1/c?a=b&c' --encoding text`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := replayCommandWith("bin/specgate", "f.json", "embedded", nil); got != "bin/specgate replay f.json" {
		t.Fatalf("embedded: %s", got)
	}
}

// shell runs line with sh -c in dir and returns its exit code and output.
func shell(t *testing.T, dir, line string, timeout time.Duration) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s: did not finish within %v\n%s", line, timeout, out.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String()
	} else if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return 0, out.String()
}

// runIn runs the specgate binary as "bin/specgate" from dir (the README's
// build step), so os.Args[0] is the relative path a user types.
func runIn(t *testing.T, dir string, timeout time.Duration, args ...string) (int, string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "bin", "specgate")); err != nil {
		if err := os.Symlink(specgateBin, filepath.Join(dir, "bin", "specgate")); err != nil {
			t.Fatal(err)
		}
	}
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return shell(t, dir, "bin/specgate "+strings.Join(q, " "), timeout)
}

// replayLines returns the Replay: commands of a run's terminal output.
func replayLines(out string) []string {
	var cmds []string
	for _, l := range strings.Split(out, "\n") {
		if c, ok := strings.CutPrefix(strings.TrimSpace(l), "Replay: "); ok {
			cmds = append(cmds, c)
		}
	}
	return cmds
}

// TestPrintedReplayCommandPastesAndReproduces runs a mutant net.tcp IPAM
// server reached with --control, --encoding, --via and --settle from
// bin/specgate, and checks that every printed replay command (terminal,
// report.json, failure file) starts with bin/specgate, carries those
// flags, and, pasted into a shell in the same directory, reproduces the
// failure (exit 1).
func TestPrintedReplayCommandPastesAndReproduces(t *testing.T) {
	endpoint, control := startNetTCP(t, "duplicate-complete")
	dir := t.TempDir()
	code, out := runIn(t, dir, 5*time.Minute, "run", "--model", "ipam", "--target", "soap:"+endpoint,
		"--control", control, "--encoding", "text", "--via", endpoint, "--settle", "50ms",
		"--checks", "100", "--steps", "12", "--seed", "6", "--out", "out", "--progress", "none", "--fail-fast")
	if code != 1 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	cmds := replayLines(out)
	if len(cmds) == 0 {
		t.Fatalf("no Replay: line\n%s", out)
	}
	var rep struct {
		Models []struct {
			Divergences []struct {
				Replay string `json:"replay"`
				File   string `json:"file"`
			} `json:"divergences"`
		} `json:"models"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "out", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	files := readFailures(t, filepath.Join(dir, "out"))
	if len(files) == 0 {
		t.Fatal("no failure file")
	}
	all := append([]string{}, cmds...)
	for _, m := range rep.Models {
		for _, d := range m.Divergences {
			all = append(all, d.Replay)
		}
	}
	for _, f := range files {
		all = append(all, f.Replay)
	}
	for _, c := range all {
		for _, want := range []string{"bin/specgate replay ", "--target soap:" + endpoint, "--control " + control,
			"--encoding text", "--via " + endpoint, "--settle 50ms"} {
			if !strings.Contains(c, want) {
				t.Errorf("replay command %q lacks %q", c, want)
			}
		}
	}
	code, rout := shell(t, dir, cmds[0], 2*time.Minute)
	if code != 1 || !strings.Contains(rout, "REPRODUCED") {
		t.Fatalf("pasted %s: exit %d, want 1 (reproduced)\n%s", cmds[0], code, rout)
	}
}

// TestPrintedReplayCommandQuotesExecTarget pastes the replay command of a
// VDI shim target whose command line has spaces and quotes.
func TestPrintedReplayCommandQuotesExecTarget(t *testing.T) {
	dir := t.TempDir()
	tgt := "vdi:exec:'" + specgateBin + "' fixture vdi-shim --mutant 'wrong-code'"
	code, out := runIn(t, dir, 3*time.Minute, "run", "--model", "vdi", "--target", tgt, "--call-timeout", "3s",
		"--checks", "300", "--seed", "1", "--out", "out", "--progress", "none", "--fail-fast", "--parallel", "1")
	if code != 1 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	cmds := replayLines(out)
	if len(cmds) == 0 || !strings.Contains(cmds[0], "--call-timeout 3s") || !strings.HasPrefix(cmds[0], "bin/specgate replay ") {
		t.Fatalf("replay commands %q\n%s", cmds, out)
	}
	if code, rout := shell(t, dir, cmds[0], 2*time.Minute); code != 1 || !strings.Contains(rout, "REPRODUCED") {
		t.Fatalf("pasted %s: exit %d, want 1\n%s", cmds[0], code, rout)
	}
}

// TestReplayCommandCarriesSecurityFlagsNotCredentials: the TLS files and
// the credential's file are passed on, the credential itself never, and
// flags that only shape the search (--checks, --seed) are left out.
func TestReplayCommandCarriesSecurityFlagsNotCredentials(t *testing.T) {
	dir := t.TempDir()
	auth := filepath.Join(dir, "auth")
	if err := os.WriteFile(auth, []byte("Bearer sekrit-token-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(AuthEnv, "")
	rf, err := parseRunFlags([]string{"--target", "soap:https://h:8443/ipam", "--ca-cert", "ca.pem", "--client-cert", "c.pem",
		"--client-key", "k.pem", "--auth-file", auth, "--control", "https://h:8443/control", "--quiescence", "2s",
		"--checks", "7", "--seed", "9", "--profile", "strict"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got := rf.replayCommand("out/f.json", "soap:https://h:8443/ipam")
	for _, want := range []string{" replay out/f.json --target soap:https://h:8443/ipam --profile strict --control https://h:8443/control",
		"--ca-cert ca.pem --client-cert c.pem --client-key k.pem --auth-file " + shellQuote(auth), "--quiescence 2s"} {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q", got, want)
		}
	}
	for _, bad := range []string{"sekrit", "--checks", "--seed"} {
		if strings.Contains(got, bad) {
			t.Errorf("%s contains %q", got, bad)
		}
	}
}

// secretEnv stands in for --shim-env: its String lists names only.
type secretEnv []string

func (e *secretEnv) String() string {
	var n []string
	for _, kv := range *e {
		name, _, _ := strings.Cut(kv, "=")
		n = append(n, name)
	}
	return strings.Join(n, ",")
}
func (e *secretEnv) Set(v string) error { *e = append(*e, v); return nil }

// TestShimEnvIsPassedByName: a --shim-env NAME=VALUE flag (a value that
// may be a secret) is passed on as --shim-env NAME="$NAME", and the
// printed command, run by sh with NAME exported, hands the value over.
func TestShimEnvIsPassedByName(t *testing.T) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var env secretEnv
	fs.Var(&env, "shim-env", "")
	fs.String("control", "", "")
	if err := fs.Parse([]string{"--shim-env", "SG_TOKEN=s3cret value", "--shim-env", "OTHER=1", "--control", "http://h/c"}); err != nil {
		t.Fatal(err)
	}
	got := replayCommandWith("printf '%s\\n'", "f.json", "embedded", setFlags(fs))
	if strings.Contains(got, "s3cret") {
		t.Fatalf("the value is printed: %s", got)
	}
	if !strings.Contains(got, `--control http://h/c --shim-env SG_TOKEN="$SG_TOKEN" --shim-env OTHER="$OTHER"`) {
		t.Fatalf("got %s", got)
	}
	cmd := exec.Command("sh", "-c", got)
	cmd.Env = append(os.Environ(), "SG_TOKEN=s3cret value", "OTHER=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "\nSG_TOKEN=s3cret value\n") {
		t.Fatalf("sh passed %q", out)
	}
}
