package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/nettcp/duplex"
	"github.com/specgate/specgate/internal/runner"
)

// Mono's TCP channel sleeps 50 ms before every receive: the Mono rows
// run with the interop test's generous waits.
const (
	monoQuiescence = 3 * time.Second
	monoSettle     = 300 * time.Millisecond
	monoTimeout    = 10 * time.Second
	// monoCloseWait: after its End record the transport waits for Mono to
	// close the connection (then 30 ms): Mono's listener can stop taking
	// connections for good when one arrives while it is discarding a
	// closed one (interop/mono/README.md); seen in this benchmark without it.
	monoCloseWait = 2 * time.Second
)

var monoBuild struct {
	sync.Once
	dir, service, client string
	err                  error
}

// requireMono compiles interop/mono's IpamService.exe and RawClient.exe
// once; without Mono the benchmark is skipped, loudly, and fails under
// CI=true.
func requireMono(b *testing.B) (service, client string) {
	b.Helper()
	for _, tool := range []string{"mcs", "mono"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := tool + " not found: the Mono WCF rows need Mono; install it with `bash scripts/install-mono.sh`"
			if os.Getenv("CI") == "true" {
				b.Fatal(msg + " (CI=true: a failure, not a skip)")
			}
			fmt.Fprintln(os.Stderr, "SKIP", b.Name()+":", msg)
			b.Skip(msg)
		}
	}
	monoBuild.Do(func() {
		dir, err := os.MkdirTemp("", "specgate-bench-mono-")
		if err != nil {
			monoBuild.err = err
			return
		}
		monoBuild.dir = dir
		src := filepath.Join("..", "..", "interop", "mono")
		refs := []string{"-r:System.ServiceModel.dll", "-r:System.Runtime.Serialization.dll"}
		monoBuild.service = filepath.Join(dir, "IpamService.exe")
		monoBuild.client = filepath.Join(dir, "RawClient.exe")
		for _, args := range [][]string{
			append([]string{"-nologo", "-out:" + monoBuild.service}, append(refs, filepath.Join(src, "IpamService.cs"))...),
			append([]string{"-nologo", "-main:Specgate.Interop.RawClient", "-out:" + monoBuild.client},
				append(refs, filepath.Join(src, "RawClient.cs"), filepath.Join(src, "IpamService.cs"))...),
		} {
			if out, err := exec.Command("mcs", args...).CombinedOutput(); err != nil {
				monoBuild.err = fmt.Errorf("mcs %v: %v\n%s", args, err, out)
				return
			}
		}
	})
	if monoBuild.err != nil {
		b.Fatal(monoBuild.err)
	}
	return monoBuild.service, monoBuild.client
}

// monoService runs IpamService.exe for the benchmark's lifetime and
// returns its binary endpoint and control URL.
func monoService(b *testing.B, exe string, extra ...string) (binary, control string) {
	b.Helper()
	p := freePorts(b, 3)
	args := append([]string{exe, "--binary", strconv.Itoa(p[0]), "--text", strconv.Itoa(p[1]), "--control", strconv.Itoa(p[2])}, extra...)
	cmd := exec.Command("mono", args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	b.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ready ") {
				ready <- sc.Text()
			}
		}
		_ = cmd.Wait()
		close(exited)
	}()
	select {
	case line := <-ready:
		for _, f := range strings.Fields(line)[1:] {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "binary":
				binary = v
			case "control":
				control = v
			}
		}
	case <-exited:
		b.Fatal("IpamService.exe exited before it was ready")
	case <-time.After(30 * time.Second):
		b.Fatal("IpamService.exe not ready after 30 s")
	}
	return binary, control
}

func monoTarget(b *testing.B, binary, control string, opts duplex.Options) (*runner.IPAMTarget, *duplex.Transport) {
	b.Helper()
	opts.Endpoint, opts.Encoding, opts.Timeout, opts.CloseWait = binary, duplex.EncodingBinary, monoTimeout, monoCloseWait
	tr, err := duplex.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tr.Close() })
	t, err := runner.NewIPAMTarget(runner.IPAMConfig{
		Profile: benchProfile, Control: control, Transport: tr,
		Quiescence: monoQuiescence, Settle: monoSettle, Checkpoints: soapCheckpoints,
	})
	if err != nil {
		b.Fatal(err)
	}
	return t, tr
}

// BenchmarkMonoWCF: specgate against the Mono WCF interop service
// (interop/mono: NetTcpBinding, binary encoding, SecurityMode.None,
// Mono's own listener) at --parallel 1, side by side in one run with
//   - raw-wcf-client: a plain Mono WCF client (interop/mono/RawClient.cs,
//     DuplexChannelFactory) making the same calls to the same service
//     with no model or oracle: the raw floor;
//   - specgate-p1-fresh-conns: specgate with a new connection per
//     session-less call (IdleConns -1), as before connections were kept;
//   - specgate-reference-p1: specgate against the project's own net.tcp
//     reference (fixtures/ipamtcp), binary.
//
// Every Mono message costs at least 50 ms (Mono's receive loop sleeps
// before every read) and every new connection 100 ms (its listener sleeps
// before every accept), so the Mono rows measure the service's pace, and
// the ratio that says what the harness costs is specgate over the raw
// client.
func BenchmarkMonoWCF(b *testing.B) {
	service, client := requireMono(b)
	binary, control := monoService(b, service)
	// Warm the service up (Mono JITs System.ServiceModel on first use, for
	// seconds): the rows measure its steady pace.
	warm, _ := monoTarget(b, binary, control, duplex.Options{})
	engineSteps(b, runnerModel(), warm, "ipam", 1, 30)
	b.Run("specgate-p1", func(b *testing.B) {
		t, _ := monoTarget(b, binary, control, duplex.Options{})
		benchEngine(b, runnerModel(), t, "ipam", 1)
	})
	b.Run("specgate-p1-fresh-conns", func(b *testing.B) {
		t, _ := monoTarget(b, binary, control, duplex.Options{IdleConns: -1})
		benchEngine(b, runnerModel(), t, "ipam", 1)
	})
	b.Run("raw-wcf-client", func(b *testing.B) {
		iters := max(5, b.N/4)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "mono", client, binary, strconv.Itoa(iters)).CombinedOutput()
		if err != nil {
			b.Fatalf("RawClient.exe: %v\n%s", err, out)
		}
		var steps int
		var ms float64
		if _, err := fmt.Sscanf(lastLine(string(out)), "steps %d elapsed_ms %g", &steps, &ms); err != nil || ms <= 0 {
			b.Fatalf("RawClient.exe output %q: %v", out, err)
		}
		// The client's own clock, after its warm-up iteration (Mono's JIT
		// and start-up are not the service's pace).
		sps := float64(steps) / (ms / 1000)
		b.ReportMetric(ms*1e6/float64(steps), "ns/step")
		b.ReportMetric(sps, "steps/s")
		keep(b, sps, nil)
	})
	b.Run("specgate-reference-p1", func(b *testing.B) {
		benchEngine(b, runnerModel(), netTCPTarget(b, duplex.EncodingBinary), "ipam", 1)
	})
	// The ratios of this repetition, printed with the table's metrics.
	rate := func(sub string) float64 {
		resMu.Lock()
		defer resMu.Unlock()
		rs := results[b.Name()+"/"+sub]
		if len(rs) == 0 {
			return 0
		}
		return rs[len(rs)-1].StepsPerSec
	}
	sg, raw, fresh, ref := rate("specgate-p1"), rate("raw-wcf-client"), rate("specgate-p1-fresh-conns"), rate("specgate-reference-p1")
	if raw > 0 && ref > 0 && fresh > 0 {
		m := map[string]float64{"specgate/raw-wcf": sg / raw, "specgate/reference": sg / ref, "specgate/fresh-conns": sg / fresh}
		b.Logf("Mono WCF p1: specgate %.1f steps/s, raw WCF client %.1f (ratio %.2f), fresh connections %.1f (%.2fx), net.tcp reference %.0f (%.4f)",
			sg, raw, sg/raw, fresh, sg/fresh, ref, sg/ref)
		resMu.Lock()
		results[b.Name()+"/ratios"] = append(results[b.Name()+"/ratios"], &result{Name: b.Name() + "/ratios", N: 1, Metrics: m})
		resMu.Unlock()
	}
}

func runnerModel() runner.IPAMModel { return runner.IPAMModel{Control: true} }

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func freePorts(b *testing.B, n int) []int {
	b.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}
