package duplex_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/nettcp/duplex"
	"github.com/specgate/specgate/internal/nettcp/nbfx"
	"github.com/specgate/specgate/internal/nettcp/nmf"
	"github.com/specgate/specgate/internal/soap"
)

// peer is the server side of one scripted connection.
type peer struct {
	t     *testing.T
	nc    net.Conn
	rr    *duplex.RecordReader
	codec *duplex.Codec
	pre   nmf.Preamble
}

// recv reads the next message and parses it.
func (p *peer) recv() *soap.Envelope {
	p.t.Helper()
	rec, _, err := p.rr.Next(time.Now().Add(5 * time.Second))
	if err != nil {
		p.t.Errorf("peer: %v", err)
		return nil
	}
	se, ok := rec.(nmf.SizedEnvelopeRecord)
	if !ok {
		p.t.Errorf("peer: got %v", rec.Type())
		return nil
	}
	text, err := p.codec.Decode(se.Payload)
	if err != nil {
		p.t.Errorf("peer decode: %v", err)
		return nil
	}
	env, err := soap.Parse(text, soap.Limits{})
	if err != nil {
		p.t.Errorf("peer parse: %v", err)
		return nil
	}
	return env
}

// sendText encodes text and writes it as a Sized Envelope.
func (p *peer) sendText(text string) {
	p.t.Helper()
	payload, err := p.codec.Encode([]byte(text))
	if err != nil {
		p.t.Errorf("peer encode: %v", err)
		return
	}
	if err := nmf.WriteSizedEnvelope(p.nc, payload); err != nil {
		p.t.Errorf("peer write: %v", err)
	}
}

func (p *peer) send(env *soap.Envelope) { p.sendText(string(env.Marshal())) }

// fakeServer accepts connections and runs script on each after the
// preamble (acknowledged unless script is preambleScript).
type fakeServer struct {
	ln  net.Listener
	uri string
	wg  sync.WaitGroup
}

func newFake(t *testing.T, ack bool, script func(*peer)) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{ln: ln, uri: "net.tcp://" + ln.Addr().String() + "/ipam"}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer nc.Close()
				p := &peer{t: t, nc: nc, rr: duplex.NewRecordReader(nc, nmf.Limits{}, 5*time.Second, 0, false)}
				_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
				pre, err := nmf.ReadPreamble(p.rr.Reader())
				if err != nil {
					t.Errorf("peer preamble: %v", err)
					return
				}
				p.pre = pre
				if ack {
					if err := nmf.WritePreambleAck(nc); err != nil {
						return
					}
					if p.codec, err = duplex.NewCodec(pre.Encoding, nbfx.Limits{}, false); err != nil {
						t.Errorf("peer codec: %v", err)
						return
					}
				}
				script(p)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

func newTransport(t *testing.T, opts duplex.Options) *duplex.Transport {
	t.Helper()
	tr, err := duplex.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func initialize(tr *duplex.Transport, replyTo string) *soap.Envelope {
	return soap.NewRequest(soap.ActionInitializeAsyncSchemaConversion, tr.Endpoint(), replyTo, soap.InitializeAsyncSchemaConversionBody(nil))
}

func TestNewValidates(t *testing.T) {
	for _, o := range []duplex.Options{
		{Endpoint: "http://127.0.0.1/ipam"},
		{Endpoint: "net.tcp:///ipam"},
		{Endpoint: "net.tcp://h/ipam", Encoding: 0x07},
		{Endpoint: "net.tcp://h/ipam", Via: "tcp://h/x"},
	} {
		if _, err := duplex.New(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	addr, path, err := duplex.ParseURI("net.tcp://example.org/ipam/x")
	if err != nil || addr != "example.org:808" || path != "/ipam/x" {
		t.Errorf("ParseURI: %q %q %v", addr, path, err)
	}
}

// TestRouting: responses by RelatesTo (also when callbacks overtake
// them), callbacks in order, a fault without RelatesTo to the pending
// call, malformed messages as events; To, MessageID and the Via.
func TestRouting(t *testing.T) {
	for _, enc := range []byte{duplex.EncodingBinary, duplex.EncodingText} {
		viaSeen := make(chan string, 1)
		f := newFake(t, true, func(p *peer) {
			viaSeen <- p.pre.Via
			req := p.recv()
			if req == nil {
				return
			}
			if req.Header.To != "net.tcp://service.example/ipam" || req.Header.MessageID == "" {
				t.Errorf("request To %q MessageID %q", req.Header.To, req.Header.MessageID)
			}
			// A callback with an unrelated RelatesTo, then the response.
			cb := soap.NewCallback(soap.ActionNotifyAsyncSchemaConversionStart, "net.tcp://client/", soap.NotifyStartBody(soap.FamilySchema))
			cb.Header.RelatesTo = "urn:uuid:00000000-0000-4000-8000-000000000000"
			p.send(cb)
			p.send(soap.NewResponse(req, soap.ActionInitializeAsyncSchemaConversionResponse, soap.InitializeResponseBody(soap.FamilySchema)))
			p.sendText(`<s:Envelope xmlns:s="` + soap.NSSoap12 + `"><s:Body><a/><b/></s:Body></s:Envelope>`)
			p.send(soap.NewCallback(soap.ActionNotifyAsyncSchemaConversionComplete, "", soap.NotifyCompleteBody(soap.FamilySchema, nil)))
			// A second call answered by a fault without RelatesTo.
			req = p.recv()
			if req == nil {
				return
			}
			p.send(soap.NewFaultResponse(nil, &soap.Fault{Code: soap.CodeSender, Reasons: []soap.FaultText{{Lang: "en", Text: "no"}}}))
			// A third answered by a malformed message naming its MessageID.
			req = p.recv()
			if req == nil {
				return
			}
			p.sendText(`<s:Envelope xmlns:s="` + soap.NSSoap12 + `" xmlns:a="` + soap.NSWSA + `"><s:Header><a:RelatesTo>` + req.Header.MessageID + `</a:RelatesTo></s:Header></s:Envelope>`)
			_, _, _ = p.rr.Next(time.Now().Add(5 * time.Second)) // End
		})
		tr := newTransport(t, duplex.Options{Endpoint: "net.tcp://service.example/ipam", Via: f.uri, Encoding: enc, Timeout: 5 * time.Second})
		ctx := context.Background()
		id, replyTo, err := tr.OpenSession(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if via := <-viaSeen; via != f.uri {
			t.Errorf("Via %q, want %q", via, f.uri)
		}
		env := initialize(tr, replyTo)
		env.Header.To, env.Header.ToMustUnderstand, env.Header.MessageID = "", false, ""
		resp, err := tr.Call(ctx, id, env)
		if err != nil || resp.Envelope.Header.Action != soap.ActionInitializeAsyncSchemaConversionResponse {
			t.Fatalf("Call: %v %+v", err, resp)
		}
		if env.Header.To != "" || env.Header.MessageID != "" {
			t.Error("Call changed the caller's envelope")
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		evs, err := tr.Wait(wctx, id, func(evs []soap.Event) bool { return len(evs) == 3 })
		cancel()
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
		if evs[0].Kind != soap.EventCallback || evs[1].Kind != soap.EventMalformed || evs[2].Kind != soap.EventCallback {
			t.Errorf("kinds %s %s %s", evs[0].Kind, evs[1].Kind, evs[2].Kind)
		}
		if evs[0].Seq != 1 || evs[2].Seq != 3 || evs[0].Session != id || evs[1].Err == "" {
			t.Errorf("events %+v", evs)
		}
		resp, err = tr.Call(ctx, id, initialize(tr, replyTo))
		if err != nil || resp.Fault == nil || resp.Fault.Reason() != "no" || resp.Status != 500 {
			t.Errorf("fault call: %v %+v", err, resp)
		}
		resp, err = tr.Call(ctx, id, initialize(tr, replyTo))
		if err == nil || resp == nil || !strings.Contains(string(resp.Raw), "RelatesTo") {
			t.Errorf("malformed response: %v %+v", err, resp)
		}
		tr.CloseSession(id)
		if _, err := tr.Call(ctx, id, initialize(tr, replyTo)); !errors.Is(err, duplex.ErrUnknownSession) {
			t.Errorf("Call after CloseSession: %v", err)
		}
	}
}

// TestSessionEnds: a framing fault mid-session fails the pending call
// with a clear error, is recorded as a malformed event, and ends Wait.
func TestSessionEnds(t *testing.T) {
	f := newFake(t, true, func(p *peer) {
		if p.recv() == nil {
			return
		}
		_ = nmf.WriteFault(p.nc, nmf.FaultServerTooBusy)
	})
	tr := newTransport(t, duplex.Options{Endpoint: f.uri, Timeout: 5 * time.Second})
	ctx := context.Background()
	id, replyTo, err := tr.OpenSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Call(ctx, id, initialize(tr, replyTo))
	if !errors.Is(err, nmf.ErrFault) || !errors.Is(err, duplex.ErrSessionEnded) || !strings.Contains(err.Error(), "ServerTooBusy") {
		t.Fatalf("Call: %v", err)
	}
	evs, err := tr.Wait(ctx, id, func([]soap.Event) bool { return false })
	if !errors.Is(err, duplex.ErrSessionEnded) || len(evs) != 1 || evs[0].Kind != soap.EventMalformed {
		t.Errorf("Wait: %v %+v", err, evs)
	}
	if _, err := tr.Send(ctx, id, initialize(tr, replyTo)); !errors.Is(err, duplex.ErrSessionEnded) {
		t.Errorf("Send after the end: %v", err)
	}
	tr.CloseSession(id)
}

// TestPreambleRefused: a Fault record or a silent close instead of the
// Preamble Ack.
func TestPreambleRefused(t *testing.T) {
	f := newFake(t, false, func(p *peer) { _ = nmf.WriteFault(p.nc, nmf.FaultEndpointNotFound) })
	tr := newTransport(t, duplex.Options{Endpoint: f.uri, Timeout: 5 * time.Second})
	if _, _, err := tr.OpenSession(context.Background()); !errors.Is(err, nmf.ErrFault) || !strings.Contains(err.Error(), "EndpointNotFound") {
		t.Errorf("fault: %v", err)
	}
	g := newFake(t, false, func(*peer) {})
	tr = newTransport(t, duplex.Options{Endpoint: g.uri, Encoding: duplex.EncodingText, Timeout: 5 * time.Second})
	if _, _, err := tr.OpenSession(context.Background()); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("close: %v", err)
	}
}

// TestDeadlines: a silent server makes Call fail with a deadline error,
// and a Preamble Ack that never comes fails OpenSession in time.
func TestDeadlines(t *testing.T) {
	hold := make(chan struct{})
	f := newFake(t, true, func(p *peer) {
		p.recv()
		<-hold
	})
	defer close(hold)
	tr := newTransport(t, duplex.Options{Endpoint: f.uri, Timeout: 300 * time.Millisecond})
	id, replyTo, err := tr.OpenSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = tr.Call(context.Background(), id, initialize(tr, replyTo))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("Call: %v after %v", err, time.Since(start))
	}
	g := newFake(t, false, func(*peer) { <-hold })
	tr = newTransport(t, duplex.Options{Endpoint: g.uri, Timeout: 300 * time.Millisecond})
	start = time.Now()
	if _, _, err := tr.OpenSession(context.Background()); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("OpenSession: %v after %v", err, time.Since(start))
	}
}

// TestSessionless: a session-less call (with IdleConns -1) uses its own connection, ends it
// with End, and records what else arrives on it as stray; EOF is accepted
// in place of the server's End.
func TestSessionless(t *testing.T) {
	var ends sync.WaitGroup
	ends.Add(1)
	f := newFake(t, true, func(p *peer) {
		req := p.recv()
		if req == nil {
			return
		}
		p.send(soap.NewCallback(soap.ActionNotifyAsyncSchemaConversionStart, "", soap.NotifyStartBody(soap.FamilySchema)))
		p.send(soap.NewResponse(req, soap.ActionIsIpamConfiguredResponse, soap.BoolResponseBody("IsIpamConfigured", true)))
		rec, _, err := p.rr.Next(time.Now().Add(5 * time.Second))
		if _, ok := rec.(nmf.EndRecord); !ok || err != nil {
			t.Errorf("want End, got %v %v", rec, err)
		}
		ends.Done() // close without End, as Mono does
	})
	var frames []duplex.Frame
	var mu sync.Mutex
	tr := newTransport(t, duplex.Options{Endpoint: f.uri, Timeout: 5 * time.Second, CloseWait: 5 * time.Second, IdleConns: -1, OnFrame: func(fr duplex.Frame) {
		mu.Lock()
		frames = append(frames, fr)
		mu.Unlock()
	}})
	resp, err := tr.Call(context.Background(), "", soap.NewRequest(soap.ActionIsIpamConfigured, tr.Endpoint(), "", soap.IsIpamConfiguredBody()))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := soap.ParseBoolResponse(resp.Envelope, "IsIpamConfiguredResult"); err != nil || !v {
		t.Errorf("response %v %v", v, err)
	}
	ends.Wait()
	if s := tr.Stray(); len(s) != 1 || s[0].Kind != soap.EventCallback || s[0].Session != "" {
		t.Errorf("stray %+v", s)
	}
	mu.Lock()
	defer mu.Unlock()
	var whats []string
	for _, fr := range frames {
		whats = append(whats, string(fr.Dir)+" "+fr.What)
	}
	want := "sent preamble,received PreambleAckRecord,sent SizedEnvelopeRecord,received SizedEnvelopeRecord,received SizedEnvelopeRecord,sent EndRecord,received end of stream"
	if got := strings.Join(whats, ","); got != want {
		t.Errorf("frames\n got %s\nwant %s", got, want)
	}
}
