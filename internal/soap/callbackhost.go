package soap

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// EventKind classifies what the callback host received.
type EventKind string

// Event kinds.
const (
	// EventCallback: a POST to a known session with a SOAP 1.2 content
	// type and a well-formed envelope (answered 202). The host does not
	// judge the Action or body; see ParseCallbackBody.
	EventCallback EventKind = "callback"
	// EventMalformed: the body is not a well-formed SOAP 1.2 envelope
	// (answered 400 with a Sender fault). Err says why.
	EventMalformed EventKind = "malformed"
	// EventUnknownSession: the path is not a live session URL (answered
	// 404). Recorded in the stray list.
	EventUnknownSession EventKind = "unknown-session"
	// EventBadContentType: not application/soap+xml with UTF-8 (answered
	// 415); e.g. a SOAP 1.1 text/xml callback.
	EventBadContentType EventKind = "bad-content-type"
	// EventTooLarge: the body exceeds Limits.MaxBytes (answered 413).
	EventTooLarge EventKind = "too-large"
	// EventBadMethod: a method other than POST on a session URL (answered
	// 405).
	EventBadMethod EventKind = "bad-method"
)

// Event is one HTTP request received by the callback host.
type Event struct {
	// Seq is the 1-based arrival position within the session (or within
	// the stray list for stray events).
	Seq int
	// Global is the host-wide arrival order (1-based), across sessions.
	Global  uint64
	Session string
	Kind    EventKind
	// Envelope is set for EventCallback.
	Envelope *Envelope
	// Raw is the request body (for EventTooLarge only its first 4 KiB).
	Raw []byte
	// Err explains a non-callback event, on one line.
	Err         string
	Method      string
	Path        string
	ContentType string
	// ContentTypeAction is the action parameter of the Content-Type, if
	// any (it should equal Envelope.Header.Action).
	ContentTypeAction string
	Remote            string
	Time              time.Time
}

// Callback host errors.
var (
	ErrUnknownSession = errors.New("soap: unknown or forgotten callback session")
	ErrHostClosed     = errors.New("soap: callback host closed")
)

// Defaults of the callback host.
const (
	DefaultMaxConns  = 64
	DefaultMaxEvents = 4096
	tooLargeKeep     = 4096
	sessionPrefix    = "/cb/"
)

// CallbackHost is the harness's HTTP endpoint for server→client callbacks.
// Each session has its own unguessable URL (to be sent in wsa:ReplyTo);
// everything received is recorded in arrival order. It is safe for
// concurrent use by many sessions.
type CallbackHost struct {
	// MaxConns limits concurrent connections (DefaultMaxConns when zero).
	// Set before Start.
	MaxConns int
	// MaxEvents bounds the events kept per session and in the stray list
	// (DefaultMaxEvents when zero); beyond it requests are answered 503
	// and counted in Dropped. Set before Start.
	MaxEvents int

	lim  Limits
	ln   net.Listener
	srv  *http.Server
	base string

	mu       sync.Mutex
	sessions map[string]*cbSession
	// retired holds forgotten session ids: a late callback to one of them
	// is counted and dropped, not reported as a stray, because it belongs
	// to a session whose owner already finished judging it. Callbacks to
	// an ended session (Forget) count as late, those to an abandoned one
	// (Abandon) separately.
	retired          map[string]retiredKind
	lateDropped      int
	abandonedDropped int
	refused          int          // requests refused because MaxEvents was reached, all sessions and strays
	limited          net.Listener // the connection limiter Serve runs on
	stray            cbSession
	global           uint64
	started          bool
	closed           bool
}

type cbSession struct {
	events  []Event
	changed chan struct{} // closed and replaced on every change
	dropped int
}

func newCBSession() *cbSession { return &cbSession{changed: make(chan struct{})} }

func (s *cbSession) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// NewCallbackHost listens on addr (127.0.0.1:0 when empty) without serving
// yet; call Start. Session URLs use the listener's address; see
// SetAdvertisedBase for a SUT that must reach the host by another name.
func NewCallbackHost(addr string, lim Limits) (*CallbackHost, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	h := &CallbackHost{
		lim:      lim.WithDefaults(),
		ln:       ln,
		base:     "http://" + ln.Addr().String(),
		sessions: map[string]*cbSession{},
		stray:    *newCBSession(),
	}
	h.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
		// Idle keep-alive connections must not hold the connection slots a
		// callback needs: when every slot is taken and a connection waits,
		// the listener closes the connection idle the longest, once it has
		// been idle evictMinIdle (never one that is busy, nor a keep-alive
		// a SUT just used, which it may be about to reuse: Go's client, for
		// one, does not retry a POST on a connection closed under it).
		// From three quarters full, answers carry Connection: close.
		ConnState: func(c net.Conn, st http.ConnState) {
			if ll, ok := h.limiter(); ok {
				ll.track(c, st)
			}
		},
	}
	return h, nil
}

// Start begins serving in the background.
func (h *CallbackHost) Start() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrHostClosed
	}
	if h.started {
		return errors.New("soap: callback host already started")
	}
	h.started = true
	max := h.MaxConns
	if max <= 0 {
		max = DefaultMaxConns
	}
	ln := newLimitListener(h.ln, max)
	h.limited = ln
	go func() { _ = h.srv.Serve(ln) }()
	return nil
}

// Close stops the server, closes all connections and wakes every Wait.
// Recorded events stay readable.
func (h *CallbackHost) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	for _, s := range h.sessions {
		s.notify()
	}
	h.stray.notify()
	started := h.started
	h.mu.Unlock()
	if !started {
		return h.ln.Close()
	}
	return h.srv.Close()
}

// Addr returns the listener address.
func (h *CallbackHost) Addr() net.Addr { return h.ln.Addr() }

// BaseURL returns the base of session URLs, e.g. http://127.0.0.1:41234.
func (h *CallbackHost) BaseURL() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.base
}

// SetAdvertisedBase changes the base of the URLs NewSession returns (for a
// SUT that reaches the host through another address, e.g.
// http://host.docker.internal:41234). Existing session URLs are unchanged.
func (h *CallbackHost) SetAdvertisedBase(base string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.base = strings.TrimSuffix(base, "/")
}

// NewSession registers a session and returns its id (128 random bits, hex)
// and its callback URL, <base>/cb/<id>.
func (h *CallbackHost) NewSession() (id, url string) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("soap: crypto/rand failed: " + err.Error())
	}
	id = hex.EncodeToString(b[:])
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sessions[id] = newCBSession()
	return id, h.base + sessionPrefix + id
}

// retiredKind says why a session was forgotten.
type retiredKind uint8

const (
	retiredEnded     retiredKind = iota + 1 // Forget: its owner expects nothing more
	retiredAbandoned                        // Abandon: its owner stopped listening mid-way
)

// Forget removes a session whose owner expects no further callback: its
// URL is no longer served, a later request to it is dropped and counted
// by LateDropped, and pending Waits on it return ErrUnknownSession.
func (h *CallbackHost) Forget(id string) { h.retire(id, retiredEnded) }

// Abandon removes a session its owner stopped following while callbacks
// may still be on their way (an operation left in progress). Like
// Forget, but a later request to it is counted by AbandonedDropped, not
// LateDropped.
func (h *CallbackHost) Abandon(id string) { h.retire(id, retiredAbandoned) }

func (h *CallbackHost) retire(id string, kind retiredKind) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.sessions[id]; ok {
		delete(h.sessions, id)
		s.notify()
		if h.retired == nil || len(h.retired) > 1<<16 {
			h.retired = map[string]retiredKind{}
		}
		h.retired[id] = kind
	}
}

// dropRetired counts a request to a retired session; h.mu is held.
func (h *CallbackHost) dropRetired(kind retiredKind) {
	if kind == retiredAbandoned {
		h.abandonedDropped++
	} else {
		h.lateDropped++
	}
}

// LateDropped returns how many callbacks arrived for sessions removed
// with Forget.
func (h *CallbackHost) LateDropped() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lateDropped
}

// AbandonedDropped returns how many callbacks arrived for sessions
// removed with Abandon.
func (h *CallbackHost) AbandonedDropped() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.abandonedDropped
}

// Refused returns how many requests were refused (503) because a session
// or the stray list had MaxEvents events, over the host's lifetime,
// forgotten sessions included.
func (h *CallbackHost) Refused() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.refused
}

// Events returns a copy of the session's events in arrival order (nil for
// an unknown session).
func (h *CallbackHost) Events(id string) []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.sessions[id]; ok {
		return slices.Clone(s.events)
	}
	return nil
}

// Stray returns a copy of the events that matched no session.
func (h *CallbackHost) Stray() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.stray.events)
}

// Dropped returns how many requests to the session were refused because
// MaxEvents was reached ("" for the stray list).
func (h *CallbackHost) Dropped(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if id == "" {
		return h.stray.dropped
	}
	if s, ok := h.sessions[id]; ok {
		return s.dropped
	}
	return 0
}

// Wait blocks until pred, called with a copy of the session's events,
// returns true, or ctx is done, or the host is closed, or the session is
// forgotten. It returns the events pred last saw and nil, ctx.Err(),
// ErrHostClosed or ErrUnknownSession. It does not poll: it sleeps until a
// new event arrives.
func (h *CallbackHost) Wait(ctx context.Context, id string, pred func([]Event) bool) ([]Event, error) {
	var last []Event
	for {
		h.mu.Lock()
		s, ok := h.sessions[id]
		if !ok {
			h.mu.Unlock()
			return last, ErrUnknownSession
		}
		evs, ch, closed := slices.Clone(s.events), s.changed, h.closed
		h.mu.Unlock()
		last = evs
		if pred(evs) {
			return evs, nil
		}
		if closed {
			return evs, ErrHostClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return evs, ctx.Err()
		}
	}
}

// ServeHTTP implements the callback endpoint; exposed so the host can also
// be mounted in another server or driven by httptest.
func (h *CallbackHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ev := Event{
		Method:      r.Method,
		Path:        r.URL.Path,
		ContentType: r.Header.Get("Content-Type"),
		Remote:      r.RemoteAddr,
		Time:        time.Now(),
	}
	if ll, ok := h.limiter(); ok && ll.pressed() {
		w.Header().Set("Connection", "close")
	}
	id, isSession := strings.CutPrefix(r.URL.Path, sessionPrefix)
	h.mu.Lock()
	_, known := h.sessions[id]
	kind := h.retired[id]
	late := isSession && !known && kind != 0
	if late {
		h.dropRetired(kind)
	}
	h.mu.Unlock()
	if late {
		_, _ = ReadLimited(r.Body, h.lim.MaxBytes)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if !isSession || !known {
		raw, _ := ReadLimited(r.Body, h.lim.MaxBytes)
		ev.Kind, ev.Raw, ev.Err = EventUnknownSession, truncate(raw), "no session at path "+oneLine(r.URL.Path)
		h.record("", ev, w, http.StatusNotFound, nil)
		return
	}
	ev.Session = id
	if r.Method != http.MethodPost {
		ev.Kind, ev.Err = EventBadMethod, "method "+oneLine(r.Method)+", want POST"
		w.Header().Set("Allow", http.MethodPost)
		h.record(id, ev, w, http.StatusMethodNotAllowed, nil)
		return
	}
	raw, err := ReadLimited(r.Body, h.lim.MaxBytes)
	if err != nil {
		ev.Raw = truncate(raw)
		if errors.Is(err, ErrTooLarge) {
			ev.Kind, ev.Err = EventTooLarge, err.Error()
			w.Header().Set("Connection", "close")
			h.record(id, ev, w, http.StatusRequestEntityTooLarge, nil)
			return
		}
		ev.Kind, ev.Err = EventMalformed, "reading body: "+oneLine(err.Error())
		h.record(id, ev, w, http.StatusBadRequest, nil)
		return
	}
	ev.Raw = raw
	action, ctErr := checkContentType(ev.ContentType)
	ev.ContentTypeAction = action
	if ctErr != "" {
		ev.Kind, ev.Err = EventBadContentType, ctErr
		h.record(id, ev, w, http.StatusUnsupportedMediaType, nil)
		return
	}
	env, err := Parse(raw, h.lim)
	if err != nil {
		ev.Kind, ev.Err = EventMalformed, err.Error()
		fault := BuildFault(CodeSender, err.Error(), nil)
		h.record(id, ev, w, http.StatusBadRequest, (&Envelope{
			Header: Header{Action: WSAFaultAction, ActionMustUnderstand: true},
			Body:   Body{Name: xml.Name{Space: NSSoap12, Local: "Fault"}, Inner: fault},
		}).Marshal())
		return
	}
	ev.Kind, ev.Envelope = EventCallback, env
	h.record(id, ev, w, http.StatusAccepted, nil)
}

// checkContentType returns the action parameter and, when the type is not
// acceptable, a one-line reason.
func checkContentType(ct string) (action, problem string) {
	if ct == "" {
		return "", "missing Content-Type, want " + MediaType
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", "unparsable Content-Type " + oneLine(ct)
	}
	action = params["action"]
	if mt != MediaType {
		if mt == "text/xml" {
			return action, "Content-Type text/xml is SOAP 1.1, want " + MediaType
		}
		return action, "Content-Type " + oneLine(mt) + ", want " + MediaType
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return action, "charset " + oneLine(cs) + ", want utf-8"
	}
	return action, ""
}

func truncate(b []byte) []byte {
	if len(b) > tooLargeKeep {
		return slices.Clone(b[:tooLargeKeep])
	}
	return b
}

// record appends ev to the session (or stray list when id is ""), wakes
// waiters, then answers: status with body (application/soap+xml) or none.
// Recording happens before the response is written, so a SUT that waits
// for each response sees its callbacks recorded in the order it sent them.
func (h *CallbackHost) record(id string, ev Event, w http.ResponseWriter, status int, body []byte) {
	max := h.MaxEvents
	if max <= 0 {
		max = DefaultMaxEvents
	}
	h.mu.Lock()
	s := &h.stray
	if id != "" {
		if ss, ok := h.sessions[id]; ok {
			s = ss
		} else if kind := h.retired[id]; kind != 0 {
			// Forgotten while the request was read: like one that arrives
			// after Forget or Abandon, not a stray.
			h.dropRetired(kind)
			h.mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			return
		} else {
			ev.Kind, ev.Err = EventUnknownSession, "session forgotten while the request was read"
			ev.Session, ev.Envelope, ev.Raw = "", nil, truncate(ev.Raw)
		}
	}
	if len(s.events) >= max {
		s.dropped++
		h.refused++
		h.mu.Unlock()
		http.Error(w, "too many events recorded for this session", http.StatusServiceUnavailable)
		return
	}
	h.global++
	ev.Global = h.global
	ev.Seq = len(s.events) + 1
	s.events = append(s.events, ev)
	s.notify()
	h.mu.Unlock()
	if body != nil {
		w.Header().Set("Content-Type", ContentType(""))
	}
	w.WriteHeader(status)
	if body != nil {
		_, _ = w.Write(body)
	}
}

// limitListener bounds the number of simultaneously open connections
// (the pattern of golang.org/x/net/netutil.LimitListener).
type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	mu   sync.Mutex
	idle map[net.Conn]time.Time // idle keep-alive connections, since when
}

// track follows a connection's state: idle ones become candidates for
// closing when the slots run out.
func (l *limitListener) track(c net.Conn, st http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st == http.StateIdle {
		l.idle[c] = time.Now()
	} else {
		delete(l.idle, c)
	}
}

// evictMinIdle is how long a connection must have been idle before the
// host may close it to make room. A keep-alive connection a client has
// just put back in its pool is the one it is about to reuse; closing it
// then would lose the POST sent on it (clients do not retry a POST).
const evictMinIdle = 250 * time.Millisecond

// closeOldestIdle closes the connection idle the longest, if it has been
// idle at least minIdle.
func (l *limitListener) closeOldestIdle(minIdle time.Duration) {
	l.mu.Lock()
	var oldest net.Conn
	var since time.Time
	for c, t := range l.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	if oldest == nil || time.Since(since) < minIdle {
		l.mu.Unlock()
		return
	}
	delete(l.idle, oldest)
	l.mu.Unlock()
	oldest.Close()
}

func newLimitListener(l net.Listener, n int) *limitListener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{}),
		idle: map[net.Conn]time.Time{}}
}

// Accept accepts the next connection, then takes a slot for it. When
// none is free it waits for one, and every 50 ms closes the connection
// idle the longest if that one has been idle evictMinIdle.
// Evicting only when a connection really waits, and never a connection
// just put back in a client's pool, keeps the host from closing a
// keep-alive connection a client is about to reuse.
func (l *limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	for {
		select {
		case l.sem <- struct{}{}:
			return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
		case <-l.done:
			c.Close()
			return nil, net.ErrClosed
		case <-time.After(50 * time.Millisecond):
			l.closeOldestIdle(evictMinIdle)
		}
	}
}

// pressed reports whether three quarters of the slots are taken: the
// host then answers with Connection: close, so clients give connections
// back in order instead of leaving them idle to be evicted.
func (l *limitListener) pressed() bool {
	return len(l.sem) >= cap(l.sem)-cap(l.sem)/4
}

// limiter returns the host's connection limiter, once Start made it.
func (h *CallbackHost) limiter() (*limitListener, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ll, ok := h.limited.(*limitListener)
	return ll, ok
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
