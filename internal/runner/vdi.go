// Package runner binds models to drivers. It is the only place where what a
// system under test did is compared with what a model allowed.
package runner

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/specgate/specgate/internal/coverage"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/vdiapi"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/vdi"
)

// VDIModel is the generation side of the VDI model for the engine.
type VDIModel struct{}

// Info describes the model.
func (VDIModel) Info() models.Info { return vdi.Info() }

// Alphabet returns the model's actions.
func (VDIModel) Alphabet() []models.Action { return vdi.Alphabet }

// NewWalker returns a model walker for a profile.
func (VDIModel) NewWalker(profile string) (engine.Walker, error) {
	p, err := vdi.ParseProfile(profile)
	if err != nil {
		return nil, err
	}
	return vdi.New(p), nil
}

// VDITarget runs VDI sessions on one implementation, through a pool of
// drivers: each session holds one driver (a shim child, a connection, or an
// in-process instance) for its lifetime, so sessions run in parallel.
type VDITarget struct {
	drivers []vdiapi.VDI
	wires   []*WireLog
	free    chan int
	profile vdi.Profile
	cov     *coverage.Counter
}

// NewVDITarget wraps drv. wire, when non-nil, supplies the raw wire lines
// of each step for transcripts.
func NewVDITarget(drv vdiapi.VDI, profile string, wire *WireLog) (*VDITarget, error) {
	return NewVDIPool([]vdiapi.VDI{drv}, []*WireLog{wire}, profile)
}

// NewVDIPool makes a target over several drivers of the same SUT; wires[i]
// (may be nil) records driver i's wire lines.
func NewVDIPool(drivers []vdiapi.VDI, wires []*WireLog, profile string) (*VDITarget, error) {
	p, err := vdi.ParseProfile(profile)
	if err != nil {
		return nil, err
	}
	if len(drivers) == 0 || len(wires) != len(drivers) {
		return nil, fmt.Errorf("runner: %d drivers, %d wire logs", len(drivers), len(wires))
	}
	cells := make([]string, 0, len(vdi.States)*len(vdi.Ops))
	for _, s := range vdi.States {
		for _, op := range vdi.Ops {
			cells = append(cells, vdi.CellName(s, op))
		}
	}
	t := &VDITarget{drivers: drivers, wires: wires, free: make(chan int, len(drivers)), profile: p,
		cov: coverage.NewCounter(cells)}
	for k := range drivers {
		t.free <- k
	}
	return t, nil
}

// Coverage returns the coverage counted so far.
func (t *VDITarget) Coverage() *coverage.Coverage {
	inf := vdi.Info()
	ids := make([]string, len(inf.Clauses))
	for i, c := range inf.Clauses {
		ids[i] = c.ID
	}
	c := coverage.New(inf.Name, inf.Cells, ids)
	c.Declare(vdi.Reach(t.profile))
	t.cov.Into(c)
	return c
}

var localPool = sync.Pool{}

// NewSession opens a session on a fresh device set named after the session.
func (t *VDITarget) NewSession(ctx context.Context, name string, record bool) (engine.Session, error) {
	var k int
	select {
	case k = <-t.free:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s := &vdiSession{t: t, k: k, drv: t.drivers[k], wire: t.wires[k], m: vdi.New(t.profile), set: name, record: record}
	for i := range s.dev {
		s.dev[i] = vdiapi.DeviceName(name, i)
	}
	if record {
		if l, ok := localPool.Get().(*coverage.Local); ok {
			s.cov = l
		} else {
			s.cov = t.cov.NewLocal()
		}
	}
	return s, nil
}

type vdiSession struct {
	t      *VDITarget
	k      int // index of the pooled driver
	drv    vdiapi.VDI
	wire   *WireLog
	m      *vdi.Model
	set    string
	dev    [vdi.MaxDevices + 1]string
	ids    [vdi.MaxDevices][]uint64 // fetched, not completed command ids (FIFO)
	record bool
	cov    *coverage.Local
	// canContinue: the last step diverged without effect (see Continue).
	canContinue bool
	// last step, for the transcript
	lastAct models.Action
	lastHR  uint32
	lastCmd vdiapi.Command
	lastErr error
	lastK   int // the outcome the last step took, -1 when it diverged
}

// Step runs one action: the driver makes the call, the model judges it.
func (s *vdiSession) Step(ctx context.Context, i int, a models.Action) (*engine.Divergence, bool) {
	s.canContinue = false
	s.lastK = -1
	e := s.m.Expect(a)
	if e.N == 0 {
		return nil, false
	}
	if s.wire != nil {
		s.wire.Mark()
	}
	hr, cmd, cmdID, err := s.call(ctx, a)
	s.lastAct, s.lastHR, s.lastCmd, s.lastErr = a, hr, cmd, err
	opIdx := vdi.OpIndex(a.Op)
	if err != nil {
		return s.fault(i, a, &e, err), true
	}
	k := e.Match(vdi.HR(hr))
	if k < 0 && vdi.IsStimulus(a.Op) {
		d := s.diverge(i, a, &e, e.Clause(), vdi.HR(hr).String(), engine.EnvironmentDetail+"the server-side call did not do what the sequence needs")
		d.Kind = engine.KindInconclusive
		// A server-side call that failed did nothing to the set: the
		// model stays where it was and, once this inconclusive result is
		// known, the sequence goes on, so a client divergence that made
		// the stimulus fail (a set the client wrongly ended, say) is
		// still found behind it.
		s.canContinue = vdi.HR(hr) != vdi.NOERROR && vdi.HR(hr) != vdi.VD_E_CLOSE
		return d, true
	}
	if k < 0 {
		s.canContinue = noEffect(&e, vdi.HR(hr))
		return s.diverge(i, a, &e, e.Clause(), vdi.HR(hr).String(), ""), true
	}
	if a.Op == vdi.OpGetCommand && hr == uint32(vdi.NOERROR) {
		if cmd.ID == 0 || cmd.Code != e.WantCmd.Code || cmd.Size != e.WantCmd.Size {
			// Observed names the class of outcome only: it is part of the
			// failure's signature, and the command numbers depend on how
			// many commands the sequence sent. Detail keeps the numbers.
			obs := "NOERROR with another command"
			detail := fmt.Sprintf("got command {code %d, size %d}, want {code %d, size %d}",
				cmd.Code, cmd.Size, e.WantCmd.Code, e.WantCmd.Size)
			if cmd.ID == 0 {
				obs = "NOERROR without a command"
				detail = fmt.Sprintf("want command {code %d, size %d}", e.WantCmd.Code, e.WantCmd.Size)
			}
			return s.diverge(i, a, &e, vdi.ClauseGetCommandFIFO, obs, detail), true
		}
		s.ids[a.Idx] = append(s.ids[a.Idx], cmd.ID)
	}
	if a.Op == vdi.OpCompleteCommand && hr == uint32(vdi.NOERROR) && cmdID != 0 {
		s.ids[a.Idx] = s.ids[a.Idx][1:]
	}
	if s.cov != nil {
		s.cov.Hit(int(e.State)*len(vdi.Ops)+opIdx, e.Out[k].Clause)
		if also := e.Out[k].Also; also != "" {
			s.cov.Clause(also)
		}
	}
	s.m.ApplyOutcome(a, &e, k)
	s.lastK = k
	if s.m.State == vdi.DNE {
		for d := range s.ids {
			s.ids[d] = s.ids[d][:0]
		}
	}
	return nil, true
}

// call makes the driver call for a. cmdID is the command id passed to
// CompleteCommand (0 when none is outstanding).
func (s *vdiSession) call(ctx context.Context, a models.Action) (hr uint32, cmd vdiapi.Command, cmdID uint64, err error) {
	if a.Op == vdi.OpCompleteCommand {
		if q := s.ids[a.Idx]; len(q) > 0 {
			cmdID = q[0]
		}
	}
	hr, cmd, err = CallVDI(ctx, s.drv, s.set, s.dev[:], s.m, a, cmdID)
	return
}

// CallVDI makes the driver call for action a on set, whose device names
// are dev (index BogusDevice names a device not in the set). m supplies
// the device count and the next command; completeID is the command id
// CompleteCommand passes (0 when none is outstanding).
func CallVDI(ctx context.Context, drv vdiapi.VDI, set string, dev []string, m *vdi.Model, a models.Action, completeID uint64) (hr uint32, cmd vdiapi.Command, err error) {
	switch a.Op {
	case vdi.OpCreate:
		hr, err = drv.Create(ctx, set, vdiapi.Config{DeviceCount: uint32(a.Arg)})
	case vdi.OpCreateEx:
		hr, err = drv.CreateEx(ctx, "", set, vdiapi.Config{DeviceCount: uint32(a.Arg)})
	case vdi.OpGetConfiguration:
		hr, _, err = drv.GetConfiguration(ctx, set, 0)
	case vdi.OpOpenDevice:
		hr, err = drv.OpenDevice(ctx, set, dev[a.Idx])
	case vdi.OpGetCommand:
		hr, cmd, err = drv.GetCommand(ctx, set, dev[a.Idx], 0)
	case vdi.OpCompleteCommand:
		hr, err = drv.CompleteCommand(ctx, set, dev[a.Idx], completeID, 0, 0, 0)
	case vdi.OpSignalAbort:
		hr, err = drv.SignalAbort(ctx, set)
	case vdi.OpClose:
		hr, err = drv.Close(ctx, set)
	case vdi.OpServerOpen:
		hr, err = drv.ServerOpen(ctx, set, dev[:max(m.N, 1)])
	case vdi.OpServerSendCommand:
		c := m.NextCommand(a.Idx)
		hr, _, err = drv.ServerSendCommand(ctx, set, dev[a.Idx], c.Code, c.Size)
	case vdi.OpServerCloseDevice:
		hr, err = drv.ServerCloseDevice(ctx, set, dev[a.Idx])
	case vdi.OpServerSignalAbort:
		hr, err = drv.ServerSignalAbort(ctx, set)
	default:
		err = fmt.Errorf("runner: unknown VDI operation %q", a.Op)
	}
	return
}

func expected(e *vdi.Expect) []string {
	out := make([]string, e.N)
	for i := 0; i < e.N; i++ {
		out[i] = e.Out[i].String()
	}
	return out
}

func (s *vdiSession) diverge(i int, a models.Action, e *vdi.Expect, clause, observed, detail string) *engine.Divergence {
	return &engine.Divergence{
		Kind: engine.KindDivergence, Clause: clause, Cell: vdi.CellName(e.State, a.Op),
		Step: i + 1, Action: a.String(), Expected: expected(e), Observed: observed, Detail: detail,
		Key: s.m.FenceKey(a),
	}
}

func (s *vdiSession) fault(i int, a models.Action, e *vdi.Expect, err error) *engine.Divergence {
	kind, detail := Classify(err)
	return &engine.Divergence{
		Kind: kind, Clause: e.Clause(), Cell: vdi.CellName(e.State, a.Op),
		Step: i + 1, Action: a.String(), Expected: expected(e), Observed: kind, Detail: detail,
		Key: s.m.FenceKey(a),
	}
}

// Transcript returns the wire lines of the last step.
func (s *vdiSession) Transcript() []string {
	if s.wire != nil {
		return s.wire.Lines()
	}
	out := []string{"-> " + s.lastAct.String() + " on set " + strconv.Quote(s.set)}
	if s.lastErr != nil {
		return append(out, "<- error: "+s.lastErr.Error())
	}
	line := "<- hr=" + vdi.HR(s.lastHR).Hex() + " (" + vdi.HR(s.lastHR).String() + ")"
	if s.lastCmd.ID != 0 {
		line += fmt.Sprintf(" command={id %d, code %d, size %d}", s.lastCmd.ID, s.lastCmd.Code, s.lastCmd.Size)
	}
	return append(out, line)
}

// Close forgets the set on the SUT. The session's coverage waits for
// Commit: the engine counts a check only once it knows the check stands.
func (s *vdiSession) Close(ctx context.Context) {
	_ = s.drv.Reset(ctx, s.set)
	s.t.free <- s.k
}

// Commit adds the session's coverage to the target's (keep) or drops it.
func (s *vdiSession) Commit(keep bool) {
	if s.cov == nil {
		return
	}
	if keep {
		s.t.cov.Flush(s.cov)
	} else {
		s.cov.Reset()
	}
	localPool.Put(s.cov)
	s.cov = nil
}

// Continue reports whether the session can go on after the known
// divergence of its last step: only when every outcome the model allowed
// was an error that leaves the state as it was and the SUT answered an
// error too, so the call plausibly had no effect and the model's state
// still stands (a wrong error code in one cell).
func (s *vdiSession) Continue(*engine.Divergence) bool { return s.canContinue }

// noEffect reports whether every outcome of e is an error that leaves the
// state as it was, and hr is an error.
func noEffect(e *vdi.Expect, hr vdi.HR) bool {
	if hr == vdi.NOERROR || hr == vdi.VD_E_CLOSE {
		return false
	}
	for _, o := range e.Allowed() {
		if o.HR == vdi.NOERROR || o.HR == vdi.VD_E_CLOSE || o.Next != e.State {
			return false
		}
	}
	return true
}

// Weight makes the calls that end a device set (aborts and Close) rarer
// than the calls that move it forward, so sequences reach deep states.
func (VDIModel) Weight(a models.Action) int {
	switch a.Op {
	case vdi.OpSignalAbort, vdi.OpServerSignalAbort, vdi.OpClose:
		return 1
	}
	return 4
}

// Answer says what the implementation answered to the last executed step:
// its status (and the command GetCommand delivered), or the call's error.
func (s *vdiSession) Answer() string {
	if s.lastErr != nil {
		kind, _ := Classify(s.lastErr)
		return kind
	}
	out := vdi.HR(s.lastHR).String()
	if s.lastCmd.ID != 0 {
		out += fmt.Sprintf(" command {code %d, size %d}", s.lastCmd.Code, s.lastCmd.Size)
	}
	return out
}

// VDIOutcome reports what the last step of a VDI session did: the status
// the SUT answered, the model's state after it, and which of the allowed
// outcomes it took (-1 when the step diverged). Suites use it to assert
// more than conformance (a set-up step took the expected path) without
// judging the SUT again. ok is false for a session of another model.
func VDIOutcome(s engine.Session) (hr vdi.HR, state vdi.State, taken int, ok bool) {
	vs, ok := s.(*vdiSession)
	if !ok {
		return 0, 0, -1, false
	}
	return vdi.HR(vs.lastHR), vs.m.State, vs.lastK, true
}
