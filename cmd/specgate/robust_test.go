package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/failfile"
)

// TestSIGKILLKeepsFailureFiles kills a real specgate process mid-run: every
// failure file written before the kill is intact and replayable.
func TestSIGKILLKeepsFailureFiles(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(specgateBin, "run", "--model", "vdi", "--checks", "100000000", "--seed", "21",
		"--target", mutantTarget("double-create"), "--out", dir, "--progress", "none")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	var files []string
	for time.Now().Before(deadline) {
		files, _ = filepath.Glob(filepath.Join(dir, "failures", "*.json"))
		if len(files) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(files) == 0 {
		t.Fatal("no failure file appeared")
	}
	time.Sleep(300 * time.Millisecond) // let the run go on fuzzing
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	files, _ = filepath.Glob(filepath.Join(dir, "failures", "*.json"))
	for _, f := range files {
		ff, err := failfile.Read(f, validAction)
		if err != nil {
			t.Fatalf("failure file damaged by SIGKILL: %v", err)
		}
		r := specgate(t, time.Minute, "replay", f)
		if r.code != 1 || !strings.Contains(r.stdout, "REPRODUCED") {
			t.Fatalf("replay of %s after SIGKILL: exit %d\n%s", ff.Name(), r.code, r.stdout)
		}
	}
}

// TestBadInput: every bad input gets one clear line on stderr, exit code 2,
// and no output directory is created.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"schema":"specgate/failure","schemaVersion":1,"specgateVersion":"0.1.0","model":"vdi","profile":"strict","target":"embedded","seed":1,"check":0,"checkSeed":1,"originalLength":1,"steps":["Close()"],"sequence":[{"op":"Close","idx":-1}],"divergence":{"kind":"divergence","clause":"x","cell":"","step":0,"action":"","expected":null,"observed":""},"replay":""}`), 0o644)
	files := map[string]string{
		"corrupt.json":  `{"schema":"specgate/failure","schemaVersion":1,"model":`,
		"foreign.json":  `{"name":"package.json","version":"1.0.0"}`,
		"newer.json":    strings.Replace(mustRead(t, good), `"schemaVersion":1`, `"schemaVersion":7`, 1),
		"alien.json":    strings.Replace(mustRead(t, good), `"op":"Close"`, `"op":"FormatDisk"`, 1),
		"baseline.json": `{"schema":"specgate/baseline","schemaVersion":1,"deviations":[{"model":"vdi"}]}`,
	}
	for name, data := range files {
		os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644)
	}
	out := filepath.Join(dir, "never")
	cases := map[string][]string{
		"invalid target":            {"run", "--target", "gopher://x"},
		"invalid URL":               {"run", "--target", "soap:http//nohost"},
		"unknown model":             {"run", "--model", "smtp"},
		"model not for target":      {"run", "--model", "ipam", "--target", "vdi:tcp://127.0.0.1:9"},
		"unknown profile":           {"run", "--profile", "lenient"},
		"corrupt failure file":      {"replay", filepath.Join(dir, "corrupt.json")},
		"foreign failure file":      {"replay", filepath.Join(dir, "foreign.json")},
		"newer failure file":        {"replay", filepath.Join(dir, "newer.json")},
		"unknown action":            {"replay", filepath.Join(dir, "alien.json")},
		"bad baseline":              {"run", "--baseline", filepath.Join(dir, "baseline.json")},
		"missing baseline":          {"run", "--baseline", filepath.Join(dir, "nope.json")},
		"shard without seed":        {"run", "--shard", "0/2"},
		"shard out of range":        {"run", "--shard", "2/2", "--seed", "1"},
		"negative budget":           {"run", "--budget", "-1s"},
		"coverage above one":        {"run", "--min-coverage", "1.5"},
		"client cert without key":   {"run", "--model", "ipam", "--client-cert", good},
		"bad flag":                  {"run", "--no-such-flag"},
		"corpus is not a directory": {"run", "--corpus", good},
	}
	for name, args := range cases {
		args := append(args, "--out", out)
		if args[0] == "replay" {
			args = args[:len(args)-2]
		}
		r := specgate(t, time.Minute, args...)
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", name, r.code, r.stderr)
			continue
		}
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "specgate: ") {
			t.Errorf("%s: stderr is not one specgate: line: %q", name, r.stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s: output directory created on a usage error", name)
		}
	}
	// An unreachable host is exit 3, one line.
	r := specgate(t, time.Minute, "run", "--model", "ipam", "--target", "soap:http://127.0.0.1:1/ipam", "--out", out, "--call-timeout", "500ms")
	if r.code != 3 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("unreachable host: exit %d stderr %q", r.code, r.stderr)
	}
}

func mustRead(t *testing.T, p string) string {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
