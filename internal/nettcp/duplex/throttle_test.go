package duplex_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/nettcp/duplex"
	"github.com/specgate/specgate/internal/nettcp/nbfx"
	"github.com/specgate/specgate/internal/nettcp/nmf"
	"github.com/specgate/specgate/internal/soap"
)

// throttledServer is a WCF-like listener with MaxConcurrentSessions:
// every connection is a session channel, and with max of them open it
// takes no new connection (no Preamble Ack) until one ends. It answers
// every request with IsIpamConfigured true, and counts how connections
// ended: with the End record, or abandoned (end of stream or error).
type throttledServer struct {
	uri   string
	slots chan struct{}

	mu                         sync.Mutex
	accepted, ended, abandoned int
	open                       int
}

func newThrottled(t *testing.T, max int) *throttledServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &throttledServer{uri: "net.tcp://" + ln.Addr().String() + "/ipam", slots: make(chan struct{}, max)}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			// Like WCF's listener loop: wait for a free slot, then accept.
			select {
			case s.slots <- struct{}{}:
			case <-done:
				return
			}
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.accepted++
			s.open++
			s.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				how := s.serve(t, nc)
				s.mu.Lock()
				s.open--
				if how {
					s.ended++
				} else {
					s.abandoned++
				}
				s.mu.Unlock()
				<-s.slots
			}()
		}
	}()
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	return s
}

// serve runs one session channel; it reports whether the client ended it
// with the End record.
func (s *throttledServer) serve(t *testing.T, nc net.Conn) bool {
	defer nc.Close()
	rr := duplex.NewRecordReader(nc, nmf.Limits{}, 5*time.Second, 0, false)
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	pre, err := nmf.ReadPreamble(rr.Reader())
	if err != nil {
		return false
	}
	if err := nmf.WritePreambleAck(nc); err != nil {
		return false
	}
	_ = nc.SetReadDeadline(time.Time{})
	codec, err := duplex.NewCodec(pre.Encoding, nbfx.Limits{}, false)
	if err != nil {
		t.Errorf("codec: %v", err)
		return false
	}
	for {
		rec, _, err := rr.Next(time.Time{})
		if err != nil {
			return false
		}
		switch r := rec.(type) {
		case nmf.EndRecord:
			return !r.EOF
		case nmf.SizedEnvelopeRecord:
			text, err := codec.Decode(r.Payload)
			if err != nil {
				t.Errorf("decode: %v", err)
				return false
			}
			req, err := soap.Parse(text, soap.Limits{})
			if err != nil {
				t.Errorf("parse: %v", err)
				return false
			}
			if req.Header.MessageID == "" {
				continue // one-way
			}
			resp := soap.NewResponse(req, soap.ActionIsIpamConfiguredResponse, soap.BoolResponseBody("IsIpamConfigured", true))
			payload, err := codec.Encode(resp.Marshal())
			if err != nil {
				t.Errorf("encode: %v", err)
				return false
			}
			if err := nmf.WriteSizedEnvelope(nc, payload); err != nil {
				return false
			}
		default:
			return false
		}
	}
}

func (s *throttledServer) counts() (accepted, ended, abandoned, open int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted, s.ended, s.abandoned, s.open
}

// settled waits (bounded, generously) until the server has no connection
// open, and returns its counts.
func (s *throttledServer) settled(t *testing.T) (accepted, ended, abandoned int) {
	t.Helper()
	for i := 0; i < 500; i++ {
		a, e, ab, open := s.counts()
		if open == 0 {
			return a, e, ab
		}
		time.Sleep(10 * time.Millisecond)
	}
	a, e, ab, open := s.counts()
	t.Errorf("%d connection(s) still open on the server", open)
	return a, e, ab
}

func query(tr *duplex.Transport) *soap.Envelope {
	return soap.NewRequest(soap.ActionIsIpamConfigured, tr.Endpoint(), "", soap.IsIpamConfiguredBody())
}

// TestIdleReuse: session-less calls reuse one connection, and Close ends
// it with the End record.
func TestIdleReuse(t *testing.T) {
	s := newThrottled(t, 10)
	tr, err := duplex.New(duplex.Options{Endpoint: s.uri, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := tr.Call(context.Background(), "", query(tr)); err != nil {
			t.Fatal(err)
		}
	}
	if n := tr.OpenConns(); n != 1 {
		t.Errorf("%d connections open after 3 session-less calls, want 1 (kept idle)", n)
	}
	tr.Close()
	accepted, ended, abandoned := s.settled(t)
	if accepted != 1 || ended != 1 || abandoned != 0 {
		t.Errorf("server: %d accepted, %d ended with End, %d abandoned; want 1, 1, 0", accepted, ended, abandoned)
	}
}

// TestThrottleShared: with the server at its session limit (2) held by two
// sessions, a session-less call neither hangs nor fails: past the probe it
// rides on an open session, and the wait is counted; the connection it
// gave up on is finished in the background and ended properly.
func TestThrottleShared(t *testing.T) {
	s := newThrottled(t, 2)
	tr, err := duplex.New(duplex.Options{Endpoint: s.uri, Timeout: 10 * time.Second, ThrottleProbe: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, _, err := tr.OpenSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := tr.OpenSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		resp, err := tr.Call(ctx, "", query(tr))
		if err != nil {
			t.Fatalf("session-less call at the server's limit: %v", err)
		}
		if v, err := soap.ParseBoolResponse(resp.Envelope, "IsIpamConfiguredResult"); err != nil || !v {
			t.Errorf("response %v %v", v, err)
		}
	}
	st := tr.Throttle()
	if st.Waits != 1 || st.Shared != 2 || st.Limit != 2 {
		t.Errorf("throttle stats %+v, want 1 wait, 2 shared calls, limit 2 (the second call shares at once)", st)
	}
	if tr.ThrottleReport() == "" {
		t.Error("no throttle report")
	}
	tr.CloseSession(a)
	tr.CloseSession(b)
	// The background connection is taken once a slot frees; then Close
	// ends it too.
	for i := 0; i < 500 && tr.OpenConns() == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	tr.Close()
	if _, ended, abandoned := s.settled(t); abandoned != 0 || ended != 3 {
		t.Errorf("server: %d ended with End, %d abandoned; want 3, 0", ended, abandoned)
	}
}

// TestThrottleRetire: a retired session is ended (End record) when a new
// session is not accepted in time, and its events stay readable.
func TestThrottleRetire(t *testing.T) {
	s := newThrottled(t, 2)
	tr, err := duplex.New(duplex.Options{Endpoint: s.uri, Timeout: 10 * time.Second, ThrottleProbe: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, _, err := tr.OpenSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := tr.OpenSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tr.Retire(a)
	c, _, err := tr.OpenSession(ctx)
	if err != nil {
		t.Fatalf("third session with one retired: %v", err)
	}
	if _, err := tr.Wait(ctx, a, func([]soap.Event) bool { return false }); !errors.Is(err, duplex.ErrSessionEnded) {
		t.Errorf("retired session: %v, want it ended (and still known)", err)
	}
	if st := tr.Throttle(); st.Waits != 1 || st.Released != 1 {
		t.Errorf("throttle stats %+v, want 1 wait, 1 released", st)
	}
	for _, id := range []string{a, b, c} {
		tr.CloseSession(id)
	}
	tr.Close()
	if accepted, ended, abandoned := s.settled(t); accepted != 3 || ended != 3 || abandoned != 0 {
		t.Errorf("server: %d accepted, %d ended with End, %d abandoned; want 3, 3, 0", accepted, ended, abandoned)
	}
}
