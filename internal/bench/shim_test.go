package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/shim"
	"github.com/specgate/specgate/internal/vdiapi"
)

var parallels = []int{1, 2, 4}

// BenchmarkExecShim runs the engine over exec: shims, one child per
// parallel sequence as `specgate run --target exec:...` does (the child is
// this test binary re-executed as shim.Serve over vdiref), and compares it
// with raw line round trips through the same kind of pipes to a shim.Echo
// child, with request lines of a typical harness request's size.
func BenchmarkExecShim(b *testing.B) {
	exe := selfExe(b)
	for _, p := range parallels {
		b.Run(pname(p), func(b *testing.B) {
			target := "exec:'" + exe + "'"
			t := shimTarget(b, p, func() string { return target }, []string{childEnv + "=" + childVDIRef})
			benchEngine(b, runner.VDIModel{}, t, "vdi", p)
		})
	}
	b.Run("raw-pipe", func(b *testing.B) {
		req := typicalRequest(b)
		c := startEcho(b, exe)
		benchRaw(b, req, echoConn{c.in, c.r})
	})
	// The machine's own ceiling for p4: four echo children driven at once.
	b.Run("raw-pipe-p4", func(b *testing.B) {
		req := typicalRequest(b)
		var conns []echoConn
		for k := 0; k < 4; k++ {
			c := startEcho(b, exe)
			conns = append(conns, echoConn{c.in, c.r})
		}
		benchRaw(b, req, conns...)
	})
}

// BenchmarkTCPShim runs the engine over tcp:// shims, one connection per
// parallel sequence, and compares it with raw line round trips on the same
// kind of socket. The shim is a separate process, as a vendor's TCP shim
// is (this test binary re-executed as shim.ListenAndServe over vdiref), and
// so is the raw baseline's echo server. The -inproc rows serve both in
// this process instead: one Go scheduler then runs both ends, which is
// faster at p1 and leaves nothing to gain at p4 on two cores.
func BenchmarkTCPShim(b *testing.B) {
	servers := []struct {
		suffix      string
		shim, echo  func(testing.TB) string
		parallelism []int
	}{
		{"", func(b testing.TB) string { return startTCPChild(b, childVDIRefTCP) },
			func(b testing.TB) string { return startTCPChild(b, childEchoTCP) }, parallels},
		{"-inproc", serveVDIRef, echoServer, []int{1, 4}},
	}
	for _, srv := range servers {
		for _, p := range srv.parallelism {
			b.Run(pname(p)+srv.suffix, func(b *testing.B) {
				addr := srv.shim(b)
				t := shimTarget(b, p, func() string { return "tcp://" + addr }, nil)
				benchEngine(b, runner.VDIModel{}, t, "vdi", p)
			})
		}
		for _, p := range []int{1, 4} {
			name := "raw-socket" + srv.suffix
			if p > 1 {
				name += "-p4" // the machine's own ceiling for p4
			}
			b.Run(name, func(b *testing.B) {
				req := typicalRequest(b)
				addr := srv.echo(b)
				var conns []echoConn
				for k := 0; k < p; k++ {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { c.Close() })
					conns = append(conns, echoConn{c, bufio.NewReaderSize(c, 64<<10)})
				}
				benchRaw(b, req, conns...)
			})
		}
	}
}

// echoConn is one raw line stream to an echo server.
type echoConn struct {
	w io.Writer
	r *bufio.Reader
}

// benchRaw times b.N round trips of req, shared among the connections,
// each driven by its own goroutine.
func benchRaw(b *testing.B, req []byte, conns ...echoConn) {
	errc := make(chan error, len(conns))
	b.ResetTimer()
	for k, c := range conns {
		n := b.N / len(conns)
		if k < b.N%len(conns) {
			n++
		}
		go func() {
			for i := 0; i < n; i++ {
				if _, err := c.w.Write(req); err != nil {
					errc <- err
					return
				}
				line, err := c.r.ReadSlice('\n')
				if err != nil || len(line) != len(req) {
					errc <- fmt.Errorf("echo: %d bytes, %v", len(line), err)
					return
				}
			}
			errc <- nil
		}()
	}
	for range conns {
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	recordSteps(b, b.N, map[string]float64{"req-bytes": float64(len(req))})
}

// shimTarget dials p shim clients (with a wire log each, like the CLI),
// says hello and resets, and pools them into a VDI target.
func shimTarget(b *testing.B, p int, target func() string, env []string) *runner.VDITarget {
	var drivers []vdiapi.VDI
	var wires []*runner.WireLog
	b.Cleanup(func() {
		for _, d := range drivers {
			d.Shutdown()
		}
	})
	for k := 0; k < p; k++ {
		wire := &runner.WireLog{}
		c, err := shim.Dial(context.Background(), target(), shim.Options{Env: env, Transcript: wire.Add})
		if err != nil {
			b.Fatal(err)
		}
		drivers, wires = append(drivers, c), append(wires, wire)
	}
	vdiHello(b, drivers)
	t, err := runner.NewVDIPool(drivers, wires, benchProfile)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

func selfExe(b testing.TB) string {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	if strings.ContainsRune(exe, '\'') {
		b.Skipf("cannot quote the test binary path %q for an exec: target", exe)
	}
	return exe
}

// serveVDIRef starts shim.ListenAndServe over one vdiref on 127.0.0.1:0
// for the benchmark's lifetime and returns its address.
func serveVDIRef(b testing.TB) string {
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- shim.ListenAndServe(ctx, "127.0.0.1:0", vdiref.New(vdiref.Options{Profile: benchProfile}), func(a net.Addr) { addrc <- a })
	}()
	b.Cleanup(func() { cancel(); <-errc })
	select {
	case a := <-addrc:
		return a.String()
	case err := <-errc:
		b.Fatal(err)
	}
	return ""
}

// echoServer is an in-process TCP server answering every connection with
// shim.Echo.
func echoServer(b testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	b.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); shim.Echo(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// echoChild is a shim.Echo child on pipes set up like the shim client's
// exec transport (os.Pipe, 64 KiB read buffer).
type echoChild struct {
	in *os.File
	r  *bufio.Reader
}

func startEcho(b testing.TB, exe string) *echoChild {
	inR, inW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = []string{childEnv + "=" + childEcho}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	inR.Close()
	outW.Close()
	b.Cleanup(func() {
		inW.Close()
		waitChild(cmd)
		outR.Close()
	})
	return &echoChild{in: inW, r: bufio.NewReaderSize(outR, 64<<10)}
}

var (
	typicalOnce sync.Once
	typicalLen  int
	typicalErr  string
)

// typicalRequest returns a JSON-RPC request line as long as the mean
// request line the harness sends: measured once, from a short engine run
// over an in-process TCP shim with a transcript hook.
func typicalRequest(b testing.TB) []byte {
	typicalOnce.Do(func() {
		addr := serveVDIRef(b)
		var mu sync.Mutex
		var total, count int
		c, err := shim.Dial(context.Background(), "tcp://"+addr, shim.Options{Transcript: func(dir string, line []byte) {
			if dir == shim.DirSend {
				mu.Lock()
				total += len(line)
				count++
				mu.Unlock()
			}
		}})
		if err != nil {
			typicalErr = err.Error()
			return
		}
		defer c.Shutdown()
		vdiHello(b, []vdiapi.VDI{c})
		t, err := runner.NewVDITarget(c, benchProfile, nil)
		if err != nil {
			typicalErr = err.Error()
			return
		}
		engineSteps(b, runner.VDIModel{}, t, "vdi", 1, 5000)
		typicalLen = (total + count/2) / count
	})
	if typicalErr != "" {
		b.Fatal(typicalErr)
	}
	head := `{"jsonrpc":"2.0","id":123456,"method":"vdi.GetCommand","params":{"set":"c1234","device":"`
	tail := `"}}`
	pad := max(0, typicalLen-len(head)-len(tail))
	return []byte(head + strings.Repeat("d", pad) + tail + "\n")
}

// waitChild waits for a child told to stop (its stdin closed), killing it
// after 5 s.
func waitChild(cmd *exec.Cmd) {
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}
