package reproducer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/shim"
	"github.com/specgate/specgate/internal/vdiapi"
)

// wireRecorder yields the exact request lines specgate's shim client
// writes: a real shim.Client talks over an in-memory pipe to the embedded
// reference (whose answers are never used), and the line each call sent
// is kept. The requests of a call do not depend on any earlier answer
// except the command id of CompleteCommand, which the script's runner
// fills in at run time.
type wireRecorder struct {
	cl     *shim.Client
	conn   net.Conn
	cancel context.CancelFunc
	done   chan struct{}
	last   []byte
}

func newWireRecorder(profile string) *wireRecorder {
	a, b := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	r := &wireRecorder{conn: a, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		_ = shim.Serve(ctx, b, b, vdiref.New(vdiref.Options{Profile: profile}))
		b.Close()
	}()
	r.cl = shim.DialConn(a, shim.Options{CallTimeout: 30 * time.Second, Transcript: func(dir string, line []byte) {
		if dir == shim.DirSend {
			r.last = append(r.last[:0], line...)
		}
	}})
	return r
}

// record runs call on the recording client and returns the request line
// it sent, with its JSON-RPC id set to 0 (the script's runner numbers
// requests 1, 2, 3, … in the order it sends them, as the client does on
// a fresh connection).
func (r *wireRecorder) record(call func(ctx context.Context, drv vdiapi.VDI) error) (json.RawMessage, error) {
	r.last = r.last[:0]
	if err := call(context.Background(), r.cl); err != nil {
		return nil, fmt.Errorf("record request: %w", err)
	}
	if len(r.last) == 0 {
		return nil, fmt.Errorf("record request: the call sent nothing")
	}
	line := r.last
	if rest, ok := bytes.CutPrefix(line, []byte(`{"jsonrpc":"2.0","id":`)); ok {
		if i := bytes.IndexByte(rest, ','); i > 0 {
			line = append([]byte(`{"jsonrpc":"2.0","id":0`), rest[i:]...)
		}
	}
	return append(json.RawMessage(nil), line...), nil
}

func (r *wireRecorder) close() {
	r.cl.Shutdown()
	r.conn.Close()
	r.cancel()
	<-r.done
}
