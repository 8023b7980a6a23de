package shim

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/vdiapi"
)

// shellQuote quotes s for an exec: target.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func selfTarget() string { return "exec:" + shellQuote(os.Args[0]) }

func dialChild(t *testing.T, mode string, opts Options, env ...string) *Client {
	t.Helper()
	// GORACE: a race-enabled child otherwise sleeps 1s before exiting.
	opts.Env = append(append(opts.Env, childEnvVar+"="+mode, "GORACE=atexit_sleep_ms=0"), env...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := Dial(ctx, selfTarget(), opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Shutdown() })
	return c
}

// startTCP serves impl on a fresh port and returns its tcp:// target.
func startTCP(t *testing.T, impl vdiapi.VDI) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- ListenAndServe(ctx, "127.0.0.1:0", impl, func(a net.Addr) { addrc <- a }) }()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("ListenAndServe: %v", err)
	case <-time.After(2 * time.Second):
		t.Fatal("ListenAndServe did not become ready")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ListenAndServe returned %v after cancel, want nil", err)
			}
		case <-time.After(2 * time.Second):
			t.Error("ListenAndServe did not return after cancel")
		}
	})
	return "tcp://" + addr.String()
}

func dialTCPTarget(t *testing.T, target string, opts Options) *Client {
	t.Helper()
	c, err := Dial(context.Background(), target, opts)
	if err != nil {
		t.Fatalf("Dial(%s): %v", target, err)
	}
	t.Cleanup(func() { c.Shutdown() })
	return c
}

// script runs one call of every method with awkward arguments and renders
// the results, so that a direct run and a run through a shim can be
// compared exactly.
func script(ctx context.Context, v vdiapi.VDI) (out []string, err error) {
	rec := func(name string, vals ...any) {
		out = append(out, name+" "+fmt.Sprintf("%#v", vals))
	}
	cfg := vdiapi.Config{DeviceCount: 3, Features: 0x40000 | 0x2000, PrefixZoneSize: 1, Alignment: 512,
		SoftFileMarkBlockSize: 2, EOMWarningSize: 3, ServerTimeOut: 4, BlockSize: 65536,
		MaxIODepth: 4, MaxTransferSize: 1 << 20, BufferAreaSize: ^uint32(0)}
	sets := []string{"s1", "ok-set", `q"uo\te` + "\n\t\x01", "ünïcødé-€", ""}
	for _, profile := range []string{"strict", "documented"} {
		h, err := v.Hello(ctx, profile)
		if err != nil {
			return out, err
		}
		rec("Hello", h)
	}
	for _, set := range []string{"", "s1"} {
		if err := v.Reset(ctx, set); err != nil {
			return out, err
		}
		rec("Reset", set)
	}
	for _, set := range sets {
		hr, err := v.Create(ctx, set, cfg)
		if err != nil {
			return out, err
		}
		rec("Create", hr)
		if hr, err = v.CreateEx(ctx, "INST\\A", set, cfg); err != nil {
			return out, err
		}
		rec("CreateEx", hr)
		if hr, err = v.CreateEx(ctx, "", set, vdiapi.Config{}); err != nil {
			return out, err
		}
		rec("CreateEx0", hr)
		for _, to := range []uint32{0, 1, ^uint32(0)} {
			hr, c, err := v.GetConfiguration(ctx, set, to)
			if err != nil {
				return out, err
			}
			rec("GetConfiguration", hr, c)
		}
		for _, dev := range []string{set, vdiapi.DeviceName(set, 1), "ok-dev", "ok-" + set} {
			hr, err := v.OpenDevice(ctx, set, dev)
			if err != nil {
				return out, err
			}
			rec("OpenDevice", hr)
			for _, to := range []uint32{0, 1000} {
				hr, c, err := v.GetCommand(ctx, set, dev, to)
				if err != nil {
					return out, err
				}
				rec("GetCommand", hr, c)
			}
			for _, id := range []uint64{1, 1 << 53, ^uint64(0)} {
				hr, err := v.CompleteCommand(ctx, set, dev, id, 995, ^uint32(0)-1, id-1)
				if err != nil {
					return out, err
				}
				rec("CompleteCommand", hr)
			}
			hr, id, err := v.ServerSendCommand(ctx, set, dev, 2, 65536)
			if err != nil {
				return out, err
			}
			rec("ServerSendCommand", hr, id)
			if hr, err = v.ServerCloseDevice(ctx, set, dev); err != nil {
				return out, err
			}
			rec("ServerCloseDevice", hr)
		}
		for _, devs := range [][]string{{set}, {set, set + ".1", set + ".2"}, {}} {
			hr, err := v.ServerOpen(ctx, set, devs)
			if err != nil {
				return out, err
			}
			rec("ServerOpen", hr)
		}
		for _, f := range []func(context.Context, string) (uint32, error){v.SignalAbort, v.ServerSignalAbort, v.Close} {
			hr, err := f(ctx, set)
			if err != nil {
				return out, err
			}
			rec("setOnly", hr)
		}
	}
	return out, nil
}

// roundTripTimeout is the call deadline of the round-trip tests. They
// check what crosses the wire, not timing: a call is a hang only past it,
// far beyond what a loaded 2-core machine under the race detector takes.
const roundTripTimeout = 30 * time.Second

// checkScript runs script directly and through v and compares the
// results. The script has no deadline of its own (on a loaded machine its
// 224 calls may together take long): each call is bounded by the
// client's call deadline alone.
func checkScript(t *testing.T, v vdiapi.VDI) {
	t.Helper()
	ctx := context.Background()
	want, err := script(ctx, fakeImpl{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := script(ctx, v)
	if err != nil {
		t.Fatalf("script through the shim: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d", len(got), len(want))
	}
	ok := 0
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("result %d:\n got %s\nwant %s", i, got[i], want[i])
		}
		if strings.Contains(want[i], "0x0,") || strings.HasPrefix(want[i], "Hello") {
			ok++
		}
	}
	// The script must exercise out-values, not only error codes.
	if ok < 10 {
		t.Fatalf("script produced only %d successful results; the fake is not exercised", ok)
	}
}

func TestRoundTripExec(t *testing.T) {
	c := dialChild(t, "serve", Options{CallTimeout: roundTripTimeout})
	checkScript(t, c)
	if c.Restarts() != 0 {
		t.Errorf("Restarts = %d, want 0", c.Restarts())
	}
}

func TestRoundTripTCP(t *testing.T) {
	c := dialTCPTarget(t, startTCP(t, fakeImpl{}), Options{CallTimeout: roundTripTimeout})
	checkScript(t, c)
}

// slowImpl answers like fakeImpl, each call delay later: a SUT on a busy
// machine, slow but never past a call deadline.
type slowImpl struct {
	fakeImpl
	delay time.Duration
}

func (s slowImpl) OpenDevice(ctx context.Context, set, device string) (uint32, error) {
	time.Sleep(s.delay)
	return s.fakeImpl.OpenDevice(ctx, set, device)
}

func (s slowImpl) GetCommand(ctx context.Context, set, device string, timeoutMs uint32) (uint32, vdiapi.Command, error) {
	time.Sleep(s.delay)
	return s.fakeImpl.GetCommand(ctx, set, device, timeoutMs)
}

func (s slowImpl) CompleteCommand(ctx context.Context, set, device string, id uint64, code, n uint32, pos uint64) (uint32, error) {
	time.Sleep(s.delay)
	return s.fakeImpl.CompleteCommand(ctx, set, device, id, code, n, pos)
}

// TestRoundTripTCPSlowCalls is TestRoundTripTCP on a machine so loaded
// that the 120 device calls of the script take 12 s in all while each
// stays far below the call deadline: the script must still pass (it had a
// 10 s deadline of its own, which a busy scheduler missed as "shim hang
// in vdi.OpenDevice").
func TestRoundTripTCPSlowCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test sleeps 12 s; make test runs it")
	}
	t.Parallel()
	c := dialTCPTarget(t, startTCP(t, slowImpl{delay: 100 * time.Millisecond}), Options{CallTimeout: roundTripTimeout})
	checkScript(t, c)
}

func TestRoundTripWatchdog(t *testing.T) {
	noDeadlines = true
	defer func() { noDeadlines = false }()
	c := dialChild(t, "serve", Options{CallTimeout: roundTripTimeout})
	checkScript(t, c)
}

// TestWireFormat pins the exact bytes of a request and a response.
func TestWireFormat(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	rec := func(dir string, line []byte) {
		mu.Lock()
		lines = append(lines, dir+" "+string(line))
		mu.Unlock()
	}
	c := dialChild(t, "serve", Options{CallTimeout: 2 * time.Second, Transcript: rec})
	ctx := context.Background()
	if _, err := c.Hello(ctx, "strict"); err != nil {
		t.Fatal(err)
	}
	if err := c.Reset(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.GetCommand(ctx, "ok", "ok.1", 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ServerSendCommand(ctx, "s", "ok", 2, 4096); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`send {"jsonrpc":"2.0","id":1,"method":"shim.hello","params":{"protocol":"specgate-vdi-shim/1","profile":"strict"}}`,
		`recv {"jsonrpc":"2.0","id":1,"result":{"hr":"0x00000000","protocol":"specgate-vdi-shim/1","implementation":"fake","version":"strict","capabilities":{"concurrentSets":true,"server":true}}}`,
		`send {"jsonrpc":"2.0","id":2,"method":"shim.reset","params":{}}`,
		`recv {"jsonrpc":"2.0","id":2,"result":{"hr":"0x00000000"}}`,
		`send {"jsonrpc":"2.0","id":3,"method":"vdi.GetCommand","params":{"set":"ok","device":"ok.1","timeout":0}}`,
	}
	s := sum("GetCommand", "ok", "ok.1", uint32(0))
	want = append(want, fmt.Sprintf(`recv {"jsonrpc":"2.0","id":3,"result":{"hr":"0x00000000","command":{"id":%d,"code":%d,"size":%d,"position":%d}}}`,
		uint64(s)<<32|7, s, ^s, uint64(^s)<<31|3))
	want = append(want, `send {"jsonrpc":"2.0","id":4,"method":"server.SendCommand","params":{"set":"s","device":"ok","code":2,"size":4096}}`)
	s = sum("ServerSendCommand", "s", "ok", uint32(2), uint32(4096))
	want = append(want, fmt.Sprintf(`recv {"jsonrpc":"2.0","id":4,"result":{"hr":"0x00000000","command":%d}}`, uint64(s)<<24|1))
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("transcript:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func asShimError(t *testing.T, err error, kind Kind) *Error {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *shim.Error", err, err)
	}
	if se.Kind != kind {
		t.Fatalf("error %q has kind %v, want %v", se.Error(), se.Kind, kind)
	}
	return se
}

// checkWorks makes a call that must succeed and match the fake.
func checkWorks(t *testing.T, c *Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	hr, err := c.Create(ctx, "after", vdiapi.Config{DeviceCount: 2})
	if err != nil {
		t.Fatalf("call after the fault: %v", err)
	}
	if want := sum("Create", "after", vdiapi.Config{DeviceCount: 2}); hr != want {
		t.Fatalf("call after the fault: hr %#x, want %#x", hr, want)
	}
}

func TestHangExec(t *testing.T) {
	for _, watchdog := range []bool{false, true} {
		t.Run(fmt.Sprintf("watchdog=%v", watchdog), func(t *testing.T) {
			noDeadlines = watchdog
			defer func() { noDeadlines = false }()
			c := dialChild(t, "serve", Options{CallTimeout: 300 * time.Millisecond})
			checkWorks(t, c)
			start := time.Now()
			_, err := c.Create(context.Background(), "hang", vdiapi.Config{})
			elapsed := time.Since(start)
			se := asShimError(t, err, KindTimeout)
			if got, want := se.Error(), "shim hang in vdi.Create: no response before the call deadline"; got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
			if elapsed < 250*time.Millisecond || elapsed > 2*time.Second {
				t.Errorf("hang reported after %v, want about 300ms", elapsed)
			}
			if c.Restarts() != 0 {
				t.Errorf("Restarts = %d before the next call, want 0", c.Restarts())
			}
			checkWorks(t, c)
			if c.Restarts() != 1 {
				t.Errorf("Restarts = %d, want 1", c.Restarts())
			}
		})
	}
}

func TestHangContextDeadline(t *testing.T) {
	c := dialChild(t, "serve", Options{CallTimeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := c.GetCommand(ctx, "hang", "hang", 0)
	asShimError(t, err, KindTimeout)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("ctx deadline honoured after %v", elapsed)
	}
	checkWorks(t, c)
}

func TestCancelledCall(t *testing.T) {
	for _, watchdog := range []bool{false, true} {
		t.Run(fmt.Sprintf("watchdog=%v", watchdog), func(t *testing.T) {
			noDeadlines = watchdog
			defer func() { noDeadlines = false }()
			c := dialChild(t, "serve", Options{CallTimeout: 10 * time.Second})
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			start := time.Now()
			_, err := c.SignalAbort(ctx, "hang")
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			var se *Error
			if errors.As(err, &se) {
				t.Errorf("a cancelled call is not a shim fault, got %v", se)
			}
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("cancel honoured after %v", elapsed)
			}
			if _, err := c.SignalAbort(ctx, "x"); !errors.Is(err, context.Canceled) {
				t.Errorf("call with a done ctx: err = %v, want context.Canceled", err)
			}
			checkWorks(t, c)
		})
	}
}

func TestCrashExec(t *testing.T) {
	c := dialChild(t, "serve", Options{CallTimeout: 2 * time.Second})
	var msgs []string
	for i := 0; i < 2; i++ {
		_, err := c.Close(context.Background(), "crash")
		se := asShimError(t, err, KindCrash)
		if !strings.Contains(se.StderrTail, "fake shim: crashing on purpose") {
			t.Errorf("StderrTail = %q, want the child's message", se.StderrTail)
		}
		if strings.Contains(se.Error(), "crashing on purpose") {
			t.Errorf("Error() %q contains the stderr tail", se.Error())
		}
		msgs = append(msgs, se.Error())
		checkWorks(t, c)
	}
	want := "shim crash in vdi.Close: shim exited in the middle of a response line (exit status 70)"
	for _, m := range msgs {
		if m != want {
			t.Errorf("Error() = %q, want %q", m, want)
		}
	}
	if c.Restarts() != 2 {
		t.Errorf("Restarts = %d, want 2", c.Restarts())
	}
}

func TestCrashAtStartup(t *testing.T) {
	c := dialChild(t, "exit3", Options{CallTimeout: 2 * time.Second})
	_, err := c.Hello(context.Background(), "strict")
	se := asShimError(t, err, KindCrash)
	if got, want := se.Error(), "shim crash in shim.hello: shim exited before answering (exit status 3)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !strings.Contains(se.StderrTail, "giving up at startup") {
		t.Errorf("StderrTail = %q", se.StderrTail)
	}
}

func TestMalformedExec(t *testing.T) {
	cases := []struct {
		reply string
		kind  Kind
		want  string
	}{
		{"this is a log line", KindMalformed, `shim malformed in vdi.Close: response is not valid JSON (invalid character 'h' in literal true (expecting 'r')); stdout must carry protocol lines only`},
		{`{"jsonrpc":"2.0","id":999,"result":{"hr":"0x00000000"}}`, KindMalformed, "shim malformed in vdi.Close: response id 999 does not match request id 1"},
		{`{"jsonrpc":"2.0","id":$ID,"result":{}}`, KindMalformed, `shim malformed in vdi.Close: result lacks "hr"`},
		{`{"jsonrpc":"2.0","id":$ID,"result":{"hr":"E_FAIL"}}`, KindMalformed, `shim malformed in vdi.Close: result.hr "E_FAIL" is not an HRESULT like "0x8077000C"`},
		{`{"jsonrpc":"2.0","id":$ID,"error":{"code":-32601,"message":"no such method"}}`, KindRPC, `shim rpc-error in vdi.Close: JSON-RPC error -32601: "no such method"`},
		{"@huge", KindMalformed, "shim malformed in vdi.Close: response line longer than 1 MiB"},
	}
	for _, tc := range cases {
		t.Run(tc.reply[:min(len(tc.reply), 20)], func(t *testing.T) {
			c := dialChild(t, "raw", Options{CallTimeout: 2 * time.Second}, replyEnvVar+"="+tc.reply)
			_, err := c.Close(context.Background(), "s")
			se := asShimError(t, err, tc.kind)
			if se.Error() != tc.want {
				t.Errorf("Error() = %q\n               want %q", se.Error(), tc.want)
			}
			// A JSON-RPC error leaves the stream in sync; anything else
			// restarts the child.
			c.Close(context.Background(), "s")
			wantRestarts := 1
			if tc.kind == KindRPC {
				wantRestarts = 0
			}
			if c.Restarts() != wantRestarts {
				t.Errorf("Restarts = %d, want %d", c.Restarts(), wantRestarts)
			}
		})
	}
}

func TestMalformedTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				// Answer the first request (with CRLF) and follow it
				// with garbage, which the second request will meet.
				br := bufio.NewReader(conn)
				line, _ := br.ReadBytes('\n')
				var req struct{ ID json.RawMessage }
				json.Unmarshal(line, &req)
				conn.Write([]byte(`{"jsonrpc":"2.0","id":` + string(req.ID) + `,"result":{"hr":"0x8077000C"}}` + "\r\n{garbage}\n"))
				br.ReadBytes('\n')
			}()
		}
	}()
	c := dialTCPTarget(t, "tcp://"+ln.Addr().String(), Options{CallTimeout: time.Second})
	ctx := context.Background()
	// CRLF line endings are accepted.
	if hr, err := c.Close(ctx, "s"); err != nil || hr != 0x8077000C {
		t.Fatalf("Close = %#x, %v; want 0x8077000C, nil", hr, err)
	}
	_, err = c.Close(ctx, "s")
	se := asShimError(t, err, KindMalformed)
	if !strings.Contains(se.Detail, "not valid JSON") {
		t.Errorf("Detail = %q", se.Detail)
	}
	// The connection was dropped; the next call redials and gets the
	// first answer of a fresh connection.
	if hr, err := c.Close(ctx, "s"); err != nil || hr != 0x8077000C {
		t.Fatalf("Close after redial = %#x, %v", hr, err)
	}
	if c.Restarts() != 1 {
		t.Errorf("Restarts = %d, want 1", c.Restarts())
	}
}

func TestHangAndCrashTCP(t *testing.T) {
	c := dialTCPTarget(t, startTCP(t, fakeImpl{}), Options{CallTimeout: 300 * time.Millisecond})
	ctx := context.Background()
	start := time.Now()
	_, err := c.OpenDevice(ctx, "hang", "hang")
	se := asShimError(t, err, KindTimeout)
	if se.Error() != "shim hang in vdi.OpenDevice: no response before the call deadline" {
		t.Errorf("Error() = %q", se.Error())
	}
	if elapsed := time.Since(start); elapsed < 250*time.Millisecond || elapsed > 2*time.Second {
		t.Errorf("hang reported after %v", elapsed)
	}
	checkWorks(t, c)
	_, err = c.OpenDevice(ctx, "crash", "d")
	se = asShimError(t, err, KindCrash)
	if se.Error() != "shim crash in vdi.OpenDevice: connection closed by the shim in the middle of a response line" {
		t.Errorf("Error() = %q", se.Error())
	}
	if se.StderrTail != "" {
		t.Errorf("StderrTail = %q for tcp", se.StderrTail)
	}
	checkWorks(t, c)
	if c.Restarts() != 2 {
		t.Errorf("Restarts = %d, want 2", c.Restarts())
	}
	// A JSON-RPC internal error from the impl keeps the connection.
	_, err = c.OpenDevice(ctx, "fail", "d")
	se = asShimError(t, err, KindRPC)
	if se.Error() != `shim rpc-error in vdi.OpenDevice: JSON-RPC error -32603: "fake failure"` {
		t.Errorf("Error() = %q", se.Error())
	}
	checkWorks(t, c)
	if c.Restarts() != 2 {
		t.Errorf("Restarts = %d after an rpc error, want 2", c.Restarts())
	}
}

func TestShimResetAndHelloErrors(t *testing.T) {
	c := dialChild(t, "serve", Options{CallTimeout: 2 * time.Second})
	err := c.Reset(context.Background(), "fail")
	asShimError(t, err, KindRPC)
	h, err := c.Hello(context.Background(), "documented")
	if err != nil {
		t.Fatal(err)
	}
	want := vdiapi.Hello{Protocol: vdiapi.ProtocolVersion, Implementation: "fake", Version: "documented",
		Capabilities: vdiapi.Capabilities{ConcurrentSets: true, Server: true}}
	if h != want {
		t.Errorf("Hello = %+v, want %+v", h, want)
	}
}

func TestMinimalEnvironment(t *testing.T) {
	t.Setenv("SPECGATE_SHIM_TEST_SECRET", "leak")
	t.Setenv("HOME", "/nonexistent-home")
	c := dialChild(t, "serve", Options{CallTimeout: 2 * time.Second}, "EXTRA_ONE=1")
	h, err := c.Hello(context.Background(), "env")
	if err != nil {
		t.Fatal(err)
	}
	keys := strings.Split(h.Implementation, ",")
	allowed := map[string]bool{"PATH": true, "HOME": true, "TMPDIR": true, "LANG": true,
		"EXTRA_ONE": true, childEnvVar: true, "GORACE": true}
	seen := map[string]bool{}
	for _, k := range keys {
		if !allowed[k] {
			t.Errorf("child sees %s; want only PATH, HOME, TMPDIR, LANG and Options.Env", k)
		}
		seen[k] = true
	}
	for _, k := range []string{"HOME", "EXTRA_ONE", childEnvVar} {
		if !seen[k] {
			t.Errorf("child lacks %s (env %v)", k, keys)
		}
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	cases := []struct{ target, want string }{
		{"exec:/nonexistent/dir/shim --flag", `shim unreachable: cannot start "/nonexistent/dir/shim": no such file`},
		{"exec:specgate-no-such-shim-binary", `shim unreachable: cannot start "specgate-no-such-shim-binary": executable not found`},
		{"tcp://" + closed, "shim unreachable: connection refused"},
	}
	for _, tc := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := Dial(ctx, tc.target, Options{})
		cancel()
		if err == nil {
			c.Shutdown()
			t.Errorf("Dial(%s) succeeded", tc.target)
			continue
		}
		se := asShimError(t, err, KindUnreachable)
		if se.Error() != tc.want {
			t.Errorf("Dial(%s): Error() = %q, want %q", tc.target, se.Error(), tc.want)
		}
	}
}

func TestTCPTargetForms(t *testing.T) {
	target := startTCP(t, fakeImpl{})
	hostport := strings.TrimPrefix(target, "tcp://")
	_, port, _ := net.SplitHostPort(hostport)
	for _, tgt := range []string{target, "tcp:" + hostport, "tcp://:" + port} {
		c := dialTCPTarget(t, tgt, Options{CallTimeout: time.Second})
		checkWorks(t, c)
	}
}

func TestRedialFailureIsUnreachable(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- ListenAndServe(ctx, ":0", fakeImpl{}, func(a net.Addr) { addrc <- a })
	}()
	addr := <-addrc
	if !strings.HasPrefix(addr.String(), "127.0.0.1:") {
		t.Errorf("empty host bound %s, want 127.0.0.1", addr)
	}
	c := dialTCPTarget(t, "tcp://"+addr.String(), Options{CallTimeout: time.Second})
	checkWorks(t, c)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ListenAndServe: %v", err)
	}
	// The server closed the connection: the next call sees the crash,
	// the one after cannot reconnect.
	_, err := c.Close(context.Background(), "s")
	asShimError(t, err, KindCrash)
	_, err = c.Close(context.Background(), "s")
	se := asShimError(t, err, KindUnreachable)
	if se.Error() != "shim unreachable in vdi.Close: connection refused" {
		t.Errorf("Error() = %q", se.Error())
	}
}

func TestBadTargets(t *testing.T) {
	for _, target := range []string{"", "ftp://x", "exec:", "exec:  ", `exec:'unbalanced`, `exec:"open`, `exec:trailing\`,
		"tcp://", "tcp://hostonly", "tcp://h:1/path"} {
		c, err := Dial(context.Background(), target, Options{})
		if err == nil {
			c.Shutdown()
			t.Errorf("Dial(%q) succeeded", target)
			continue
		}
		var se *Error
		if errors.As(err, &se) {
			t.Errorf("Dial(%q) = %v: a bad target is a configuration error, not a shim fault", target, err)
		}
	}
}

func TestShutdown(t *testing.T) {
	c := dialChild(t, "serve", Options{CallTimeout: time.Second})
	checkWorks(t, c)
	start := time.Now()
	if err := c.Shutdown(); err != nil {
		t.Fatal(err)
	}
	// The serve child exits on stdin EOF: no grace period is used up.
	if elapsed := time.Since(start); elapsed > shutdownWait/2 {
		t.Errorf("Shutdown took %v", elapsed)
	}
	if _, err := c.Close(context.Background(), "s"); !errors.Is(err, errShutdown) {
		t.Errorf("call after Shutdown: %v", err)
	}
}

func TestConcurrentCalls(t *testing.T) {
	c := dialChild(t, "serve", Options{CallTimeout: 2 * time.Second})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				set := fmt.Sprintf("ok-%d-%d", g, i)
				hr, cmd, err := c.GetCommand(context.Background(), set, "ok", uint32(i))
				_, wantCmd, _ := fakeImpl{}.GetCommand(context.Background(), set, "ok", uint32(i))
				if err != nil || hr != 0 || cmd != wantCmd {
					errs <- fmt.Errorf("%s: %#x %+v %v, want %+v", set, hr, cmd, err, wantCmd)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSplitCommandLine(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"shim", []string{"shim"}},
		{"  ./shim  --a\tb \n c ", []string{"./shim", "--a", "b", "c"}},
		{`'/opt/my shim/run' "two words" three`, []string{"/opt/my shim/run", "two words", "three"}},
		{`a'b'"c"d`, []string{"abcd"}},
		{`'' ""`, []string{"", ""}},
		{`'it'\''s'`, []string{"it's"}},
		{`"a \"q\" \\ \$ \x"`, []string{`a "q" \ $ \x`}},
		{`'no \escapes "here"'`, []string{`no \escapes "here"`}},
		{`a\ b c\\d \'e`, []string{"a b", `c\d`, "'e"}},
		{"a\\\nb", []string{"ab"}},
		{`"multi` + "\n" + `line"`, []string{"multi\nline"}},
		{"python3 -u shim.py --profile=x", []string{"python3", "-u", "shim.py", "--profile=x"}},
		{"", nil},
	}
	for _, tc := range cases {
		got, err := SplitCommandLine(tc.in)
		if err != nil {
			t.Errorf("SplitCommandLine(%q): %v", tc.in, err)
			continue
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
			t.Errorf("SplitCommandLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, in := range []string{`'open`, `"open`, `a "b`, `trailing\`, `"esc\"`, `ok 'x''`} {
		if got, err := SplitCommandLine(in); err == nil {
			t.Errorf("SplitCommandLine(%q) = %q, want an error", in, got)
		} else if !strings.Contains(err.Error(), "unbalanced") && !strings.Contains(err.Error(), "trailing backslash") {
			t.Errorf("SplitCommandLine(%q): unclear error %v", in, err)
		}
	}
}
