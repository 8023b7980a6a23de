package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/specgate/specgate/internal/coverage"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/soap"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/ipam"
)

// IPAMModel is the generation side of the IPAM model; Control says whether
// the target has a vendor control endpoint (which adds the ctl.* actions).
type IPAMModel struct{ Control bool }

// Info describes the model.
func (IPAMModel) Info() models.Info { return ipam.Info() }

// Alphabet returns the model's actions.
func (m IPAMModel) Alphabet() []models.Action { return ipam.Alphabet(m.Control) }

// NewWalker returns a model walker for a profile.
func (m IPAMModel) NewWalker(profile string) (engine.Walker, error) {
	p, err := ipam.ParseProfile(profile)
	if err != nil {
		return nil, err
	}
	return ipam.New(p, m.Control), nil
}

// Weight favours sessions over control changes.
func (IPAMModel) Weight(a models.Action) int {
	switch a.Op {
	case ipam.OpInitSchema, ipam.OpStartSchema, ipam.OpInitProv, ipam.OpStartProv, ipam.OpCtlRelease, ipam.OpCtlHold:
		return 4 // holding sessions is what makes sessions overlap
	case ipam.OpIsRequired, ipam.OpIsInProgress, ipam.OpIsConfigured:
		return 2
	}
	return 1
}

// IPAMConfig configures an IPAM target.
type IPAMConfig struct {
	Profile string
	// URL is the SOAP endpoint (one URL for every port type).
	URL string
	// Control is the vendor control endpoint, "" when there is none.
	Control string
	// Client makes the SOAP calls; its Timeout is the per-call deadline.
	Client *soap.Client
	// Host receives the callbacks.
	Host *soap.CallbackHost
	// Quiescence bounds the wait for an awaited callback: the full wait
	// that decides a silence.
	Quiescence time.Duration
	// QuiescenceMin is the shortest adaptive deadline. Where a full wait
	// has already seen silence in the same model state for the same call,
	// later waits there end after an adaptive deadline learnt from the
	// server's completion times, between QuiescenceMin and Quiescence
	// (quiescence.go says why that never changes a result). Zero means
	// min(20 ms, Quiescence); QuiescenceMin = Quiescence waits in full
	// everywhere.
	QuiescenceMin time.Duration
	// Settle is the longest a session waits after its last callback for
	// late ones (a duplicate Complete, a checkpoint after Complete). Replays
	// made while shrinking wait twice the adaptive window, at most this.
	Settle time.Duration
	// SettleMin is the shortest such wait. Between the two, exploring
	// sessions wait an adaptive window learnt from the gaps between the
	// callbacks of one burst (settle.go); SettleMin = Settle makes the
	// window fixed. Zero means min(1 ms, Settle).
	SettleMin time.Duration
	// Checkpoints asks the server (through the control endpoint) for this
	// many checkpoints per operation.
	Checkpoints int
	// Transport carries the messages; when nil, the HTTP binding is built
	// from URL, Client and Host.
	Transport IPAMTransport
	// ControlHTTP and ControlHeader configure the control endpoint client
	// (TLS, credentials).
	ControlHTTP   *http.Client
	ControlHeader http.Header
}

// IPAMTarget runs IPAM sessions on one management server. The ADM is
// global to the server, so sessions on one target run one at a time.
type IPAMTarget struct {
	cfg     IPAMConfig
	profile ipam.Profile
	ctl     *soap.Control
	cov     *coverage.Counter
	gaps    *gapEstimator
	quiet   *quiescence
	mu      sync.Mutex
}

// NewIPAMTarget prepares a target.
func NewIPAMTarget(cfg IPAMConfig) (*IPAMTarget, error) {
	p, err := ipam.ParseProfile(cfg.Profile)
	if err != nil {
		return nil, err
	}
	if cfg.Quiescence <= 0 {
		cfg.Quiescence = 5 * time.Second
	}
	if cfg.QuiescenceMin <= 0 {
		cfg.QuiescenceMin = min(20*time.Millisecond, cfg.Quiescence)
	}
	if cfg.QuiescenceMin > cfg.Quiescence {
		return nil, fmt.Errorf("quiescence minimum %v is longer than the quiescence %v", cfg.QuiescenceMin, cfg.Quiescence)
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 30 * time.Millisecond
	}
	if cfg.SettleMin <= 0 {
		cfg.SettleMin = min(time.Millisecond, cfg.Settle)
	}
	if cfg.SettleMin > cfg.Settle {
		return nil, fmt.Errorf("settle minimum %v is longer than the settle window %v", cfg.SettleMin, cfg.Settle)
	}
	if cfg.Transport == nil {
		cfg.Transport = &HTTPTransport{URL: cfg.URL, Client: cfg.Client, Host: cfg.Host}
	}
	t := &IPAMTarget{cfg: cfg, profile: p, cov: coverage.NewCounter(ipam.Cells()), gaps: &gapEstimator{},
		quiet: newQuiescence()}
	if cfg.Control != "" {
		t.ctl = &soap.Control{URL: strings.TrimSuffix(cfg.Control, "/"), HTTP: cfg.ControlHTTP, Header: cfg.ControlHeader}
	}
	return t, nil
}

// LateCallbacks counts the callbacks that arrived for sessions already
// closed, after their sequence's settle window. They break "nothing after
// Complete" (3.17.1.1, 3.13.1.1) but can no longer be tied to a sequence
// deterministically, so they are a run-level warning, not a divergence.
func (t *IPAMTarget) LateCallbacks() int { return t.cfg.Transport.LateCount() }

// Warnings returns the run-level findings that are not divergences.
func (t *IPAMTarget) Warnings() []string {
	w := lateWarnings(t.LateCallbacks(), t.cfg.Settle)
	if th, ok := t.cfg.Transport.(throttled); ok {
		if line := th.ThrottleReport(); line != "" {
			w = append(w, line)
		}
	}
	return w
}

// retirer is a transport that can end a finished session early when the
// server runs out of session slots (duplex.Transport.Retire).
type retirer interface{ Retire(session string) }

// throttled is a transport that reports how the server throttled its
// connections (a connection wait is not a SUT failure).
type throttled interface{ ThrottleReport() string }

func lateWarnings(n int, settle time.Duration) []string {
	if n == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d callback(s) arrived for sessions that had already ended, after the settle window "+
		"(at most %v): the server sent something after Complete (ipam/3.17.1.1/Completed, ipam/3.13.1.1/Completed), "+
		"but no sequence can be blamed; rerun with a longer --settle to tie it to its sequence", n, settle)}
}

// QuiescenceWaits counts the waits for an awaited callback that ended in
// silence: full ones (the whole Quiescence) and ones cut to the adaptive
// deadline.
func (t *IPAMTarget) QuiescenceWaits() (full, short int) {
	return int(t.quiet.full.Load()), int(t.quiet.short.Load())
}

// Coverage returns the coverage counted so far.
func (t *IPAMTarget) Coverage() *coverage.Coverage {
	inf := ipam.Info()
	ids := make([]string, len(inf.Clauses))
	for i, c := range inf.Clauses {
		ids[i] = c.ID
	}
	c := coverage.New(inf.Name, inf.Cells, ids)
	c.Declare(ipam.Reach(t.profile, t.ctl != nil))
	t.cov.Into(c)
	return c
}

type slot struct {
	id, url string
	seen    int         // events already observed
	fam     ipam.Family // the family of the session it was initialized for
}

// doneClause is the clause of the Completed state of family f's callback
// session machine (3.17.1.1 schema, 3.13.1.1 provisioning).
func doneClause(f ipam.Family) string {
	if f == ipam.Provision {
		return ipam.ClProvCBDone
	}
	return ipam.ClSchemaCBDone
}

type ipamSession struct {
	t *IPAMTarget
	m *ipam.Model
	// extra is an extra callback set aside during the step; canContinue
	// says the last divergence was one the model skipped (see Continue).
	extra       *engine.Divergence
	canContinue bool
	slots       [ipam.NumSlots]slot
	retired     []slot
	stray       int
	cov         *coverage.Local
	lines       []string
	cellIdx     map[string]int
	record      bool // an exploring session (not a shrink replay)
	// lastAct and lastObs are the last executed step and what was observed
	// (for Answer); lastObsOK is false when the call itself failed.
	lastAct   models.Action
	lastObs   ipam.Obs
	lastObsOK bool
	done      func() // called by Close after the target is released (pools)
}

// NewSession resets the server (with control) and opens a session.
func (t *IPAMTarget) NewSession(ctx context.Context, name string, record bool) (engine.Session, error) {
	s, err := t.newSession(ctx, record)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// newSession locks the target (its ADM is global) and opens a session;
// the session's Close unlocks it.
func (t *IPAMTarget) newSession(ctx context.Context, record bool) (*ipamSession, error) {
	t.mu.Lock()
	s := &ipamSession{t: t, m: ipam.New(t.profile, t.ctl != nil), stray: t.cfg.Transport.StrayCount(), record: record}
	if t.ctl != nil {
		if err := t.ctl.Reset(ctx); err != nil {
			t.mu.Unlock()
			return nil, fmt.Errorf("control reset: %w", err)
		}
		adm := soap.ADM{IpamConfigured: soap.Bool(true), SchemaConversionRequired: soap.Bool(true),
			Checkpoints: soap.Int(t.cfg.Checkpoints), Hold: soap.Bool(false)}
		if err := t.ctl.Set(ctx, adm); err != nil {
			t.mu.Unlock()
			return nil, fmt.Errorf("control set: %w", err)
		}
	}
	if record {
		s.cov = t.cov.NewLocal()
		s.cellIdx = cellIndex()
	}
	return s, nil
}

var (
	cellIdxOnce sync.Once
	cellIdxMap  map[string]int
)

func cellIndex() map[string]int {
	cellIdxOnce.Do(func() {
		cellIdxMap = map[string]int{}
		for i, c := range ipam.Cells() {
			cellIdxMap[c] = i
		}
	})
	return cellIdxMap
}

func (s *ipamSession) logf(format string, args ...any) {
	if len(s.lines) < 200 {
		s.lines = append(s.lines, fmt.Sprintf(format, args...))
	}
}

func (s *ipamSession) logEnv(dir string, raw []byte) {
	if len(raw) > 4096 {
		raw = append(raw[:4096:4096], "…"...)
	}
	s.logf("%s %s", dir, raw)
}

// Step performs one action on the server and judges what happened.
func (s *ipamSession) Step(ctx context.Context, i int, a models.Action) (*engine.Divergence, bool) {
	key := s.m.StateKey()
	s.canContinue, s.extra = false, nil
	d, executed := s.step(ctx, i, a)
	if d != nil && d.Cell != CallbackCell {
		d.Key = key // a callback arrives during any step: nothing to fence
	}
	return d, executed
}

// CallbackCell is the cell of a divergence in the callbacks a server sent
// on its own: they arrive during whichever step happens to run, so the
// step's cell is not part of what went wrong (nor of the signature).
const CallbackCell = "callbacks"

// Continue reports whether the session can go on after the known
// divergence of its last step: only an extra callback (on a session that
// had completed, had ended, or does not exist), which the model skipped
// while it judged the rest of the step.
func (s *ipamSession) Continue(*engine.Divergence) bool { return s.canContinue }

func (s *ipamSession) step(ctx context.Context, i int, a models.Action) (*engine.Divergence, bool) {
	e := s.m.Expect(a)
	if !e.Judgeable {
		return nil, false
	}
	s.lines = s.lines[:0]
	var obs ipam.Obs
	s.lastAct, s.lastObsOK = a, false
	if d := s.perform(ctx, i, a, &e, &obs); d != nil {
		return d, true
	}
	if d := s.drain(i, a, &e, &obs); d != nil {
		return d, true
	}
	s.lastObs, s.lastObsOK = obs, true
	if d := s.m.Observe(a, &obs); d != nil {
		cell := e.Cell
		if d.Callback {
			cell = CallbackCell
		}
		s.canContinue = d.Absorbed
		return &engine.Divergence{Kind: engine.KindDivergence, Clause: d.Clause, Cell: cell, Step: i + 1,
			Action: a.String(), Expected: d.Expected, Observed: d.Observed}, true
	}
	if s.extra != nil {
		// An extra callback drain set aside; the rest of the step conformed.
		d := s.extra
		s.canContinue = true
		return d, true
	}
	if s.cov != nil {
		if idx, ok := s.cellIdx[e.Cell]; ok {
			s.cov.Cell(idx)
		}
		s.countClauses(&obs)
	}
	return nil, true
}

// countClauses counts the clauses a conforming step (or settle) checked:
// the model's, and the two the drain checks on every callback it reads
// (it came on a session the client initialized, as a well-formed
// envelope).
func (s *ipamSession) countClauses(obs *ipam.Obs) {
	for _, c := range s.m.Exercised {
		s.cov.Clause(c)
	}
	for k := range obs.CB {
		for range obs.CB[k] {
			s.cov.Clause(ipam.ClUnknownSession)
			s.cov.Clause(ipam.ClMalformed)
		}
	}
}

func (s *ipamSession) fault(i int, a models.Action, e *ipam.Expect, clause string, err error) *engine.Divergence {
	kind := engine.KindCrash
	detail := err.Error()
	var ne interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		kind, detail = engine.KindHang, "no HTTP response before the call deadline"
	case errors.Is(err, soap.ErrEmptyResponse) || errors.Is(err, soap.ErrUnexpectedStatus) || isParseError(err):
		kind = engine.KindMalformed
	case strings.Contains(detail, "connection refused"):
		kind, detail = engine.KindUnreachable, "connection refused"
	default:
		detail = stableError(err)
	}
	return &engine.Divergence{Kind: kind, Clause: clause, Cell: e.Cell, Step: i + 1, Action: a.String(),
		Expected: []string{"a SOAP 1.2 response"}, Observed: kind, Detail: detail}
}

func isParseError(err error) bool {
	for _, e := range []error{soap.ErrNotXML, soap.ErrSOAP11, soap.ErrNotEnvelope, soap.ErrNoBody,
		soap.ErrMultipleBodyChildren, soap.ErrTooDeep, soap.ErrTooLarge, soap.ErrTrailingData, soap.ErrMalformed,
		soap.ErrBadContentType} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// stableError strips the run-specific parts (addresses) of a transport error.
func stableError(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "EOF"):
		return "connection closed before a complete response"
	case strings.Contains(msg, "connection reset"):
		return "connection reset by the server"
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

var initActions = map[string]struct{ req, resp string }{
	ipam.OpInitSchema: {soap.ActionInitializeAsyncSchemaConversion, soap.ActionInitializeAsyncSchemaConversionResponse},
	ipam.OpInitProv:   {soap.ActionInitializeAsyncProvisioning, soap.ActionInitializeAsyncProvisioningResponse},
}

var queryActions = map[string]string{
	ipam.OpIsRequired:   soap.ActionIsSchemaConversionRequired,
	ipam.OpIsInProgress: soap.ActionIsSchemaConversionInProgress,
	ipam.OpIsConfigured: soap.ActionIsIpamConfigured,
}

func (s *ipamSession) call(ctx context.Context, session string, env *soap.Envelope, oneWay bool) (*soap.Response, error) {
	raw := env.Marshal()
	s.logEnv("->", raw)
	var resp *soap.Response
	var err error
	if oneWay {
		resp, err = s.t.cfg.Transport.Send(ctx, session, env)
	} else {
		resp, err = s.t.cfg.Transport.Call(ctx, session, env)
	}
	if resp != nil {
		if err == nil && resp.Elapsed > 0 {
			s.t.quiet.arrived(resp.Elapsed) // the server's pace, for the adaptive quiescence
		}
		if len(resp.Raw) > 0 {
			s.logEnv(fmt.Sprintf("<- %d", resp.Status), resp.Raw)
		} else {
			s.logf("<- %d (empty body)", resp.Status)
		}
	}
	if err != nil {
		s.logf("<- error: %v", err)
	}
	return resp, err
}

func (s *ipamSession) perform(ctx context.Context, i int, a models.Action, e *ipam.Expect, obs *ipam.Obs) *engine.Divergence {
	switch a.Op {
	case ipam.OpInitSchema, ipam.OpInitProv:
		sl := &s.slots[a.Idx]
		if sl.id != "" {
			s.retired = append(s.retired, *sl)
			if r, ok := s.t.cfg.Transport.(retirer); ok {
				r.Retire(sl.id)
			}
		}
		initClause := ipam.ClInitSchema
		if a.Op == ipam.OpInitProv {
			initClause = ipam.ClInitProv
		}
		id, url, err := s.t.cfg.Transport.OpenSession(ctx)
		if err != nil {
			return s.fault(i, a, e, initClause, err)
		}
		fam := ipam.Schema
		if a.Op == ipam.OpInitProv {
			fam = ipam.Provision
		}
		*sl = slot{id: id, url: url, fam: fam}
		acts := initActions[a.Op]
		var body []byte
		if a.Op == ipam.OpInitSchema {
			body = soap.InitializeAsyncSchemaConversionBody(nil)
		} else {
			body = soap.InitializeAsyncProvisioningBody(nil)
		}
		resp, err := s.call(ctx, id, soap.NewRequest(acts.req, s.t.cfg.Transport.Endpoint(), url, body), false)
		if err != nil && (resp == nil || resp.Fault == nil) {
			return s.fault(i, a, e, initClause, err)
		}
		obs.Fault = resp.Fault != nil
		if !obs.Fault && resp.Envelope.Header.Action != acts.resp {
			return &engine.Divergence{Kind: engine.KindDivergence, Clause: initClause, Cell: e.Cell, Step: i + 1,
				Action: a.String(), Expected: []string{"Action " + acts.resp}, Observed: "Action " + resp.Envelope.Header.Action}
		}
	case ipam.OpStartSchema, ipam.OpStartProv:
		sl := s.slots[a.Idx]
		action, body := soap.ActionStartAsyncSchemaConversion, soap.StartAsyncSchemaConversionBody()
		clause := ipam.ClSchemaStart
		if a.Op == ipam.OpStartProv {
			action, body, clause = soap.ActionStartAsyncProvisioning, soap.StartAsyncProvisioningBody(), ipam.ClProvStart
		}
		resp, err := s.call(ctx, sl.id, soap.NewRequest(action, s.t.cfg.Transport.Endpoint(), sl.url, body), true)
		if err != nil && (resp == nil || resp.Fault == nil) {
			return s.fault(i, a, e, clause, err)
		}
		obs.Fault = resp.Fault != nil
		if !obs.Fault {
			obs.Silent[a.Idx] = !s.await(ctx, sl, e.Await, silenceKey{op: a.Op})
		}
	case ipam.OpIsRequired, ipam.OpIsInProgress, ipam.OpIsConfigured:
		action := queryActions[a.Op]
		var body []byte
		clause := ipam.ClQueryConfig
		switch a.Op {
		case ipam.OpIsRequired:
			body, clause = soap.IsSchemaConversionRequiredBody(), ipam.ClQueryRequired
		case ipam.OpIsInProgress:
			body, clause = soap.IsSchemaConversionInProgressBody(), ipam.ClQueryProgress
		default:
			body = soap.IsIpamConfiguredBody()
		}
		resp, err := s.call(ctx, "", soap.NewRequest(action, s.t.cfg.Transport.Endpoint(), soap.WSAAnonymous, body), false)
		if err != nil && (resp == nil || resp.Fault == nil) {
			return s.fault(i, a, e, clause, err)
		}
		if resp.Fault != nil {
			obs.Fault = true
			break
		}
		v, perr := soap.ParseBoolResponse(resp.Envelope, a.Op+"Result")
		if perr != nil {
			return &engine.Divergence{Kind: engine.KindMalformed, Clause: clause, Cell: e.Cell, Step: i + 1,
				Action: a.String(), Expected: []string{a.Op + "Response with a boolean result"}, Observed: "malformed", Detail: stableError(perr)}
		}
		obs.Value = v
	default:
		if d := s.control(ctx, i, a, e, obs); d != nil {
			return d
		}
	}
	return nil
}

func (s *ipamSession) control(ctx context.Context, i int, a models.Action, e *ipam.Expect, obs *ipam.Obs) *engine.Divergence {
	var adm soap.ADM
	v := a.Arg == 1
	switch a.Op {
	case ipam.OpCtlRequired:
		adm.SchemaConversionRequired = soap.Bool(v)
	case ipam.OpCtlConfigured:
		adm.IpamConfigured = soap.Bool(v)
	case ipam.OpCtlFailNext:
		if ipam.Family(a.Arg) == ipam.Schema {
			adm.NextConversionFails = soap.Bool(true)
		} else {
			adm.NextProvisioningFails = soap.Bool(true)
		}
	case ipam.OpCtlHold:
		adm.Hold = soap.Bool(true)
	case ipam.OpCtlRelease:
		adm.Hold = soap.Bool(false)
	}
	s.logf("-> control %s", a)
	if err := s.t.ctl.Set(ctx, adm); err != nil {
		// The control endpoint drives the environment: its failure makes
		// the sequence inconclusive, never a divergence of the server.
		d := s.fault(i, a, e, ipam.ClControlADM, err)
		d.Expected = []string{"204 from the control endpoint"}
		d.Kind, d.Observed, d.Detail = engine.KindInconclusive, "control endpoint: "+d.Observed, engine.EnvironmentDetail+d.Detail
		return d
	}
	if a.Op == ipam.OpCtlRelease {
		for k, held := range e.Release {
			if held {
				obs.Silent[k] = !s.await(ctx, s.slots[k], ipam.AwaitComplete, silenceKey{op: a.Op, release: true})
			}
		}
	}
	return nil
}

// await waits for the awaited callback on a session and reports whether
// it arrived before the quiescence deadline: the full Quiescence, or the
// adaptive one where a full wait already saw silence at k (quiescence.go).
func (s *ipamSession) await(parent context.Context, sl slot, mode ipam.Await, k silenceKey) bool {
	q := s.t.quiet
	wait, short := q.deadline(k, s.t.cfg.QuiescenceMin, s.t.cfg.Quiescence, engine.FullWaits(parent))
	ctx, cancel := context.WithTimeout(parent, wait)
	defer cancel()
	begin := time.Now()
	evs, err := s.t.cfg.Transport.Wait(ctx, sl.id, func(evs []soap.Event) bool {
		for _, ev := range evs[sl.seen:] {
			if ev.Kind != soap.EventCallback {
				return true // a malformed callback ends the wait; drain reports it
			}
			info, ok := soap.ClassifyCallback(ev.Envelope.Header.Action)
			if !ok {
				return true
			}
			if info.Kind == soap.KindComplete || (mode == ipam.AwaitStart && info.Kind == soap.KindStart) {
				return true
			}
		}
		return false
	})
	// The server's pace: how long after the call its callbacks came.
	if n := len(evs); n > sl.seen && evs[n-1].Time.After(begin) {
		q.arrived(evs[n-1].Time.Sub(begin))
	}
	switch {
	case err == nil:
		return true
	case parent.Err() == nil && errors.Is(err, context.DeadlineExceeded):
		q.silent(k, short)
		if short {
			s.logf("(no awaited callback within the adaptive deadline: a full --quiescence wait saw silence in this state before)")
		}
	}
	return false
}

// drain converts the callbacks received since the last step into model
// observations, and reports callbacks the model cannot even represent.
func (s *ipamSession) drain(i int, a models.Action, e *ipam.Expect, obs *ipam.Obs) *engine.Divergence {
	div := func(clause, expected, observed string) *engine.Divergence {
		return &engine.Divergence{Kind: engine.KindDivergence, Clause: clause, Cell: e.Cell, Step: i + 1,
			Action: a.String(), Expected: []string{expected}, Observed: observed}
	}
	host := s.t.cfg.Transport
	if n := host.StrayCount(); n > s.stray {
		// The first new stray, when the stray list still had room for it.
		if stray := host.Stray(); s.stray < len(stray) {
			s.logEnv("<= stray callback", stray[s.stray].Raw)
		} else {
			s.logf("<= stray callback (not kept: the stray list is full)")
		}
		s.stray = n
		s.setAside(div(ipam.ClUnknownSession, "callbacks only on the sessions the client initialized", "a callback to an unknown session path"))
	}
	for r := range s.retired {
		sl := &s.retired[r]
		if evs := host.Events(sl.id); len(evs) > sl.seen {
			ev := evs[sl.seen]
			sl.seen = len(evs)
			s.logEnv("<= late callback", ev.Raw)
			// Observed names the callback, as when it arrives before the
			// slot is reused: which of the two happens is a matter of timing.
			observed := "a callback on a session that already ended"
			if c, err := modelCallback(ev); err == nil && ev.Kind == soap.EventCallback {
				observed = c.String()
			}
			s.setAside(div(doneClause(sl.fam), "no further callback", observed))
		}
	}
	for k := range s.slots {
		sl := &s.slots[k]
		if sl.id == "" {
			continue
		}
		evs := host.Events(sl.id)
		s.t.gaps.burst(evs[sl.seen:])
		for _, ev := range evs[sl.seen:] {
			s.logEnv(fmt.Sprintf("<= callback on session %d", k), ev.Raw)
			if ev.Kind != soap.EventCallback {
				return div(ipam.ClMalformed, "a SOAP 1.2 callback envelope", string(ev.Kind)+": "+firstLine(ev.Err))
			}
			c, err := modelCallback(ev)
			if err != nil {
				clause := ipam.ClSchemaAction
				if s.m.S[k].Fam == ipam.Provision {
					clause = ipam.ClProvAction
				}
				return div(clause, "a callback Action of the IPAM callback port types with its body element", firstLine(stableError(err)))
			}
			obs.CB[k] = append(obs.CB[k], c)
		}
		sl.seen = len(evs)
	}
	return nil
}

// modelCallback reads a callback event as the model sees it.
func modelCallback(ev soap.Event) (ipam.Callback, error) {
	cb, err := soap.ParseCallbackBody(ev.Envelope)
	if err != nil {
		return ipam.Callback{}, err
	}
	c := ipam.Callback{Family: ipam.Schema, CallbackPrefix: cb.Info.Prefix == soap.PrefixCallbackPort,
		Exception: cb.Faulted()}
	if cb.Info.Family == soap.FamilyProvision {
		c.Family = ipam.Provision
	}
	switch cb.Info.Kind {
	case soap.KindStart:
		c.Kind = ipam.CBStart
	case soap.KindCheckpoint:
		c.Kind = ipam.CBCheckpoint
	default:
		c.Kind = ipam.CBComplete
	}
	if cb.Exception != nil {
		c.ExceptionID = cb.Exception.ExceptionID
	}
	return c, nil
}

// setAside keeps the first extra callback of a step (one on a session that
// ended or does not exist): the step is judged on, and reports it at its
// end unless the step diverges otherwise.
func (s *ipamSession) setAside(d *engine.Divergence) {
	if s.extra == nil {
		d.Cell = CallbackCell
		s.extra = d
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Finish waits for late callbacks (a duplicate Complete, a checkpoint after
// Complete) and judges them.
func (s *ipamSession) Finish(ctx context.Context, steps int) *engine.Divergence {
	started := false
	for _, sl := range s.m.S {
		started = started || sl.Phase == ipam.Held || sl.Phase == ipam.Completed
	}
	if !started {
		return nil
	}
	// The settle window starts at the last callback received: a duplicate
	// or a stray checkpoint follows the callback it repeats.
	var last time.Time
	for _, sl := range s.slots {
		if sl.id == "" {
			continue
		}
		if evs := s.t.cfg.Transport.Events(sl.id); len(evs) > 0 && evs[len(evs)-1].Time.After(last) {
			last = evs[len(evs)-1].Time
		}
	}
	// Exploring sessions wait the adaptive window; shrink replays, which
	// must see a late callback again to keep a candidate, wait twice as
	// long (at most Settle).
	window := s.t.gaps.window(s.t.cfg.SettleMin, s.t.cfg.Settle)
	if !s.record {
		window = min(2*window, s.t.cfg.Settle)
	}
	wait := window
	if !last.IsZero() {
		wait = time.Until(last.Add(window))
	}
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
	}
	a := models.Action{Op: "settle", Idx: -1}
	e := ipam.Expect{Cell: "settle"}
	s.lines = s.lines[:0]
	s.extra = nil
	var obs ipam.Obs
	if d := s.drain(steps, a, &e, &obs); d != nil {
		return d
	}
	if d := s.m.Observe(a, &obs); d != nil {
		cell := "settle"
		if d.Callback {
			cell = CallbackCell
		}
		return &engine.Divergence{Kind: engine.KindDivergence, Clause: d.Clause, Cell: cell, Step: steps + 1,
			Action: "settle()", Expected: d.Expected, Observed: d.Observed}
	}
	if s.extra == nil && s.cov != nil {
		s.countClauses(&obs)
	}
	return s.extra
}

// Transcript returns the wire lines of the last step.
func (s *ipamSession) Transcript() []string { return append([]string(nil), s.lines...) }

// Close forgets the session's callback paths and releases the target.
func (s *ipamSession) Close(ctx context.Context) {
	// Retired slots held finished sessions (a slot is re-initialized only
	// when None or Completed). A slot still Held at the end is abandoned:
	// its server may still be sending the checkpoints that follow Start,
	// which are not late callbacks.
	for _, sl := range s.retired {
		s.t.cfg.Transport.CloseSession(sl.id)
	}
	for k, sl := range s.slots {
		switch {
		case sl.id == "":
		case s.m.S[k].Phase == ipam.Held:
			s.t.cfg.Transport.AbandonSession(sl.id)
		default:
			s.t.cfg.Transport.CloseSession(sl.id)
		}
	}
	s.t.mu.Unlock()
	if s.done != nil {
		s.done()
	}
}

// Commit adds the session's coverage to the target's (keep) or drops it:
// the engine counts a check only once it knows the check stands.
func (s *ipamSession) Commit(keep bool) {
	if s.cov != nil && keep {
		s.t.cov.Flush(s.cov)
	}
	s.cov = nil
}

// Exercised returns the clauses the session's last step exercised.
func (s *ipamSession) Exercised() []string { return append([]string(nil), s.m.Exercised...) }

// Answer says what the server answered to the last executed step: the
// response (or fault) and every callback that came during it, per session
// slot.
func (s *ipamSession) Answer() string {
	if !s.lastObsOK {
		return "no answer (see the transcript)"
	}
	o := &s.lastObs
	var b strings.Builder
	switch a := s.lastAct; {
	case o.Fault:
		b.WriteString("SOAP fault")
	case a.Op == ipam.OpIsRequired || a.Op == ipam.OpIsInProgress || a.Op == ipam.OpIsConfigured:
		b.WriteString(strconv.FormatBool(o.Value))
	case a.Op == ipam.OpStartSchema || a.Op == ipam.OpStartProv:
		b.WriteString("accepted")
	case strings.HasPrefix(a.Op, "ctl."):
		b.WriteString("204")
	default:
		b.WriteString("response")
	}
	for k, cbs := range o.CB {
		if len(cbs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "; session %d: ", k)
		for j, c := range cbs {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c.String())
		}
	}
	return b.String()
}
