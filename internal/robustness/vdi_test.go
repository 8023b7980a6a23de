package robustness

import (
	"context"
	"net"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/chaos"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/shim"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/vdi"
)

// childEnv makes the test binary serve chaos.ServeVDI on stdin/stdout in
// the mode it names (see TestMain): the exec shim under test. With
// onceEnv set to a file name, only the first child misbehaves: it creates
// the file, and children that find it serve conformantly (a SUT that
// crashes once and is healthy after its restart).
const (
	childEnv = "SPECGATE_CHAOS_VDI_CHILD"
	onceEnv  = "SPECGATE_CHAOS_VDI_ONCE"
)

// Shim call deadlines: an exec call also covers the start of a restarted
// child (a race-enabled test binary, up to a few hundred ms on a loaded
// machine), so exec gets more.
const (
	vdiExecTimeout = time.Second
	vdiTCPTimeout  = 500 * time.Millisecond
)

func runChild(spec string) int {
	if marker := os.Getenv(onceEnv); marker != "" {
		f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			spec = chaos.ModeNone
		} else {
			f.Close()
		}
	}
	mode, err := chaos.ParseMode(spec)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 2
	}
	os.Stderr.WriteString("chaos child: serving " + mode.String() + "\n")
	if err := chaos.ServeVDI(context.Background(), os.Stdin, os.Stdout, mode); err != nil {
		os.Stderr.WriteString("chaos child: " + err.Error() + "\n")
		return 1
	}
	return 0
}

func vact(op string, idx, arg int) models.Action { return models.Action{Op: op, Idx: idx, Arg: arg} }

var (
	// vdiFaultSeq brings a one-device set to Active, queues a command and
	// fetches it: the chaos modes select vdi.GetCommand, the last step.
	vdiFaultSeq = []models.Action{
		vact(vdi.OpCreate, -1, 1), vact(vdi.OpServerOpen, -1, 0), vact(vdi.OpGetConfiguration, -1, 0),
		vact(vdi.OpOpenDevice, 0, 0), vact(vdi.OpServerSendCommand, 0, 0), vact(vdi.OpGetCommand, 0, 0),
	}
	// vdiNextSeq is the next sequence of the run: conformant, without
	// vdi.GetCommand, so a restarted child answers it correctly.
	vdiNextSeq = []models.Action{
		vact(vdi.OpCreate, -1, 1), vact(vdi.OpServerOpen, -1, 0), vact(vdi.OpGetConfiguration, -1, 0),
		vact(vdi.OpOpenDevice, 0, 0), vact(vdi.OpServerSendCommand, 0, 0), vact(vdi.OpSignalAbort, -1, 0),
		vact(vdi.OpClose, -1, 0),
	}
)

// vdiRig is one VDI target over a chaos shim.
type vdiRig struct {
	drv  *shim.Client
	wire *runner.WireLog
	tgt  *runner.VDITarget
	srv  *chaos.VDIServer // tcp only
}

func selfExe(t testing.TB) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(exe, "'") {
		t.Skipf("test binary path %q cannot be single-quoted", exe)
	}
	return exe
}

// startChaosTCP serves mode with chaos.ListenVDI until the test ends.
func startChaosTCP(t testing.TB, mode chaos.Mode) (addr string, srv *chaos.VDIServer) {
	t.Helper()
	srv, err := chaos.NewVDI(mode, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx, "127.0.0.1:0", func(a net.Addr) { addrc <- a }) }()
	select {
	case a := <-addrc:
		t.Cleanup(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("ListenAndServe: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Errorf("chaos TCP shim did not stop within 5s")
			}
		})
		return a.String(), srv
	case err := <-done:
		cancel()
		t.Fatalf("ListenAndServe: %v", err)
	}
	return "", nil
}

// slowVDITimeout gives the 50 MB and 100,000-deep cases a 3s call
// deadline: their point is the limits, not the deadline, and under -race
// on a small machine reading 1 MiB can take longer than 500 ms. 0 (the
// transport's default) for the other modes.
func slowVDITimeout(m chaos.Mode) time.Duration {
	if m.Name == chaos.ModeHuge || m.Name == chaos.ModeDeep {
		return 3 * time.Second
	}
	return 0
}

// rigOptions vary a vdiRig.
type rigOptions struct {
	profile     string        // models.ProfileDocumented when ""
	once        bool          // exec: only the first child misbehaves
	callTimeout time.Duration // the transport's default when 0
	noReset     bool          // skip the initial shim.reset
}

// newVDIRig dials a chaos shim over transport ("exec" or "tcp") the way
// the CLI does (shim.hello, shim.reset) and wraps it in a runner target.
func newVDIRig(t testing.TB, transport string, mode chaos.Mode) *vdiRig {
	return newVDIRigWith(t, transport, mode, rigOptions{})
}

func newVDIRigWith(t testing.TB, transport string, mode chaos.Mode, o rigOptions) *vdiRig {
	t.Helper()
	if o.profile == "" {
		o.profile = models.ProfileDocumented
	}
	r := &vdiRig{wire: &runner.WireLog{}}
	opts := shim.Options{CallTimeout: o.callTimeout, Transcript: r.wire.Add}
	var target string
	switch transport {
	case "exec":
		target = "exec:'" + selfExe(t) + "'"
		// GORACE: a race-enabled child would otherwise sleep 1s at exit.
		opts.Env = []string{childEnv + "=" + mode.String(), "GORACE=atexit_sleep_ms=0"}
		if o.once {
			opts.Env = append(opts.Env, onceEnv+"="+t.TempDir()+"/fired")
		}
		if opts.CallTimeout == 0 {
			opts.CallTimeout = vdiExecTimeout
		}
	case "tcp":
		var addr string
		addr, r.srv = startChaosTCP(t, mode)
		target = "tcp://" + addr
		if opts.CallTimeout == 0 {
			opts.CallTimeout = vdiTCPTimeout
		}
	default:
		t.Fatalf("unknown transport %q", transport)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	drv, err := shim.Dial(ctx, target, opts)
	if err != nil {
		t.Fatalf("Dial %s: %v", transport, err)
	}
	r.drv = drv
	t.Cleanup(func() { drv.Shutdown() })
	if h, err := drv.Hello(ctx, o.profile); err != nil || h.Protocol == "" {
		t.Fatalf("shim.hello: %+v %v", h, err)
	}
	if !o.noReset {
		if err := drv.Reset(ctx, ""); err != nil {
			t.Fatalf("shim.reset: %v", err)
		}
	}
	r.tgt, err = runner.NewVDITarget(drv, o.profile, r.wire)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// replay runs seq through engine.Replay, bounded, and returns the first
// divergence, its transcript and how long the replay took.
func (r *vdiRig) replay(t testing.TB, seq []models.Action) (*engine.Divergence, []string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	d, tr, err := engine.Replay(ctx, r.tgt, seq)
	el := time.Since(start)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("Replay hung: still running after %v", el)
	}
	return d, tr, el
}

// checkOneLine asserts the report is one deterministic line naming its
// kind.
func checkOneLine(t testing.TB, d *engine.Divergence) {
	t.Helper()
	msg := d.Message()
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("message is not one line: %q", msg)
	}
	if !strings.HasPrefix(msg, d.Kind+" at step ") {
		t.Errorf("message %q does not start with its kind %q", msg, d.Kind)
	}
	if d.Detail != "" && !strings.Contains(msg, d.Detail) {
		t.Errorf("message %q lacks the detail %q", msg, d.Detail)
	}
	if regexp.MustCompile(`127\.0\.0\.1|:\d{4,5}\b|pid`).MatchString(msg) {
		t.Errorf("message holds run-specific values (address, port, pid): %q", msg)
	}
}

// TestVDIMisbehaviours drives every VDI misbehaviour of vdiCases through
// the runner and engine.Replay over exec (a re-executed test binary) and
// TCP (chaos.ListenVDI), checks the report, and then checks that the next
// sequence runs conformantly on the restarted child or new connection.
func TestVDIMisbehaviours(t *testing.T) {
	for _, c := range vdiCases {
		for _, transport := range []string{"exec", "tcp"} {
			want := c.exec
			if transport == "tcp" {
				want = c.tcp
			}
			t.Run(c.mode+"/"+transport, func(t *testing.T) {
				t.Parallel()
				mode := chaos.MustParseMode(c.mode)
				mode.Method = shim.MethodGetCommand
				rig := newVDIRigWith(t, transport, mode, rigOptions{callTimeout: slowVDITimeout(mode)})
				restarts := rig.drv.Restarts()
				d, tr, el := rig.replay(t, vdiFaultSeq)
				if d == nil {
					t.Fatalf("no divergence reported for %s", mode)
				}
				t.Logf("%s over %s: %s", mode, transport, d.Message())
				checkOneLine(t, d)
				if d.Kind != c.kind {
					t.Errorf("kind %q, want %q", d.Kind, c.kind)
				}
				if d.Detail != want {
					t.Errorf("detail %q, want %q", d.Detail, want)
				}
				if d.Step != len(vdiFaultSeq) || d.Action != vdiFaultSeq[len(vdiFaultSeq)-1].String() {
					t.Errorf("reported at step %d %s, want the last step %s", d.Step, d.Action, vdiFaultSeq[len(vdiFaultSeq)-1])
				}
				if d.Observed != c.kind {
					t.Errorf("observed %q, want %q", d.Observed, c.kind)
				}
				if len(tr) == 0 || !strings.Contains(tr[0], `"method":"vdi.GetCommand"`) {
					t.Errorf("transcript lacks the request line: %.300q", tr)
				}
				if limit := c.within; el > limit {
					t.Errorf("replay took %v, want under %v", el, limit)
				}
				// The run goes on: the next sequence runs on a restarted
				// child (exec) or a new connection (tcp) and passes.
				d2, _, _ := rig.replay(t, vdiNextSeq)
				if d2 != nil {
					t.Errorf("next sequence after %s: %s", mode, d2.Message())
				}
				// An rpc-error keeps the session (the stream is in sync);
				// every other fault replaces the child or connection.
				if restarted := rig.drv.Restarts() > restarts; restarted != (c.kind != engine.KindMalformed || c.mode != chaos.ModeRPCError) {
					t.Errorf("after %s: restarted %v", mode, restarted)
				}
				t.Logf("faulty replay took %v", el)
			})
		}
	}
}

// TestVDIHugeLineMemoryBounded checks that a 50 MB response line is cut
// off at the 1 MiB line limit: the client's allocations stay far below
// the line's size and (TCP, where the server is in this process) the
// server could not push more than the limit plus socket buffers.
func TestVDIHugeLineMemoryBounded(t *testing.T) {
	for _, transport := range []string{"exec", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			mode := chaos.MustParseMode(chaos.ModeHuge + ":" + shim.MethodGetCommand)
			rig := newVDIRigWith(t, transport, mode, rigOptions{callTimeout: slowVDITimeout(mode)})
			grew, total, d := measure(t, func() *engine.Divergence {
				d, _, _ := rig.replay(t, vdiFaultSeq)
				return d
			})
			if d == nil || d.Kind != engine.KindMalformed || !strings.Contains(d.Detail, "longer than 1 MiB") {
				t.Fatalf("want a malformed report naming the 1 MiB limit, got %v", d)
			}
			t.Logf("%s: heap grew %d KiB, %d KiB allocated in total for a %d MiB line", transport, grew>>10, total>>10, chaos.HugeBytes>>20)
			if limit := uint64(chaos.HugeBytes / 5); total > limit {
				t.Errorf("the client allocated %d bytes for a %d-byte line (limit %d): it did not stop reading at 1 MiB", total, chaos.HugeBytes, limit)
			}
			if rig.srv != nil {
				if w := rig.srv.Written(); w > chaos.HugeBytes/4 {
					t.Errorf("the server wrote %d of %d bytes: the client kept reading past its limit", w, chaos.HugeBytes)
				}
			}
		})
	}
}

// TestVDITranscriptBounded: the wire transcript of a failing step goes
// into failure files and reports, so a 50 MB response line must not
// become a megabyte-long transcript line.
func TestVDITranscriptBounded(t *testing.T) {
	t.Parallel()
	mode := chaos.MustParseMode(chaos.ModeHuge + ":" + shim.MethodGetCommand)
	rig := newVDIRigWith(t, "tcp", mode, rigOptions{callTimeout: slowVDITimeout(mode)})
	d, tr, _ := rig.replay(t, vdiFaultSeq)
	if d == nil || d.Kind != engine.KindMalformed {
		t.Fatalf("want a malformed report, got %v", d)
	}
	longest := 0
	for _, l := range tr {
		longest = max(longest, len(l))
	}
	if longest > 8<<10 {
		t.Fatalf("a transcript line of %d bytes: transcripts must be cut at 4 KiB", longest)
	}
}

// measure runs f and returns the growth of the live heap across f and
// the bytes allocated during f (TotalAlloc, which bounds the peak).
func measure[T any](t testing.TB, f func() T) (grew, total uint64, v T) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v = f()
	runtime.ReadMemStats(&after)
	if after.HeapAlloc > before.HeapAlloc {
		grew = after.HeapAlloc - before.HeapAlloc
	}
	return grew, after.TotalAlloc - before.TotalAlloc, v
}

// runEngine runs the engine (search, shrink, report) on the rig's target.
func runEngine(t *testing.T, rig *vdiRig, profile string, seed uint64, checks, steps int) (engine.Result, map[int]int, error) {
	t.Helper()
	var mu sync.Mutex
	stepsPerCheck := map[int]int{}
	eng, err := engine.New(runner.VDIModel{}, rig.tgt, engine.Config{
		Model: "vdi", Profile: profile, Seed: seed, Checks: checks, Steps: steps,
		ShrinkTime: 200 * time.Millisecond, MaxFailures: 1,
		OnCheck: func(i, steps int) { mu.Lock(); stepsPerCheck[i] = steps; mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	res, err := eng.Run(ctx)
	if ctx.Err() != nil {
		t.Fatalf("Run did not finish within 40s (%d checks done)", res.Checks)
	}
	return res, stepsPerCheck, err
}

// TestVDIEngineRunCrashOnFifthCall runs the engine over a shim that exits
// on its 5th call (exec: the first child, started by Dial; the restarted
// children are healthy; tcp: the listener's 5th call): every check runs,
// the checks after the crash execute their steps on the restarted child
// or new connection, and the crash is reported with its exit status.
func TestVDIEngineRunCrashOnFifthCall(t *testing.T) {
	for _, transport := range []string{"exec", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			rig := newVDIRigWith(t, transport, chaos.MustParseMode(chaos.ModeExit+"@5"), rigOptions{once: true})
			const checks = 25
			res, stepsPerCheck, err := runEngine(t, rig, models.ProfileDocumented, 42, checks, 6)
			if err != nil {
				t.Fatalf("Run stopped after %d checks: %v", res.Checks, err)
			}
			if res.Interrupted || res.Checks != checks {
				t.Fatalf("Run executed %d of %d checks (interrupted %v)", res.Checks, checks, res.Interrupted)
			}
			if len(res.Failures) != 1 {
				t.Fatalf("%d failures reported for a shim that exits once, want 1: %+v", len(res.Failures), res.Failures)
			}
			f := res.Failures[0]
			t.Logf("%s: %d checks, %d steps, %d restarts; reported: %s", transport, res.Checks, res.Steps,
				rig.drv.Restarts(), f.Divergence.Message())
			checkOneLine(t, &f.Divergence)
			if f.Divergence.Kind != engine.KindCrash {
				t.Errorf("reported %s, want a crash", f.Divergence.Kind)
			}
			wantDetail := "shim exited before answering (exit status 70)"
			if transport == "tcp" {
				wantDetail = "connection closed by the shim before answering"
			}
			if !strings.HasSuffix(f.Divergence.Detail, wantDetail) {
				t.Errorf("detail %q, want it to end in %q", f.Divergence.Detail, wantDetail)
			}
			if rig.drv.Restarts() != 1 {
				t.Errorf("%d restarts, want 1", rig.drv.Restarts())
			}
			// The checks after the crash ran their steps (a generated
			// sequence may be empty, so most, not all, have steps).
			ran, after := 0, 0
			for i := f.Check + 1; i < checks; i++ {
				after++
				if stepsPerCheck[i] > 0 {
					ran++
				}
			}
			if after == 0 || ran < after/2 {
				t.Errorf("only %d of the %d checks after the crash (check %d) executed steps: %v", ran, after, f.Check, stepsPerCheck)
			}
		})
	}
}

// TestVDIEngineRunCrashingChildren: every exec child exits on its 2nd
// call, so every restart is followed by a crash, sometimes in the
// shim.hello the runner sends after a restart. Each check must still run
// and report the crash; the run must not stop.
func TestVDIEngineRunCrashingChildren(t *testing.T) {
	t.Parallel()
	rig := newVDIRigWith(t, "exec", chaos.MustParseMode(chaos.ModeExit+"@2"), rigOptions{noReset: true})
	const checks = 6
	res, _, err := runEngine(t, rig, models.ProfileDocumented, 3, checks, 4)
	if err != nil {
		t.Fatalf("Run stopped after %d of %d checks: %v", res.Checks, checks, err)
	}
	if res.Checks != checks || len(res.Failures) == 0 || res.Failures[0].Divergence.Kind != engine.KindCrash {
		t.Errorf("Run: %d of %d checks, failures %+v", res.Checks, checks, res.Failures)
	}
}

// TestVDIHelloAfterFaultInReset: the shim.reset that closes a session
// faults (every child exits on its 2nd shim.reset); the next session runs
// on a restarted child, which must have been told the run's profile
// (strict) by shim.hello. The sequence is conformant in strict but not in
// the fixture's default profile (documented: Close with a device open
// returns VD_E_OPEN), so a child without hello shows a false divergence.
func TestVDIHelloAfterFaultInReset(t *testing.T) {
	t.Parallel()
	rig := newVDIRigWith(t, "exec", chaos.MustParseMode(chaos.ModeExit+":shim.reset@2"), rigOptions{profile: models.ProfileStrict})
	first := []models.Action{vact(vdi.OpCreate, -1, 1)}
	if d, _, _ := rig.replay(t, first); d != nil {
		t.Fatalf("first sequence: %s", d.Message())
	}
	if rig.drv.Restarts() != 0 {
		t.Fatalf("restarted before the faulty reset")
	}
	closeOpen := []models.Action{
		vact(vdi.OpCreate, -1, 1), vact(vdi.OpServerOpen, -1, 0), vact(vdi.OpGetConfiguration, -1, 0),
		vact(vdi.OpOpenDevice, 0, 0), vact(vdi.OpClose, -1, 0),
	}
	d, _, _ := rig.replay(t, closeOpen)
	if rig.drv.Restarts() != 1 {
		t.Errorf("%d restarts, want 1 (after the faulty shim.reset)", rig.drv.Restarts())
	}
	if d != nil {
		t.Errorf("strict sequence on the restarted child: %s", d.Message())
	}
}
