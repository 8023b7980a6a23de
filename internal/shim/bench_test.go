package shim

import (
	"context"
	"net"
	"os"
	"testing"

	"github.com/specgate/specgate/internal/vdiapi"
)

// quickImpl answers the benchmarked calls with constants, so benchmarks
// measure the protocol and not the fake.
type quickImpl struct{ fakeImpl }

func (quickImpl) GetCommand(context.Context, string, string, uint32) (uint32, vdiapi.Command, error) {
	return 0, vdiapi.Command{ID: 12345, Code: 2, Size: 65536, Position: 0}, nil
}

func (quickImpl) Close(context.Context, string) (uint32, error) { return 0x8077000C, nil }

// A typical request line and its answer, for the raw baselines.
const (
	benchRequest = `{"jsonrpc":"2.0","id":123456,"method":"vdi.GetCommand","params":{"set":"specgate-0001","device":"specgate-0001.1","timeout":0}}` + "\n"
)

func benchRaw(b *testing.B, tr transport) {
	var scratch []byte
	req := []byte(benchRequest)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := readLine(tr.reader(), &scratch); err != nil {
			b.Fatal(err)
		}
	}
}

func benchClient(b *testing.B, c *Client) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hr, cmd, err := c.GetCommand(ctx, "specgate-0001", "specgate-0001.1", 0)
		if err != nil || hr != 0 || cmd.ID != 12345 {
			b.Fatal(hr, err)
		}
	}
}

// BenchmarkRawPipeExec is the baseline: line round trips through an Echo
// child over the same kind of pipes the Client uses.
func BenchmarkRawPipeExec(b *testing.B) {
	e, err := startExec([]string{os.Args[0]}, childEnv([]string{childEnvVar + "=echo"}), nopLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer e.close(true)
	benchRaw(b, e)
}

func BenchmarkClientExec(b *testing.B) {
	c, err := Dial(context.Background(), selfTarget(), Options{Env: []string{childEnvVar + "=servequick"}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Shutdown()
	benchClient(b, c)
}

func echoServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { Echo(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

func BenchmarkRawTCP(b *testing.B) {
	addr := echoServer(b)
	tr, err := dialTCP(context.Background(), addr, farFuture(), nopLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer tr.close(false)
	benchRaw(b, tr)
}

func BenchmarkClientTCP(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan net.Addr, 1)
	go ListenAndServe(ctx, "127.0.0.1:0", quickImpl{}, func(a net.Addr) { addrc <- a })
	c, err := Dial(context.Background(), "tcp://"+(<-addrc).String(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Shutdown()
	benchClient(b, c)
}

// BenchmarkDecodeResponse measures the client's response parser alone.
func BenchmarkDecodeResponse(b *testing.B) {
	line := []byte(`{"jsonrpc":"2.0","id":123456,"result":{"hr":"0x00000000","command":{"id":12345,"code":2,"size":65536,"position":0}}}`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var r result
		if err := decodeResponse(line, mGetCommand, 123456, &r); err != nil {
			b.Fatal(err)
		}
	}
}
