package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestToyModelRunsFromTheRegistry: the worked example's one registry line
// makes "run --model toy" work end to end, while "all" leaves it out.
func TestToyModelRunsFromTheRegistry(t *testing.T) {
	dir := t.TempDir()
	r := specgate(t, 2*time.Minute, "run", "--model", "toy", "--checks", "100", "--seed", "1",
		"--out", filepath.Join(dir, "toy"), "--progress", "none")
	if r.code != ExitConformant || !strings.Contains(r.stdout, "toy: 100 checks") || !strings.Contains(r.stdout, "cells 6/6") {
		t.Fatalf("run --model toy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	rep := readReport(t, filepath.Join(dir, "toy", "report.json"))
	if len(rep.Models) != 1 || rep.Models[0].Name != "toy" || rep.Models[0].Coverage.Clauses["toy/lock/busy"] == 0 {
		t.Errorf("report: %+v", rep.Models)
	}
	r = specgate(t, 2*time.Minute, "run", "--checks", "5", "--seed", "1", "--out", filepath.Join(dir, "all"), "--progress", "none")
	if strings.Contains(r.stdout, "toy:") {
		t.Errorf("run --model all ran the toy model:\n%s", r.stdout)
	}
}
