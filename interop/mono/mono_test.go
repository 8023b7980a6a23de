// Package monointerop runs specgate's net.tcp binding (internal/nettcp/duplex) and its IPAM
// runner against a real WCF stack: the duplex IPAM service of IpamService.cs, compiled with
// Mono's mcs and hosted by Mono's System.ServiceModel on a NetTcpBinding(SecurityMode.None)
// endpoint (known encoding 0x08) and a CustomBinding(TextMessageEncoding Soap12WSAddressing10
// + TcpTransport) endpoint (0x03). See README.md in this directory.
//
// The test installs nothing: `make deps` installs Mono (scripts/install-mono.sh, apt-get
// mono-complete). Without mcs and mono it is skipped, saying so and naming `make deps`,
// unless CI=true, where it fails instead.
package monointerop

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/nettcp/duplex"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/soap"
	"github.com/specgate/specgate/internal/syncbuf"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/ipam"
)

const (
	startTimeout = 30 * time.Second
	// Mono's TCP channel sleeps 50 ms before every receive
	// (research/nettcp-mono.md §6.3): generous waits.
	quiescence  = 3 * time.Second
	settle      = 300 * time.Millisecond
	callTimeout = 10 * time.Second
	closeWait   = 2 * time.Second
	// The IPAM run against each endpoint (documented profile).
	checks = 40
	steps  = 12
	// runBudget bounds each random run.
	runBudget = 100 * time.Second
)

// ---------------------------------------------------------------------------
// Mono: install, compile, start

var setup struct {
	sync.Once
	exe  string
	dir  string
	skip string // why the test is skipped
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if setup.dir != "" {
		os.RemoveAll(setup.dir)
	}
	os.Exit(code)
}

// requireMono checks that Mono is installed and compiles IpamService.cs once per test binary.
func requireMono(t *testing.T) string {
	t.Helper()
	setup.Do(func() {
		for _, tool := range []string{"mcs", "mono"} {
			if _, err := exec.LookPath(tool); err != nil {
				setup.skip = tool + " is not on PATH; run `make deps` (scripts/install-mono.sh: apt-get install mono-complete) to install Mono"
				return
			}
		}
		dir, err := os.MkdirTemp("", "specgate-mono-")
		if err != nil {
			setup.err = err
			return
		}
		setup.dir = dir
		setup.exe = filepath.Join(dir, "IpamService.exe")
		out, err := exec.Command("mcs", "-nologo", "-warnaserror+", "-out:"+setup.exe,
			"-r:System.ServiceModel.dll", "-r:System.Runtime.Serialization.dll", "IpamService.cs").CombinedOutput()
		if err != nil {
			setup.err = fmt.Errorf("mcs: %v\n%s", err, out)
		}
	})
	if setup.skip != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI=true, so this is a failure, not a skip)", setup.skip)
		}
		t.Skipf("SKIP Mono WCF interop test: %s (with CI=true this fails instead)", setup.skip)
	}
	if setup.err != nil {
		t.Fatal(setup.err)
	}
	return setup.exe
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// service is a running IpamService.exe.
type service struct {
	binary, text, control string
	log                   *syncbuf.Buffer
}

// lineWriter calls line for every complete line written to it (the
// service's stdout: the ready line, and what Mono prints there).
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	line func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.line(strings.TrimRight(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// start runs the service until the test ends; extra are more arguments
// (--broken complete-before-start).
func start(t *testing.T, extra ...string) *service {
	t.Helper()
	exe := requireMono(t)
	p := freePorts(t, 3)
	args := append([]string{"--debug", exe, "--binary", fmt.Sprint(p[0]), "--text", fmt.Sprint(p[1]), "--control", fmt.Sprint(p[2]), "--verbose"}, extra...)
	cmd := exec.Command("mono", args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &service{log: &syncbuf.Buffer{}}
	ready := make(chan string, 1)
	cmd.Stdout = &lineWriter{line: func(line string) {
		if strings.HasPrefix(line, "ready ") {
			select {
			case ready <- line:
			default:
			}
			return
		}
		fmt.Fprintf(s.log, "[stdout] %s\n", line)
	}}
	cmd.Stderr = s.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		if t.Failed() {
			// Mono prints every thread's stack on SIGQUIT (to the log).
			_ = cmd.Process.Signal(syscall.SIGQUIT)
			time.Sleep(time.Second)
		}
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() || os.Getenv("INTEROP_MONO_VERBOSE") != "" {
			t.Logf("service log (%s):\n%s", strings.Join(extra, " "), s.log.String())
		}
	})
	select {
	case line := <-ready:
		for _, f := range strings.Fields(line)[1:] {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "binary":
				s.binary = v
			case "text":
				s.text = v
			case "control":
				s.control = v
			}
		}
	case <-exited:
		t.Fatalf("IpamService.exe exited before it was ready: %s", s.log.String())
	case <-time.After(startTimeout):
		t.Fatalf("IpamService.exe not ready after %v: %s", startTimeout, s.log.String())
	}
	return s
}

// ---------------------------------------------------------------------------
// Harness side

var endpoints = []struct {
	name string
	enc  byte
	uri  func(*service) string
}{
	{"NetTcpBinding-binary", duplex.EncodingBinary, func(s *service) string { return s.binary }},
	{"CustomBinding-text", duplex.EncodingText, func(s *service) string { return s.text }},
}

func newTransport(t *testing.T, uri string, enc byte, onFrame func(duplex.Frame)) *duplex.Transport {
	t.Helper()
	// CloseWait: Mono's listener loses a connection that arrives while it
	// is still discarding the previous one (README.md).
	tr, err := duplex.New(duplex.Options{Endpoint: uri, Encoding: enc, Timeout: callTimeout, OnFrame: onFrame, CloseWait: closeWait})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// frameLog keeps a one-line summary of the last frames of a transport,
// shown when a test fails.
type frameLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *frameLog) add(f duplex.Frame) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) >= 200 {
		l.lines = l.lines[1:]
	}
	l.lines = append(l.lines, fmt.Sprintf("%s %.12s %-8s %s %d bytes", f.Time.Format("15:04:05.000"), f.Session+"------------", f.Dir, f.What, len(f.Bytes)))
}

func (l *frameLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func newTarget(t *testing.T, s *service, uri string, enc byte) *runner.IPAMTarget {
	t.Helper()
	fl := &frameLog{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last frames:\n%s", fl)
		}
	})
	tgt, err := runner.NewIPAMTarget(runner.IPAMConfig{
		Profile: models.ProfileDocumented, Control: s.control, Transport: newTransport(t, uri, enc, fl.add),
		Quiescence: quiescence, Settle: settle, Checkpoints: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tgt
}

// TestSession drives one schema conversion by hand over both endpoints: the
// Initialize response, the three callbacks in order on the same connection,
// the query that shows the conversion's effect, the frames on the wire.
func TestSession(t *testing.T) {
	s := start(t)
	for _, ep := range endpoints {
		t.Run(ep.name, func(t *testing.T) {
			ctl := &soap.Control{URL: s.control}
			ctx := context.Background()
			if err := ctl.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var frames []duplex.Frame
			tr := newTransport(t, ep.uri(s), ep.enc, func(f duplex.Frame) { mu.Lock(); frames = append(frames, f); mu.Unlock() })
			id, replyTo, err := tr.OpenSession(ctx)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := tr.Call(ctx, id, soap.NewRequest(soap.ActionInitializeAsyncSchemaConversion, tr.Endpoint(), replyTo, soap.InitializeAsyncSchemaConversionBody(nil)))
			if err != nil {
				t.Fatalf("Initialize: %v", err)
			}
			if resp.Fault != nil || resp.Envelope.Header.Action != soap.ActionInitializeAsyncSchemaConversionResponse {
				t.Fatalf("Initialize response: %s", resp.Raw)
			}
			if _, err := tr.Send(ctx, id, soap.NewRequest(soap.ActionStartAsyncSchemaConversion, tr.Endpoint(), replyTo, soap.StartAsyncSchemaConversionBody())); err != nil {
				t.Fatalf("Start: %v", err)
			}
			wctx, cancel := context.WithTimeout(ctx, quiescence)
			defer cancel()
			evs, err := tr.Wait(wctx, id, func(evs []soap.Event) bool { return len(evs) >= 3 })
			if err != nil {
				t.Fatalf("callbacks: %v (got %d)", err, len(evs))
			}
			var got []string
			for _, ev := range evs {
				if ev.Kind != soap.EventCallback {
					t.Fatalf("%s callback: %s\n%s", ev.Kind, ev.Err, ev.Raw)
				}
				cb, err := soap.ParseCallbackBody(ev.Envelope)
				if err != nil {
					t.Fatalf("callback %s: %v", ev.Raw, err)
				}
				if len(cb.Deviations) > 0 {
					t.Errorf("callback deviations: %v\n%s", cb.Deviations, ev.Raw)
				}
				got = append(got, cb.Info.Kind+"/"+cb.Info.Prefix)
				if cb.Info.Kind == soap.KindComplete && cb.Faulted() {
					t.Errorf("Complete(exception=%v)", cb.Exception)
				}
			}
			if want := "start/server-port,checkpoint/server-port,complete/server-port"; strings.Join(got, ",") != want {
				t.Errorf("callbacks %s, want %s", strings.Join(got, ","), want)
			}
			t.Logf("callback as WCF sent it:\n%s", evs[2].Raw)
			resp, err = tr.Call(ctx, "", soap.NewRequest(soap.ActionIsSchemaConversionRequired, tr.Endpoint(), "", soap.IsSchemaConversionRequiredBody()))
			if err != nil {
				t.Fatalf("IsSchemaConversionRequired: %v", err)
			}
			if v, err := soap.ParseBoolResponse(resp.Envelope, "IsSchemaConversionRequiredResult"); err != nil || v {
				t.Errorf("IsSchemaConversionRequired after the conversion: %v %v\n%s", v, err, resp.Raw)
			}
			tr.CloseSession(id)
			mu.Lock()
			defer mu.Unlock()
			if len(frames) < 2 || frames[0].What != "preamble" || frames[1].What != "PreambleAckRecord" {
				t.Errorf("frames: want the preamble, then the Preamble Ack; got %d frames", len(frames))
			} else if pre := frames[0].Bytes; pre[len(pre)-2] != ep.enc {
				t.Errorf("preamble known encoding %#02x, want %#02x", pre[len(pre)-2], ep.enc)
			}
		})
	}
}

// firstDivergence stops a random run at its first divergence (instead of
// shrinking it, which would replay many sequences at Mono's pace).
type firstDivergence struct {
	engine.Target
	cancel context.CancelFunc
	mu     sync.Mutex
	d      *engine.Divergence
}

func (f *firstDivergence) NewSession(ctx context.Context, name string, record bool) (engine.Session, error) {
	s, err := f.Target.NewSession(ctx, name, record)
	if err != nil {
		return nil, err
	}
	return &watched{Session: s, f: f}, nil
}

func (f *firstDivergence) saw(d *engine.Divergence) {
	if d == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.d == nil {
		f.d = d
		f.cancel()
	}
}

type watched struct {
	engine.Session
	f *firstDivergence
}

func (w *watched) Step(ctx context.Context, i int, a models.Action) (*engine.Divergence, bool) {
	d, ok := w.Session.Step(ctx, i, a)
	w.f.saw(d)
	return d, ok
}

func (w *watched) Finish(ctx context.Context, steps int) *engine.Divergence {
	fin, ok := w.Session.(engine.Finisher)
	if !ok {
		return nil
	}
	d := fin.Finish(ctx, steps)
	w.f.saw(d)
	return d
}

// run runs n random sessions of the IPAM model (documented profile, with
// the control endpoint) and returns the first divergence.
func run(t *testing.T, tgt engine.Target, n int, seed uint64) (*engine.Divergence, engine.Result) {
	t.Helper()
	// Bounded whatever the service does: every call has its own deadline,
	// and the run as a whole stops after runBudget.
	ctx, cancel := context.WithTimeout(context.Background(), runBudget)
	defer cancel()
	fd := &firstDivergence{Target: tgt, cancel: cancel}
	eng, err := engine.New(runner.IPAMModel{Control: true}, fd, engine.Config{
		Model: "ipam", Profile: models.ProfileDocumented, Seed: seed, Checks: n, Steps: steps, MaxFailures: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fd.d == nil && res.Interrupted {
		t.Fatalf("the run did not finish within %v (%d of %d sessions)", runBudget, res.Checks, n)
	}
	return fd.d, res
}

// TestModel runs the IPAM model through the runner over both endpoints of
// the conformant service (one service process per endpoint, in parallel):
// no divergence.
func TestModel(t *testing.T) {
	for i, ep := range endpoints {
		t.Run(ep.name, func(t *testing.T) {
			t.Parallel()
			s := start(t)
			begin := time.Now()
			d, res := run(t, newTarget(t, s, ep.uri(s), ep.enc), checks, 0x1ce+uint64(i))
			t.Logf("%d sessions, %d steps in %v", res.Checks, res.Steps, time.Since(begin).Round(time.Millisecond))
			if d != nil {
				t.Fatalf("divergence: %s", d.Message())
			}
			if res.Checks != checks {
				t.Errorf("ran %d of %d sessions", res.Checks, checks)
			}
		})
	}
}

// TestBrokenCaught: the service variant that sends Complete before the
// start notification is caught on a plain conversion over both endpoints,
// and by a random run.
func TestBrokenCaught(t *testing.T) {
	s := start(t, "--broken", "complete-before-start")
	conversion := []models.Action{{Op: ipam.OpInitSchema, Idx: 0}, {Op: ipam.OpStartSchema, Idx: 0}}
	for _, ep := range endpoints {
		t.Run(ep.name, func(t *testing.T) {
			tgt := newTarget(t, s, ep.uri(s), ep.enc)
			d, transcript, err := engine.Replay(context.Background(), tgt, conversion)
			if err != nil {
				t.Fatal(err)
			}
			if d == nil {
				t.Fatal("the broken service passed Initialize, Start")
			}
			t.Logf("caught: %s\n%s", d.Message(), strings.Join(transcript, "\n"))
			if d.Clause != ipam.ClSchemaCBDone {
				t.Errorf("clause %s, want %s", d.Clause, ipam.ClSchemaCBDone)
			}
		})
	}
	t.Run("random", func(t *testing.T) {
		d, res := run(t, newTarget(t, s, s.binary, duplex.EncodingBinary), 20, 0xb0e)
		if d == nil {
			t.Fatalf("not caught in %d random sessions", res.Checks)
		}
		t.Logf("random run caught: %s", d.Message())
	})
}
