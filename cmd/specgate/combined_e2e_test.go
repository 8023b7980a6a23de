package main

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/failfile"
	"github.com/specgate/specgate/internal/report"
)

// combinedVDIRun runs the VDI model against addr (a TCP shim) and returns
// the exit code and failure files.
func combinedVDIRun(t *testing.T, addr string, extra ...string) (result, []*failfile.File, string) {
	t.Helper()
	out := t.TempDir()
	args := append([]string{"run", "--model", "vdi", "--profile", "documented", "--seed", "3", "--checks", "8000",
		"--max-failures", "60", "--target", "vdi:tcp://" + addr, "--out", out, "--progress", "none"}, extra...)
	r := specgate(t, 8*time.Minute, args...)
	return r, readFailures(t, out), out
}

// findMinimum returns the failure showing mi's documented signature at its
// minimum, or nil.
func findMinimum(files []*failfile.File, clause, cell string, minLen int) *failfile.File {
	for _, f := range files {
		if f.Divergence.Clause == clause && (cell == "" || f.Divergence.Cell == cell) && len(f.Sequence) == minLen {
			return f
		}
	}
	return nil
}

// TestCombinedVDIEveryBugReported: one run against a shim with every bug of
// vdiref.Combined planted (two shallow ones that nearly every sequence
// hits, three of 7-8 steps) reports every one, each verified and shrunk to
// its own documented minimum in its own cell. With the shallow ones in a
// baseline, the run still reports the others and exits 1.
func TestCombinedVDIEveryBugReported(t *testing.T) {
	addr := startTCPShim(t, "--mutant", "combined")
	r, files, out := combinedVDIRun(t, addr)
	if r.code != ExitDivergence {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	var shallow []failfile.File
	for _, name := range strings.Split(vdiref.Combined, ",") {
		mi, _ := vdiref.LookupMutant(name)
		f := findMinimum(files, mi.Shows, mi.Cell, mi.MinLen)
		if f == nil {
			t.Errorf("%s (MinLen %d, %s in %s) not reported at its minimum", name, mi.MinLen, mi.Shows, mi.Cell)
			continue
		}
		if f.Class != engine.ClassConfirmed || f.Reproduced != f.Verify || f.Verify != engine.DefaultVerify {
			t.Errorf("%s: class %s reproduced %d/%d", name, f.Class, f.Reproduced, f.Verify)
		}
		if mi.MinLen <= 3 {
			shallow = append(shallow, *f)
		}
	}
	if t.Failed() {
		t.Logf("stdout:\n%s", r.stdout)
		return
	}
	rep := readReport(t, filepath.Join(out, "report.json"))
	if len(rep.Models[0].Fenced) == 0 {
		t.Error("no call was fenced although shallow divergences stop sequences")
	}
	// Baseline the shallow ones: the rest is still reported, exit 1.
	b := &report.BaselineFile{Schema: report.BaselineSchema, SchemaVersion: report.BaselineSchemaVersion}
	for _, f := range shallow {
		d := f.Divergence
		b.Deviations = append(b.Deviations, report.Deviation{Model: "vdi", Clause: d.Clause, Kind: d.Kind,
			Expected: d.Expected, Observed: d.Observed, Reason: "shallow bugs accepted for this test"})
	}
	base := filepath.Join(t.TempDir(), "baseline.json")
	if err := b.Write(base); err != nil {
		t.Fatal(err)
	}
	r2, files2, out2 := combinedVDIRun(t, addr, "--baseline", base)
	if r2.code != ExitDivergence {
		t.Fatalf("with the shallow bugs baselined: exit %d, want 1\n%s", r2.code, r2.stdout)
	}
	for _, name := range strings.Split(vdiref.Combined, ",") {
		mi, _ := vdiref.LookupMutant(name)
		if mi.MinLen > 3 && findMinimum(files2, mi.Shows, mi.Cell, mi.MinLen) == nil {
			t.Errorf("with the shallow bugs baselined, %s is no longer reported at its minimum", name)
		}
	}
	rep2 := readReport(t, filepath.Join(out2, "report.json"))
	if rep2.Baseline == nil || len(rep2.Baseline.Known) < len(shallow) || len(rep2.Baseline.New) == 0 {
		t.Errorf("baseline summary %+v", rep2.Baseline)
	}
}

// TestCombinedIPAMEveryBugReported: likewise for an IPAM server with every
// bug of ipamref.Combined planted.
func TestCombinedIPAMEveryBugReported(t *testing.T) {
	out := t.TempDir()
	args := append([]string{"run", "--model", "ipam", "--profile", "documented", "--seed", "4", "--checks", "1500", "--steps", "16",
		"--max-failures", "60", "--settle", "20ms", "--quiescence", "1s", "--out", out, "--progress", "none"},
		ipamTarget(t, "documented", "combined")...)
	r := specgate(t, 8*time.Minute, args...)
	if r.code != ExitDivergence {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	files := readFailures(t, out)
	names := strings.Split(ipamref.Combined, ",")
	if len(names) < 4 {
		t.Fatalf("ipamref.Combined has %d bugs, want at least 4", len(names))
	}
	for _, name := range names {
		mi, _ := ipamref.LookupMutant(name)
		if findMinimum(files, mi.Reported(), "", mi.MinLen) == nil {
			t.Errorf("%s (MinLen %d, %s) not reported at its minimum", name, mi.MinLen, mi.Reported())
		}
	}
	if t.Failed() {
		t.Logf("stdout:\n%s", r.stdout)
	}
}

// comparable strips what legitimately differs between two runs of one
// seed from a failure file: the target address and the replay command.
func comparable(t *testing.T, files []*failfile.File) []string {
	t.Helper()
	var out []string
	for _, f := range files {
		c := *f
		c.Target, c.Replay, c.Path = "", "", ""
		c.Transcript = nil // the wire lines name the connection's set only, but keep the check simple
		js, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(js))
	}
	return out
}

// TestSameSeedThroughADelayingRelay: the same seed run 5 times through a
// TCP relay that adds random delay, with 2 sequences in flight, gives the
// same failure files every time, equal to a run at --parallel 1 without
// the relay. The six runs are processes that mostly wait on the relay, so
// they run at once (goroutines, not subtests: -parallel would cap them at
// GOMAXPROCS), each on a shim of its own (runs of one seed name the same
// device sets).
func TestSameSeedThroughADelayingRelay(t *testing.T) {
	const relayed = 5
	targets := []string{startTCPShim(t, "--mutant", "combined")}
	for range relayed {
		targets = append(targets, startDelayRelay(t, startTCPShim(t, "--mutant", "combined"), 300*time.Microsecond))
	}
	outs := make([]string, len(targets))
	runs := make([]result, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, target := range targets {
		outs[i] = t.TempDir()
		parallel := "2"
		if i == 0 {
			parallel = "1"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			runs[i], errs[i] = runSpecgate(8*time.Minute, "run", "--model", "vdi", "--profile", "documented", "--seed", "9", "--checks", "600",
				"--max-failures", "60", "--target", "vdi:tcp://"+target, "--parallel", parallel, "--out", outs[i], "--progress", "none")
		}()
	}
	wg.Wait()
	got := make([][]string, len(targets))
	for i := range targets {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if r := runs[i]; r.code != ExitDivergence {
			t.Fatalf("run %d: exit %d\n%s%s", i, r.code, r.stdout, r.stderr)
		}
		got[i] = comparable(t, readFailures(t, outs[i]))
	}
	want := got[0]
	if len(want) < 5 {
		t.Fatalf("only %d failures", len(want))
	}
	for i := 1; i < len(got); i++ {
		if !reflect.DeepEqual(got[i], want) {
			t.Fatalf("run %d through the relay differs from the --parallel 1 run:\n%s\nwant\n%s", i,
				strings.Join(got[i], "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestUnreproducibleFailuresAreClassified: a nondeterministic SUT is
// reported flaky with k/K; a SUT whose sets share state is reported
// concurrent-only; a shim that answers every 50th call with a wrong id
// yields one transport failure with its rate.
func TestUnreproducibleFailuresAreClassified(t *testing.T) {
	t.Run("flaky", func(t *testing.T) {
		t.Parallel()
		addr := startTCPShim(t, "--mutant", "flaky")
		r, files, _ := combinedVDIRun(t, addr, "--parallel", "1")
		if r.code != ExitDivergence || len(files) != 1 {
			t.Fatalf("exit %d, %d failures\n%s", r.code, len(files), r.stdout)
		}
		f := files[0]
		if f.Class != engine.ClassFlaky || f.Reproduced >= f.Verify || len(f.Sequence) != f.OriginalLength || len(f.Transcript) == 0 {
			t.Fatalf("class %s reproduced %d/%d, %d of %d steps, transcript %v", f.Class, f.Reproduced, f.Verify, len(f.Sequence), f.OriginalLength, f.Transcript)
		}
		if !strings.Contains(r.stdout, "flaky reproduced") {
			t.Errorf("the terminal does not say flaky k/K:\n%s", r.stdout)
		}
	})
	t.Run("concurrent-only", func(t *testing.T) {
		t.Parallel()
		addr := startTCPShim(t, "--mutant", "shared-state")
		r, files, _ := combinedVDIRun(t, addr, "--parallel", "2")
		if r.code != ExitDivergence || len(files) == 0 {
			t.Fatalf("exit %d, %d failures\n%s", r.code, len(files), r.stdout)
		}
		for _, f := range files {
			if f.Class != engine.ClassConcurrentOnly || f.Reproduced != 0 {
				t.Errorf("%s: class %s reproduced %d/%d", f.Divergence.Cell, f.Class, f.Reproduced, f.Verify)
			}
		}
		// Alone, it cannot show.
		if r, files, _ := combinedVDIRun(t, addr, "--parallel", "1", "--checks", "500"); r.code != 0 || len(files) != 0 {
			t.Errorf("serial run: exit %d, %d failures", r.code, len(files))
		}
	})
	t.Run("wrong-id-every-50", func(t *testing.T) {
		t.Parallel()
		addr := startFixture(t, "fixture", "chaos-vdi", "--mode", "wrong-id%50", "--listen", "127.0.0.1:0")
		r, files, out := combinedVDIRun(t, addr, "--parallel", "1", "--checks", "800")
		if len(files) != 1 || !engine.IsTransport(files[0].Divergence.Kind) {
			var kinds []string
			for _, f := range files {
				kinds = append(kinds, f.Divergence.Kind+" "+f.Divergence.Clause)
			}
			t.Fatalf("exit %d: %d failures %v, want one transport failure\n%s", r.code, len(files), kinds, r.stdout)
		}
		rep := readReport(t, filepath.Join(out, "report.json"))
		faults := rep.Models[0].Faults
		if len(faults) != 1 || faults[0].Occurrences < 10 || faults[0].Rate <= 0.005 || faults[0].Rate > 0.1 {
			t.Fatalf("faults %+v, want one kind hit many times at about 1 in 50 calls", faults)
		}
		if !strings.Contains(r.stdout, "transport fault") {
			t.Errorf("the terminal does not report the transport fault rate:\n%s", r.stdout)
		}
	})
}
