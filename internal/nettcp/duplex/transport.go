package duplex

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/specgate/specgate/internal/nettcp/nbfx"
	"github.com/specgate/specgate/internal/nettcp/nmf"
	"github.com/specgate/specgate/internal/soap"
)

// Defaults.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultMaxEvents = soap.DefaultMaxEvents
	// DefaultCloseSettle: see Options.CloseSettle.
	DefaultCloseSettle = 30 * time.Millisecond
	// DefaultPort is the net.tcp port when the URI has none.
	DefaultPort = "808"
	// DefaultThrottleProbe: see Options.ThrottleProbe.
	DefaultThrottleProbe = time.Second
)

// Options configures a Transport.
type Options struct {
	// Endpoint is the target URI, net.tcp://host[:port]/path: the wsa:To
	// of every request (it must equal the service's listen URI for WCF,
	// which dispatches on To).
	Endpoint string
	// Via is the URI of the preamble's Via record and the address dialed;
	// Endpoint when empty (a WCF client's CreateChannel(address, via)).
	Via string
	// Encoding is EncodingBinary (0x08, NetTcpBinding; the default when
	// zero) or EncodingText (0x03, SOAP 1.2 UTF-8 text).
	Encoding byte
	// ReplyTo is the wsa:ReplyTo OpenSession hands out; the WS-Addressing
	// anonymous URI when empty.
	ReplyTo string
	// Timeout bounds dialing and the preamble exchange, each call (write
	// and wait for the response) and each record once its first octet
	// arrived; DefaultTimeout when zero.
	Timeout time.Duration
	// IdleTimeout, when positive, ends a session whose server sends
	// nothing for that long; by default an open session may stay idle.
	IdleTimeout time.Duration
	// CloseWait, when positive, makes CloseSession (and the end of a
	// session-less call) wait up to that long for the server's End record
	// or end of stream after sending its own End, close the socket, and
	// pause CloseSettle before returning, so that the server is done with
	// the connection before the next one arrives. Mono's WCF listener needs
	// it: it loses (accepts, never reads, never acknowledges) a connection
	// that arrives while it is still discarding a closed one, whether the
	// client closed first or waited for it to close. By default the
	// socket is closed right after the End record, as WCF's own client
	// does, and nothing waits.
	CloseWait time.Duration
	// CloseSettle is the pause after a CloseWait close;
	// DefaultCloseSettle when zero, none when negative.
	CloseSettle time.Duration
	// TextDeclaration makes text envelopes start with a BOM and an XML
	// declaration, as WCF writes them (WCF accepts both).
	TextDeclaration bool
	// Limits bound the SOAP parsing of what the server sends.
	Limits soap.Limits
	// FrameLimits bound the records read; BinaryLimits the binary XML.
	FrameLimits  nmf.Limits
	BinaryLimits nbfx.Limits
	// HexTranscript appends a hex dump of each received frame to the Raw
	// of events and responses (after the textual XML).
	HexTranscript bool
	// OnFrame, when set, is called with every frame sent or received
	// (from the writing goroutine or the session's reader goroutine).
	OnFrame func(Frame)
	// Dial replaces the TCP dialer (e.g. to go through a proxy).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// MaxEvents bounds the events kept per session and in the stray list;
	// DefaultMaxEvents when zero.
	MaxEvents int
	// IdleConns is how many session-less connections are kept open
	// between session-less calls, to be used again (a WCF channel takes
	// any number of calls; Mono's listener spends 100 ms or more on every
	// new connection): 1 when zero, none when negative. A connection whose
	// call failed is never kept.
	IdleConns int
	// ThrottleProbe is how long a Preamble Ack may take before the
	// transport treats the server as throttling it (longer than Mono's
	// listener takes unthrottled: it sleeps 100 ms before every accept,
	// and ending a connection while another is pending can make it lose
	// that one) (WCF's
	// ServiceThrottlingBehavior.MaxConcurrentSessions: a listener at its
	// limit accepts no connection until a session ends). The probe is
	// this, or twice the smoothed ack time plus four deviations when that
	// is longer; DefaultThrottleProbe when zero. Past it the transport
	// ends, the WCF way, the connections it can spare: idle session-less
	// ones and sessions marked with Retire. A session-less call that still
	// finds no slot rides on an open session's connection instead, and so
	// does every later one while as many connections are open. Every such
	// wait is counted (Throttle).
	ThrottleProbe time.Duration
}

// ThrottleStats says how a server throttled the transport's connections.
type ThrottleStats struct {
	// Waits counts the connections whose Preamble Ack took longer than
	// the throttle probe; Wait is their total time from dial to ack (or
	// to the call riding on a session instead).
	Waits int
	Wait  time.Duration
	// Released counts the connections ended to free a server slot.
	Released int
	// Shared counts the session-less calls made on a session's connection
	// because no new connection was accepted.
	Shared int
	// Limit is the number of connections the transport held open when a
	// new one was not accepted and none could be spared (0: never seen).
	Limit int
}

// Errors.
var (
	// ErrUnknownSession: the session id is not open (never opened, or
	// closed).
	ErrUnknownSession = soap.ErrUnknownSession
	// ErrClosed: the Transport was closed.
	ErrClosed = errors.New("duplex: transport closed")
	// ErrSessionEnded: the server ended the session (End record, end of
	// stream, framing fault or broken connection); it wraps the reason.
	ErrSessionEnded = errors.New("duplex: the net.tcp session has ended")
)

// Transport is a net.tcp duplex-session client implementing
// runner.IPAMTransport. It is safe for concurrent use.
type Transport struct {
	opts     Options
	dialAddr string
	via      string

	mu       sync.Mutex
	sessions map[string]*conn
	temps    map[*conn]struct{}
	stray    []soap.Event
	sChanged chan struct{}
	global   uint64
	// strayDropped counts stray messages beyond MaxEvents.
	strayDropped int
	closed       bool
	// idle holds session-less connections kept for the next call (also
	// in temps).
	idle     []*conn
	acks     rtt
	throttle ThrottleStats
}

// rtt is a smoothed mean and mean deviation (RFC 6298, alpha 1/8, beta
// 1/4) of Preamble Ack times; guarded by Transport.mu.
type rtt struct {
	srtt, rttvar time.Duration
	n            int
}

func (r *rtt) add(d time.Duration) {
	if r.n == 0 {
		r.srtt, r.rttvar = d, d/2
	} else {
		dev := r.srtt - d
		if dev < 0 {
			dev = -dev
		}
		r.rttvar = (3*r.rttvar + dev) / 4
		r.srtt = (7*r.srtt + d) / 8
	}
	r.n++
}

// ParseURI splits a net.tcp URI into its dial address (host:port, port
// 808 by default) and path.
func ParseURI(uri string) (addr, path string, err error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", "", fmt.Errorf("duplex: bad net.tcp URI %q: %v", uri, err)
	}
	if !strings.EqualFold(u.Scheme, "net.tcp") || u.Host == "" {
		return "", "", fmt.Errorf("duplex: %q is not a net.tcp://host[:port]/path URI", uri)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = DefaultPort
	}
	return net.JoinHostPort(host, port), u.Path, nil
}

// New validates opts and returns a Transport; nothing is dialed until a
// session opens or a call is made.
func New(opts Options) (*Transport, error) {
	if opts.Encoding == 0 {
		opts.Encoding = EncodingBinary
	}
	if opts.Encoding != EncodingBinary && opts.Encoding != EncodingText {
		return nil, fmt.Errorf("duplex: known encoding %#02x is not supported (0x08 binary session, 0x03 text)", opts.Encoding)
	}
	if _, _, err := ParseURI(opts.Endpoint); err != nil {
		return nil, err
	}
	via := opts.Via
	if via == "" {
		via = opts.Endpoint
	}
	addr, _, err := ParseURI(via)
	if err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.CloseSettle == 0 {
		opts.CloseSettle = DefaultCloseSettle
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = DefaultMaxEvents
	}
	if opts.IdleConns == 0 {
		opts.IdleConns = 1
	}
	if opts.ThrottleProbe <= 0 {
		opts.ThrottleProbe = DefaultThrottleProbe
	}
	if opts.ReplyTo == "" {
		opts.ReplyTo = soap.WSAAnonymous
	}
	if opts.Dial == nil {
		d := &net.Dialer{KeepAlive: 30 * time.Second}
		opts.Dial = d.DialContext
	}
	opts.Limits = opts.Limits.WithDefaults()
	return &Transport{
		opts: opts, dialAddr: addr, via: via,
		sessions: map[string]*conn{}, temps: map[*conn]struct{}{}, sChanged: make(chan struct{}),
	}, nil
}

// Endpoint is the target URI (wsa:To).
func (t *Transport) Endpoint() string { return t.opts.Endpoint }

// Via is the preamble Via.
func (t *Transport) Via() string { return t.via }

// Encoding is the Known Encoding octet of the preamble.
func (t *Transport) Encoding() byte { return t.opts.Encoding }

// conn is one net.tcp connection: a session's, or a short-lived one for a
// session-less call.
type conn struct {
	t      *Transport
	id     string
	nc     net.Conn
	remote string
	rr     *RecordReader
	done   chan struct{} // closed when the reader goroutine returns

	wmu   sync.Mutex // writes, in wire order, and the encoding direction
	codec *Codec     // Encode under wmu; Decode by the reader only

	// Guarded by t.mu.
	events  []soap.Event
	dropped int
	changed chan struct{}
	pending []*pendingCall
	err     error // why the session ended; nil while it is open
	closing bool
	retired bool // may be ended to free a server slot (Retire)
}

type pendingCall struct {
	msgID string
	ch    chan delivery // buffered, receives exactly once
}

type delivery struct {
	env *soap.Envelope
	raw []byte
	err error
}

func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("duplex: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

func (t *Transport) frame(id string, dir Direction, what string, b []byte) {
	if t.opts.OnFrame != nil {
		t.opts.OnFrame(Frame{Session: id, Dir: dir, What: what, Bytes: b, Time: time.Now()})
	}
}

func (t *Transport) capture() bool { return t.opts.HexTranscript || t.opts.OnFrame != nil }

// dial opens a connection and exchanges the preamble.
func (t *Transport) dial(ctx context.Context, id string) (*conn, error) {
	c, _, err := t.dialShare(ctx, id, false)
	return c, err
}

// dialShare is dial; with share, a session-less connection the server
// does not accept within the throttle probe (and after the spare
// connections were ended) is left to finish in the background, and an
// open session's connection is returned instead (shared).
func (t *Transport) dialShare(ctx context.Context, id string, share bool) (*conn, *conn, error) {
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return nil, nil, ErrClosed
	}
	// The dial's own deadline: the preamble exchange may outlive the
	// caller's context when it finishes in the background (finishLate).
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.opts.Timeout)
	handedOff := false
	defer func() {
		if !handedOff {
			cancel()
		}
	}()
	stopParent := context.AfterFunc(ctx, cancel)
	defer stopParent()
	ctx = dctx
	if t.atLimitCount() {
		// The server was seen to take no more connections than are open
		// now: end the spare ones first instead of waiting for the probe.
		t.relieve()
	}
	nc, err := t.opts.Dial(ctx, "tcp", t.dialAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("duplex: dial %s: %w", t.dialAddr, err)
	}
	codec, err := NewCodec(t.opts.Encoding, t.opts.BinaryLimits, t.opts.TextDeclaration)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	c := &conn{t: t, id: id, nc: nc, remote: nc.RemoteAddr().String(), codec: codec,
		done: make(chan struct{}), changed: make(chan struct{})}
	c.rr = NewRecordReader(nc, t.opts.FrameLimits, t.opts.Timeout, t.opts.IdleTimeout, t.capture())
	begin := time.Now()
	sentPreamble := false
	fail := func(err error) (*conn, *conn, error) {
		if sentPreamble {
			// The server may be about to take the connection: end it the
			// WCF way rather than leave it to time out in its accept loop.
			_ = nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			_, _ = nc.Write([]byte{byte(nmf.TypeEnd)})
		}
		nc.Close()
		return nil, nil, err
	}
	dl, _ := ctx.Deadline()
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	pre, err := nmf.AppendPreamble(nil, nmf.Preamble{Major: 1, Minor: 0, Mode: nmf.ModeDuplex, Via: t.via, Encoding: t.opts.Encoding})
	if err != nil {
		return fail(fmt.Errorf("duplex: preamble: %w", err))
	}
	pre = append(pre, byte(nmf.TypePreambleEnd))
	_ = nc.SetWriteDeadline(dl)
	t.frame(id, Sent, "preamble", pre)
	if _, err := nc.Write(pre); err != nil {
		return fail(fmt.Errorf("duplex: sending the preamble to %s: %w", t.dialAddr, ctxErr(ctx, err)))
	}
	sentPreamble = true
	acked := make(chan ackResult, 1)
	go func() {
		rec, raw, err := c.rr.Next(dl)
		acked <- ackResult{rec, raw, err}
	}()
	var r ackResult
	probe := time.NewTimer(t.probe())
	throttled := false
wait:
	for {
		select {
		case r = <-acked:
			break wait
		case <-probe.C:
			throttled = true
			freed := t.relieve()
			if freed > 0 {
				probe.Reset(t.probe()) // give the server time to take it
				continue
			}
			if share {
				if sc := t.shareable(); sc != nil {
					// Let the pending connection finish in the background
					// (the server takes it once a slot frees) and ride on a
					// session meanwhile.
					handedOff = true
					stopParent()
					t.noteShared(begin)
					go t.finishLate(c, acked, stop, cancel)
					return nil, sc, nil
				}
			}
		}
	}
	probe.Stop()
	rec, raw, err := r.rec, r.raw, r.err
	if throttled {
		t.noteWait(time.Since(begin))
	}
	if raw != nil {
		t.frame(id, Received, recordName(rec), raw)
	}
	if err != nil {
		var fe *nmf.FaultError
		if errors.As(err, &fe) {
			return fail(fmt.Errorf("duplex: %s refused the preamble (Via %s, encoding %#02x): %w", t.dialAddr, t.via, t.opts.Encoding, err))
		}
		return fail(fmt.Errorf("duplex: waiting for the Preamble Ack from %s: %w", t.dialAddr, ctxErr(ctx, err)))
	}
	switch r := rec.(type) {
	case nmf.PreambleAckRecord:
	case nmf.EndRecord:
		if r.EOF {
			return fail(fmt.Errorf("duplex: %s closed the connection instead of acknowledging the preamble (Via %s, encoding %#02x; Mono does that for preambles it rejects): %w",
				t.dialAddr, t.via, t.opts.Encoding, io.ErrUnexpectedEOF))
		}
		return fail(fmt.Errorf("duplex: %s sent an End record instead of the Preamble Ack: %w", t.dialAddr, nmf.ErrUnexpectedRecord))
	default:
		return fail(fmt.Errorf("duplex: %s sent a %v instead of the Preamble Ack: %w", t.dialAddr, rec.Type(), nmf.ErrUnexpectedRecord))
	}
	_ = nc.SetDeadline(time.Time{})
	if !stop() {
		return fail(fmt.Errorf("duplex: preamble exchange with %s: %w", t.dialAddr, ctx.Err()))
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return fail(ErrClosed)
	}
	if !throttled {
		t.acks.add(time.Since(begin))
	}
	if id == "" {
		t.temps[c] = struct{}{}
	} else {
		t.sessions[id] = c
	}
	t.mu.Unlock()
	go c.readLoop()
	return c, nil, nil
}

// ctxErr prefers the context's error: a deadline that fired through
// SetDeadline shows up as an i/o timeout, possibly just before the
// context notices.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		if _, ok := ctx.Deadline(); ok {
			return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
		}
	}
	return err
}

// OpenSession dials a connection for a new session.
func (t *Transport) OpenSession(ctx context.Context) (string, string, error) {
	id := newID()
	if _, err := t.dial(ctx, id); err != nil {
		return "", "", err
	}
	return id, t.opts.ReplyTo, nil
}

func (t *Transport) lookup(session string) (*conn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	c, ok := t.sessions[session]
	if !ok {
		return nil, fmt.Errorf("%w (%s)", ErrUnknownSession, session)
	}
	return c, nil
}

// prepare copies env, setting To (when empty) and, for a call, MessageID.
func (t *Transport) prepare(env *soap.Envelope, call bool) *soap.Envelope {
	e := *env
	if e.Header.To == "" && !e.Header.ToMustUnderstand {
		e.Header.To, e.Header.ToMustUnderstand = t.opts.Endpoint, true
	}
	if call && e.Header.MessageID == "" {
		e.Header.MessageID = soap.NewMessageID()
	}
	return &e
}

// Call sends a request/response message and waits for the message whose
// wsa:RelatesTo is its MessageID. Session "" uses a short-lived
// connection. As with soap.Client.Call, a SOAP fault comes back as
// resp.Fault with a nil error; a response that does not parse comes back
// with its Raw and the parse error.
func (t *Transport) Call(ctx context.Context, session string, env *soap.Envelope) (_ *soap.Response, err error) {
	ctx, cancel := context.WithTimeout(ctx, t.opts.Timeout)
	defer cancel()
	var c *conn
	if session == "" {
		var shared bool
		if c, shared, err = t.tempConn(ctx); err != nil {
			return nil, err
		}
		if !shared {
			ok := false
			defer func() {
				if ok {
					t.putIdle(c)
				} else {
					c.close()
				}
			}()
			defer func() { ok = err == nil }()
		}
	} else if c, err = t.lookup(session); err != nil {
		return nil, err
	}
	e := t.prepare(env, true)
	pc, err := c.register(e.Header.MessageID)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := c.write(ctx, e); err != nil {
		c.unregister(pc)
		return nil, err
	}
	select {
	case d := <-pc.ch:
		if d.env == nil && d.raw == nil {
			return nil, d.err
		}
		resp := &soap.Response{Status: 200, Envelope: d.env, Raw: d.raw, Elapsed: time.Since(start)}
		if d.err != nil {
			return resp, d.err
		}
		if d.env.Body.IsFault() {
			resp.Status = 500
			f, err := soap.ParseFaultLimits(d.env.Body.Inner, t.opts.Limits)
			if err != nil {
				return resp, err
			}
			resp.Fault = f
		}
		return resp, nil
	case <-ctx.Done():
		c.unregister(pc)
		return nil, fmt.Errorf("duplex: no response to %s within the call deadline: %w", e.Header.Action, ctx.Err())
	}
}

// Send sends a one-way message; it returns once the message is written
// (Status 202, no envelope). Session "" uses a short-lived connection.
func (t *Transport) Send(ctx context.Context, session string, env *soap.Envelope) (*soap.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, t.opts.Timeout)
	defer cancel()
	var c *conn
	var err error
	if session == "" {
		if c, err = t.dial(ctx, ""); err != nil {
			return nil, err
		}
		defer c.close()
	} else if c, err = t.lookup(session); err != nil {
		return nil, err
	}
	start := time.Now()
	if err := c.write(ctx, t.prepare(env, false)); err != nil {
		return nil, err
	}
	return &soap.Response{Status: 202, Elapsed: time.Since(start)}, nil
}

// Events returns a copy of the session's callbacks in arrival order (nil
// for an unknown session).
func (t *Transport) Events(session string) []soap.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.sessions[session]; ok {
		return slices.Clone(c.events)
	}
	return nil
}

// Dropped returns how many messages of the session were not recorded
// because MaxEvents was reached ("" for the stray list).
func (t *Transport) Dropped(session string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if session == "" {
		return t.strayDropped
	}
	if c, ok := t.sessions[session]; ok {
		return c.dropped
	}
	return 0
}

// Wait blocks until pred holds for the session's events, ctx is done, the
// session is closed (ErrUnknownSession) or the server ended it (an error
// wrapping ErrSessionEnded: nothing more can arrive).
func (t *Transport) Wait(ctx context.Context, session string, pred func([]soap.Event) bool) ([]soap.Event, error) {
	var last []soap.Event
	for {
		t.mu.Lock()
		c, ok := t.sessions[session]
		if !ok {
			t.mu.Unlock()
			return last, fmt.Errorf("%w (%s)", ErrUnknownSession, session)
		}
		evs, ch, cerr := slices.Clone(c.events), c.changed, c.err
		t.mu.Unlock()
		last = evs
		if pred(evs) {
			return evs, nil
		}
		if cerr != nil {
			return evs, cerr
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return evs, ctx.Err()
		}
	}
}

// Stray returns the messages that arrived on session-less connections and
// were not the response.
func (t *Transport) Stray() []soap.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.stray)
}

// StrayCount counts the messages that matched no session, kept or not.
func (t *Transport) StrayCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.stray) + t.strayDropped
}

// LateCount is always 0: CloseSession closes the session's connection, so
// nothing can arrive on it afterwards.
func (t *Transport) LateCount() int { return 0 }

// CloseSession sends the End record, waits for the server's End (or end
// of stream) when Options.CloseWait is set, closes the connection and
// forgets the session's events.
func (t *Transport) CloseSession(session string) {
	t.mu.Lock()
	c, ok := t.sessions[session]
	delete(t.sessions, session)
	t.mu.Unlock()
	if ok {
		c.close()
	}
}

// AbandonSession is CloseSession: closing the connection ends the
// server's callbacks for the session, so none can arrive late.
func (t *Transport) AbandonSession(session string) { t.CloseSession(session) }

// Close closes every connection; later calls fail with ErrClosed.
func (t *Transport) Close() error {
	t.mu.Lock()
	t.closed = true
	var all []*conn
	for _, c := range t.sessions {
		all = append(all, c)
	}
	for c := range t.temps {
		all = append(all, c)
	}
	t.sessions = map[string]*conn{}
	t.idle = nil
	t.mu.Unlock()
	for _, c := range all {
		c.close()
	}
	return nil
}

// ---------------------------------------------------------------------------
// conn

func (c *conn) register(msgID string) (*pendingCall, error) {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	pc := &pendingCall{msgID: msgID, ch: make(chan delivery, 1)}
	c.pending = append(c.pending, pc)
	return pc, nil
}

func (c *conn) unregister(pc *pendingCall) {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	c.pending = slices.DeleteFunc(c.pending, func(p *pendingCall) bool { return p == pc })
}

// take removes and returns the first pending call matching f (t.mu held).
func (c *conn) take(f func(*pendingCall) bool) *pendingCall {
	for i, p := range c.pending {
		if f(p) {
			c.pending = slices.Delete(c.pending, i, i+1)
			return p
		}
	}
	return nil
}

// write encodes env and writes it as one Sized Envelope record.
func (c *conn) write(ctx context.Context, env *soap.Envelope) error {
	text := env.Marshal()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.t.mu.Lock()
	cerr := c.err
	c.t.mu.Unlock()
	if cerr != nil {
		return cerr
	}
	payload, err := c.codec.Encode(text)
	if err != nil {
		return fmt.Errorf("duplex: encoding the %s envelope: %w", env.Header.Action, err)
	}
	rec, err := nmf.AppendRecord(nil, nmf.SizedEnvelopeRecord{Payload: payload})
	if err != nil {
		return fmt.Errorf("duplex: framing the %s envelope: %w", env.Header.Action, err)
	}
	dl := time.Now().Add(c.t.opts.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	_ = c.nc.SetWriteDeadline(dl)
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetWriteDeadline(time.Unix(1, 0)) })
	c.t.frame(c.id, Sent, nmf.TypeSizedEnvelope.String(), rec)
	_, err = c.nc.Write(rec)
	stop()
	_ = c.nc.SetWriteDeadline(time.Time{})
	if err != nil {
		err = fmt.Errorf("duplex: writing to %s: %w", c.remote, ctxErr(ctx, err))
		c.end(err, false)
		c.nc.Close()
		return err
	}
	return nil
}

// close ends the connection from this side: End record, the optional
// bounded wait for the server's End or end of stream, then close.
func (c *conn) close() {
	t := c.t
	t.mu.Lock()
	already := c.closing
	c.closing = true
	open := c.err == nil
	delete(t.temps, c)
	t.idle = slices.DeleteFunc(t.idle, func(x *conn) bool { return x == c })
	t.mu.Unlock()
	if already {
		<-c.done
		return
	}
	if open {
		c.wmu.Lock()
		_ = c.nc.SetWriteDeadline(time.Now().Add(min(t.opts.Timeout, 2*time.Second)))
		end := []byte{byte(nmf.TypeEnd)}
		t.frame(c.id, Sent, nmf.TypeEnd.String(), end)
		_, _ = c.nc.Write(end)
		c.wmu.Unlock()
		if t.opts.CloseWait > 0 {
			tm := time.NewTimer(t.opts.CloseWait)
			select {
			case <-c.done:
			case <-tm.C:
			}
			tm.Stop()
		}
	}
	c.nc.Close()
	<-c.done
	if open && t.opts.CloseWait > 0 && t.opts.CloseSettle > 0 {
		time.Sleep(t.opts.CloseSettle)
	}
}

// readLoop reads records until the session ends.
func (c *conn) readLoop() {
	defer close(c.done)
	for {
		rec, raw, err := c.rr.Next(time.Time{})
		if e, eof := rec.(nmf.EndRecord); raw != nil || (eof && e.EOF) {
			c.t.frame(c.id, Received, recordName(rec), raw)
		}
		if err != nil {
			var fe *nmf.FaultError
			if errors.As(err, &fe) {
				c.end(fmt.Errorf("%w: %w", ErrSessionEnded, err), true)
			} else {
				c.end(fmt.Errorf("%w: reading from %s: %w", ErrSessionEnded, c.remote, err), true)
			}
			return
		}
		switch r := rec.(type) {
		case nmf.SizedEnvelopeRecord:
			c.dispatch(r.Payload, raw)
		case nmf.EndRecord:
			how := "sent the End record"
			if r.EOF {
				how = "closed the connection"
			}
			c.end(fmt.Errorf("%w: the server %s: %w", ErrSessionEnded, how, io.EOF), false)
			return
		default:
			c.end(fmt.Errorf("%w: %w: %v in the message phase of a duplex session", ErrSessionEnded, nmf.ErrUnexpectedRecord, rec.Type()), true)
			return
		}
	}
}

// end records why the session ended, fails the pending calls and wakes
// the waiters; report adds a malformed event (a framing problem the
// server caused) unless this side is closing.
func (c *conn) end(err error, report bool) {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.err != nil {
		return
	}
	if c.closing {
		err = fmt.Errorf("%w: closed by the client", ErrSessionEnded)
		report = false
	}
	c.err = err
	for _, p := range c.pending {
		p.ch <- delivery{err: err}
	}
	c.pending = nil
	if report {
		c.record(soap.Event{Kind: soap.EventMalformed, Err: oneLine(err.Error())})
	}
	c.notify()
}

func (c *conn) notify() {
	if c.id == "" {
		close(c.t.sChanged)
		c.t.sChanged = make(chan struct{})
		return
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// record appends ev to the session's events, or to the stray list for a
// session-less connection (t.mu held).
func (c *conn) record(ev soap.Event) {
	t := c.t
	ev.Session, ev.Remote, ev.ContentType = c.id, c.remote, c.codec.ContentType()
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	list := &c.events
	if c.id == "" {
		list = &t.stray
	}
	if len(*list) >= t.opts.MaxEvents {
		if c.id == "" {
			t.strayDropped++
		} else {
			c.dropped++
		}
		return
	}
	t.global++
	ev.Global = t.global
	ev.Seq = len(*list) + 1
	*list = append(*list, ev)
	c.notify()
}

// dispatch decodes one received message and routes it.
func (c *conn) dispatch(payload, frame []byte) {
	t := c.t
	now := time.Now()
	text, derr := c.codec.Decode(payload)
	raw := text
	if derr != nil {
		raw = []byte(hex.Dump(payload))
	}
	if t.opts.HexTranscript && frame != nil {
		raw = append(append(slices.Clip(raw), '\n'), Frame{Dir: Received, What: nmf.TypeSizedEnvelope.String(), Bytes: frame}.Hex()...)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if derr != nil {
		c.record(soap.Event{Kind: soap.EventMalformed, Raw: raw, Err: "binary XML: " + oneLine(derr.Error()), Time: now})
		return
	}
	env, perr := soap.Parse(text, t.opts.Limits)
	if perr == nil {
		h := &env.Header
		var pc *pendingCall
		if h.RelatesTo != "" {
			pc = c.take(func(p *pendingCall) bool { return p.msgID == h.RelatesTo })
		} else if env.Body.IsFault() {
			pc = c.take(func(*pendingCall) bool { return true })
		}
		if pc != nil {
			pc.ch <- delivery{env: env, raw: raw}
			return
		}
		c.record(soap.Event{Kind: soap.EventCallback, Envelope: env, Raw: raw, Time: now})
		return
	}
	if pc := c.take(func(p *pendingCall) bool { return p.msgID != "" && bytes.Contains(text, []byte(p.msgID)) }); pc != nil {
		pc.ch <- delivery{raw: raw, err: perr}
		return
	}
	c.record(soap.Event{Kind: soap.EventMalformed, Raw: raw, Err: oneLine(perr.Error()), Time: now})
}

func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}
