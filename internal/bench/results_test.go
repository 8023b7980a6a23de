package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"
)

// result is the last (reported) run of one benchmark.
type result struct {
	Name        string             `json:"name"`
	N           int                `json:"n"`
	NsPerOp     float64            `json:"nsPerOp"`
	StepsPerSec float64            `json:"stepsPerSec,omitempty"`
	Metrics     map[string]float64 `json:"metrics,omitempty"`
}

var (
	resMu sync.Mutex
	// results holds, per benchmark, the reported run of each -count
	// repetition.
	results = map[string][]*result{}
)

// recordSteps reports steps/s for a benchmark that executed steps steps
// in b.Elapsed() and keeps the result for the table. The testing package
// calls a benchmark function several times with growing b.N; the last
// call is the one it reports, and the one kept here.
// extra holds further metrics (already reported by the caller or not:
// recordSteps reports them).
func recordSteps(b *testing.B, steps int, extra ...map[string]float64) {
	b.Helper()
	el := b.Elapsed()
	sps := 0.0
	if el > 0 {
		sps = float64(steps) / el.Seconds()
	}
	b.ReportMetric(sps, "steps/s")
	var metrics map[string]float64
	for _, m := range extra {
		for k, v := range m {
			if metrics == nil {
				metrics = map[string]float64{}
			}
			metrics[k] = v
			b.ReportMetric(v, k)
		}
	}
	keep(b, sps, metrics)
}

// keep records a benchmark's result (and extra metrics, already reported
// with b.ReportMetric) for the table. Within one -count repetition the
// testing package calls the benchmark with growing b.N and reports the
// last call; a b.N that does not grow starts the next repetition.
func keep(b *testing.B, stepsPerSec float64, metrics map[string]float64) {
	el := b.Elapsed()
	r := &result{Name: b.Name(), N: b.N, NsPerOp: float64(el.Nanoseconds()) / float64(max(b.N, 1)),
		StepsPerSec: stepsPerSec, Metrics: metrics}
	resMu.Lock()
	defer resMu.Unlock()
	rs := results[r.Name]
	if n := len(rs); n > 0 && r.N > rs[n-1].N {
		rs[n-1] = r
	} else {
		results[r.Name] = append(rs, r)
	}
}

// medianRate returns the median steps/s of a benchmark's repetitions.
func medianRate(rs []*result) float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = r.StepsPerSec
	}
	return medianOf(xs)
}

func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// pairRatio is the median of the per-repetition ratios harness/raw when
// both ran the same number of times, else the ratio of the medians.
func pairRatio(h, r []*result) float64 {
	if len(h) == len(r) {
		xs := make([]float64, 0, len(h))
		for i := range h {
			if r[i].StepsPerSec > 0 {
				xs = append(xs, h[i].StepsPerSec/r[i].StepsPerSec)
			}
		}
		return medianOf(xs)
	}
	if m := medianRate(r); m > 0 {
		return medianRate(h) / m
	}
	return 0
}

// rowDef is one line of the table: harness steps/s over raw steps/s,
// compared with a target ratio (0: informational).
type rowDef struct {
	Label, Harness, Raw string
	Target              float64
}

var rowDefs = []rowDef{
	{"in-process: engine / bare rapid", "BenchmarkInProcess/engine", "BenchmarkInProcess/bare-rapid", 0.33},
	{"exec shim p1 / raw pipe", "BenchmarkExecShim/harness-p1", "BenchmarkExecShim/raw-pipe", 0.60},
	{"tcp shim p1 / raw socket", "BenchmarkTCPShim/harness-p1", "BenchmarkTCPShim/raw-socket", 0},
	{"SOAP p1 / raw HTTP", "BenchmarkSOAP/harness-p1", "BenchmarkSOAP/raw-http", 0.50},
	{"exec shim scaling p4 / p1", "BenchmarkExecShim/harness-p4", "BenchmarkExecShim/harness-p1", 1.6},
	{"tcp shim scaling p4 / p1", "BenchmarkTCPShim/harness-p4", "BenchmarkTCPShim/harness-p1", 1.6},
	{"SOAP scaling p4 / p1", "BenchmarkSOAP/harness-p4", "BenchmarkSOAP/harness-p1", 1.6},
	{"exec shim scaling p2 / p1", "BenchmarkExecShim/harness-p2", "BenchmarkExecShim/harness-p1", 0},
	{"tcp shim scaling p2 / p1", "BenchmarkTCPShim/harness-p2", "BenchmarkTCPShim/harness-p1", 0},
	{"SOAP scaling p2 / p1", "BenchmarkSOAP/harness-p2", "BenchmarkSOAP/harness-p1", 0},
	{"machine ceiling: raw pipe p4 / p1", "BenchmarkExecShim/raw-pipe-p4", "BenchmarkExecShim/raw-pipe", 0},
	{"machine ceiling: raw socket p4 / p1", "BenchmarkTCPShim/raw-socket-p4", "BenchmarkTCPShim/raw-socket", 0},
	{"tcp shim in-process server p1 / raw socket", "BenchmarkTCPShim/harness-p1-inproc", "BenchmarkTCPShim/raw-socket-inproc", 0},
	{"tcp shim in-process server p4 / p1", "BenchmarkTCPShim/harness-p4-inproc", "BenchmarkTCPShim/harness-p1-inproc", 0},
	{"machine ceiling: in-process raw socket p4 / p1", "BenchmarkTCPShim/raw-socket-inproc-p4", "BenchmarkTCPShim/raw-socket-inproc", 0},
	{"SOAP one vendor server p4 / p1 (informational)", "BenchmarkSOAP/harness-p4-1server", "BenchmarkSOAP/harness-p1", 0},
	{"net.tcp binary / HTTP text (p1, reference)", "BenchmarkNetTCP/binary-p1", "BenchmarkNetTCP/http-text-p1", 0},
	{"net.tcp text / HTTP text (p1, reference)", "BenchmarkNetTCP/text-p1", "BenchmarkNetTCP/http-text-p1", 0},
}

// Row is one line of latest.json.
type Row struct {
	Row                string  `json:"row"`
	Harness            string  `json:"harness"`
	Raw                string  `json:"raw"`
	HarnessStepsPerSec float64 `json:"harnessStepsPerSec"`
	RawStepsPerSec     float64 `json:"rawStepsPerSec"`
	Ratio              float64 `json:"ratio"`
	Target             float64 `json:"target,omitempty"`
	Runs               int     `json:"runs"` // -count repetitions (medians over them)
	Met                *bool   `json:"met,omitempty"`
}

// Machine describes where the numbers were measured.
type Machine struct {
	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"numCPU"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	CPU        string `json:"cpu"`
	GoVersion  string `json:"goVersion"`
}

// Report is latest.json.
type Report struct {
	Date       string    `json:"date"`
	Machine    Machine   `json:"machine"`
	Rows       []Row     `json:"rows"`
	Benchmarks []*result `json:"benchmarks"`
}

func machine() Machine {
	return Machine{GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), GOOS: runtime.GOOS,
		GOARCH: runtime.GOARCH, CPU: cpuModel(), GoVersion: runtime.Version()}
}

// cpuModel returns the first "model name" of /proc/cpuinfo ("" elsewhere).
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// reportDir returns <module root>/reports/bench.
func reportDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "reports", "bench"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

func fmtRate(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

// writeTable prints the ratio table and writes reports/bench/latest.json
// and latest.txt (the benchmark lines, for benchstat).
func writeTable(w io.Writer) error {
	resMu.Lock()
	defer resMu.Unlock()
	if len(results) == 0 {
		fmt.Fprintln(w, "bench table: no benchmark results (run with -bench)")
		return nil
	}
	rep := Report{Date: time.Now().UTC().Format(time.RFC3339), Machine: machine()}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\nspecgate benchmarks, steps/s, medians over -count (%s/%s, GOMAXPROCS=%d, %s)\n", rep.Machine.GOOS, rep.Machine.GOARCH,
		rep.Machine.GOMAXPROCS, rep.Machine.CPU)
	header := false
	for _, d := range rowDefs {
		h, r := results[d.Harness], results[d.Raw]
		if h == nil && r == nil {
			continue
		}
		row := Row{Row: d.Label, Harness: d.Harness, Raw: d.Raw, Target: d.Target,
			HarnessStepsPerSec: math.Round(medianRate(h)), RawStepsPerSec: math.Round(medianRate(r)), Runs: min(len(h), len(r))}
		ratio, target := "-", "info"
		if row.HarnessStepsPerSec > 0 && row.RawStepsPerSec > 0 {
			row.Ratio = math.Round(pairRatio(h, r)*1000) / 1000
			ratio = fmt.Sprintf("%.3f", row.Ratio)
		}
		if d.Target > 0 {
			target = fmt.Sprintf(">= %.2f", d.Target)
			if row.Ratio > 0 {
				met := row.Ratio >= d.Target
				row.Met = &met
				if met {
					target += " met"
				} else {
					target += " NOT MET"
				}
			}
		}
		rep.Rows = append(rep.Rows, row)
		if !header {
			fmt.Fprintln(tw, "row\tharness\traw\tratio\ttarget")
			header = true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Label, fmtRate(row.HarnessStepsPerSec), fmtRate(row.RawStepsPerSec), ratio, target)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	names := make([]string, 0, len(results))
	for n := range results {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		rep.Benchmarks = append(rep.Benchmarks, results[n]...)
		if m := results[n][len(results[n])-1].Metrics; len(m) > 0 {
			fmt.Fprintf(w, "%s:", n)
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(w, " %s=%.4g", k, m[k])
			}
			fmt.Fprintln(w)
		}
	}

	dir, err := reportDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "latest.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "latest.txt"), []byte(benchLines(rep)), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s and latest.txt (benchstat format)\n", filepath.Join(dir, "latest.json"))
	return nil
}

// benchLines renders the results as `go test -bench` output, which
// benchstat compares across runs.
func benchLines(rep Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "goos: %s\ngoarch: %s\npkg: github.com/specgate/specgate/internal/bench\n", rep.Machine.GOOS, rep.Machine.GOARCH)
	if rep.Machine.CPU != "" {
		fmt.Fprintf(&b, "cpu: %s\n", rep.Machine.CPU)
	}
	suffix := ""
	if p := rep.Machine.GOMAXPROCS; p != 1 {
		suffix = fmt.Sprintf("-%d", p)
	}
	for _, r := range rep.Benchmarks {
		fmt.Fprintf(&b, "%s%s\t%d\t%.1f ns/op", r.Name, suffix, r.N, r.NsPerOp)
		if r.StepsPerSec > 0 {
			fmt.Fprintf(&b, "\t%.0f steps/s", r.StepsPerSec)
		}
		keys := make([]string, 0, len(r.Metrics))
		for k := range r.Metrics {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "\t%.4g %s", r.Metrics[k], k)
		}
		b.WriteString("\n")
	}
	return b.String()
}
