// Package vdi is the reference model of the SQL Server Virtual Backup Device
// Interface client state machine (seed 002: Client Transitions, 6 states x 7
// functions), extended with the server-side events that drive a client
// (connect/configure, send a command, close a device, abort) and with
// multi-device sets.
//
// The model is pure. For every call it returns the set of allowed outcomes
// (status code and next state, each citing its clause); the runner picks the
// branch the observed status selects.
package vdi

import (
	"fmt"

	"github.com/specgate/specgate/models"
)

// MaxDevices is the largest device set the generator creates. The VDI limit
// is 64; three devices are enough to tell "first" from "last".
const MaxDevices = 3

// BogusDevice is the device index the alphabet uses for a name that is not
// part of the set (OpenDevice with an unknown name).
const BogusDevice = MaxDevices

// MaxPending bounds the commands a device holds (queued plus outstanding).
// SendCommand beyond it would meet VD_E_QUEUE_FULL, whose value no header
// defines (neither the Windows nor the Linux vdierror.h of the SQL Server
// samples has it), so the model does not exercise it.
const MaxPending = 4

// Operation names used in models.Action.Op.
const (
	OpCreate            = "Create"
	OpCreateEx          = "CreateEx"
	OpGetConfiguration  = "GetConfiguration"
	OpOpenDevice        = "OpenDevice"
	OpGetCommand        = "GetCommand"
	OpCompleteCommand   = "CompleteCommand"
	OpSignalAbort       = "SignalAbort"
	OpClose             = "Close"
	OpServerOpen        = "server.Open"
	OpServerSendCommand = "server.SendCommand"
	OpServerCloseDevice = "server.CloseDevice"
	OpServerSignalAbort = "server.SignalAbort"
)

// Profile says which side of each ambiguity the model takes: bit k is
// set when Ambiguities[k] takes its second side (Sides[1]), clear for its
// first. It is the model's one choice point per ambiguity; a profile name
// or a vendor's statement resolves to it (ParseProfile).
type Profile uint16

// Choice points: the index of each ambiguity in Ambiguities.
const (
	a1GetConfigWait   = iota // VDI-A1
	a2GetCommandPoll         // VDI-A2
	a3ServerAbort            // VDI-A3
	a4OpenNext               // VDI-A4
	a5OpenAllOpen            // VDI-A5
	a6OpenUnknown            // VDI-A6
	a7CloseOpen              // VDI-A7
	a8CompleteUnknown        // VDI-A8
	a9LastClose              // VDI-A9
	a10CreateEx              // VDI-A10
)

// The two profiles: strict reads the seed table (but VDI-A9's status
// text), documented reads the function reference pages.
const (
	Strict     Profile = 1 << a9LastClose
	Documented Profile = 1<<a1GetConfigWait | 1<<a2GetCommandPoll | 1<<a3ServerAbort | 1<<a4OpenNext |
		1<<a5OpenAllOpen | 1<<a6OpenUnknown | 1<<a7CloseOpen | 1<<a8CompleteUnknown | 1<<a9LastClose
)

// ref reports whether p takes the second side of ambiguity k: the
// function reference page's (or status text's, Table B's) reading.
func (p Profile) ref(k int) bool { return p&(1<<k) != 0 }

// ParseProfile maps a profile name ("strict", "documented") or a
// statement's choices string (models.ChoicesPrefix) to a Profile.
func ParseProfile(name string) (Profile, error) {
	sides, err := models.Resolve(name, []string{models.ProfileStrict, models.ProfileDocumented}, Ambiguities)
	if err != nil {
		return 0, fmt.Errorf("vdi: %w", err)
	}
	var p Profile
	for k, s := range sides {
		if s == models.Either {
			return 0, fmt.Errorf("vdi: ambiguity %s cannot take both sides", Ambiguities[k].ID)
		}
		if s == 1 {
			p |= 1 << k
		}
	}
	return p, nil
}

// String names p: "strict", "documented", or the choices string of a
// statement.
func (p Profile) String() string {
	switch p {
	case Strict:
		return models.ProfileStrict
	case Documented:
		return models.ProfileDocumented
	}
	c := map[string]string{}
	for k, a := range Ambiguities {
		c[a.ID] = a.Sides[0].Name
		if p.ref(k) {
			c[a.ID] = a.Sides[1].Name
		}
	}
	return models.FormatChoices(c, Ambiguities)
}

// Cmd is a command the server sent, as the client must see it.
type Cmd struct {
	Code uint32
	Size uint32
}

// Device is the model's view of one device of the set.
type Device struct {
	Opened       bool // the client opened it (OpenDevice returned NOERROR)
	ServerClosed bool // the server called CloseDevice on it
	CloseSeen    bool // GetCommand returned VD_E_CLOSE on it
	queue        [MaxPending]Cmd
	nq           uint8 // commands sent, not yet fetched
	nout         uint8 // commands fetched, not yet completed
	sent         uint32
}

// Model is the state of one virtual device set.
type Model struct {
	Profile    Profile
	State      State
	N          int  // device count from Create/CreateEx
	ServerOpen bool // the server has opened and configured the set
	Dev        [MaxDevices]Device
}

// New returns a model in the Does Not Exist state.
func New(p Profile) *Model { return &Model{Profile: p} }

// Reset returns m to the Does Not Exist state, keeping its profile.
func (m *Model) Reset() { *m = Model{Profile: m.Profile} }

// Outcome is one allowed result of a call.
type Outcome struct {
	HR     HR
	Next   State
	Clause string
	// Also is a second clause the outcome implements, counted with Clause
	// when the call conforms ("" when none): the normal-termination rule
	// behind the last device's VD_E_CLOSE, the FIFO order behind a fetched
	// command.
	Also string
}

// Expect is the set of allowed outcomes of one call in the current state.
// An empty set (N == 0) means the model cannot judge the call here (see
// the ambiguities): the runner does not send it.
type Expect struct {
	Out [3]Outcome
	N   int
	// Cell is the coverage cell: "<State>/<Op>".
	State State
	// WantCmd is the command GetCommand must return with NOERROR.
	WantCmd Cmd
	HasCmd  bool
}

func (e *Expect) add(hr HR, next State, clause string) {
	e.Out[e.N] = Outcome{HR: hr, Next: next, Clause: clause}
	e.N++
}

// Allowed returns the allowed outcomes.
func (e *Expect) Allowed() []Outcome { return e.Out[:e.N] }

// Match returns the index of the outcome whose status is hr, or -1.
func (e *Expect) Match(hr HR) int {
	for i := 0; i < e.N; i++ {
		if e.Out[i].HR == hr {
			return i
		}
	}
	return -1
}

// Clause returns the clause a divergence on this call breaks: the clause of
// the first allowed outcome.
func (e *Expect) Clause() string {
	if e.N == 0 {
		return ""
	}
	return e.Out[0].Clause
}

// Clause ids outside the seed table: the function reference pages and the
// server-side pages (IServerVirtualDeviceSet2 and IServerVirtualDevice
// reference pages, the Normal and Abnormal Termination pages).
const (
	ClauseGetConfigTimeout   = "vdi/ref/GetConfiguration/VD_E_TIMEOUT"
	ClauseGetCommandTimeout  = "vdi/ref/GetCommand/VD_E_TIMEOUT"
	ClauseGetCommandClose    = "vdi/normal-termination/last-device"
	ClauseGetCommandFIFO     = "vdi/ref/GetCommand/command"
	ClauseOpenDeviceNext     = "vdi/ref/OpenDevice/NOERROR-multi-device"
	ClauseOpenDeviceOpen     = "vdi/ref/OpenDevice/VD_E_OPEN"
	ClauseOpenDeviceInvalid  = "vdi/ref/OpenDevice/VD_E_INVALID"
	ClauseOpenDeviceAgain    = "vdi/ref/OpenDevice/VD_E_PROTOCOL-already-open"
	ClauseCloseOpenDevices   = "vdi/ref/Close/VD_E_OPEN"
	ClauseCompleteUnknown    = "vdi/ref/CompleteCommand/VD_E_INVALID"
	ClauseServerOpen         = "vdi/server/Open"
	ClauseServerSendCommand  = "vdi/server/SendCommand"
	ClauseServerCloseDevice  = "vdi/server/CloseDevice"
	ClauseServerSignalAbort  = "vdi/server/SignalAbort"
	ClauseAbnormalTerminate  = "vdi/abnormal-termination/server-abort"
	ClauseGetCommandAfterEnd = "vdi/ref/GetCommand/VD_E_CLOSE-again"
)

func (m *Model) known(d int) bool { return d >= 0 && d < m.N }

// openCount returns how many devices are opened and not yet closed.
func (m *Model) stillOpen() int {
	n := 0
	for i := 0; i < m.N; i++ {
		if m.Dev[i].Opened && !m.Dev[i].CloseSeen {
			n++
		}
	}
	return n
}

func (m *Model) allOpened() bool {
	for i := 0; i < m.N; i++ {
		if !m.Dev[i].Opened {
			return false
		}
	}
	return true
}

// Expect returns the outcomes the profile allows for a in the current state.
// It does not change m.
func (m *Model) Expect(a models.Action) (e Expect) {
	e.State = m.State
	switch a.Op {
	case OpCreate, OpCreateEx:
		m.expectCreate(a, &e)
	case OpGetConfiguration:
		m.expectGetConfiguration(&e)
	case OpOpenDevice:
		m.expectOpenDevice(a.Idx, &e)
	case OpGetCommand:
		m.expectGetCommand(a.Idx, &e)
	case OpCompleteCommand:
		m.expectCompleteCommand(a.Idx, &e)
	case OpSignalAbort:
		m.expectSignalAbort(&e)
	case OpClose:
		m.expectClose(&e)
	case OpServerOpen, OpServerSendCommand, OpServerCloseDevice, OpServerSignalAbort:
		if m.issuable(a.Op, a.Idx) { // a stimulus: only where a real server could call it
			m.expectServer(a, &e)
		}
	}
	return
}

func (m *Model) expectServer(a models.Action, e *Expect) {
	switch a.Op {
	case OpServerOpen:
		m.expectServerOpen(e)
	case OpServerSendCommand:
		m.expectServerSendCommand(a.Idx, e)
	case OpServerCloseDevice:
		m.expectServerCloseDevice(a.Idx, e)
	case OpServerSignalAbort:
		m.expectServerSignalAbort(e)
	}
}

// IsStimulus reports whether op drives the environment (a server-side
// call) rather than the client under test.
func IsStimulus(op string) bool {
	switch op {
	case OpServerOpen, OpServerSendCommand, OpServerCloseDevice, OpServerSignalAbort:
		return true
	}
	return false
}

// cell is the seed table's clause for function f in the current state.
func (m *Model) cell(f Fn) string { return cellIDs[m.State][f] }

func (m *Model) expectCreate(a models.Action, e *Expect) {
	if a.Op == OpCreateEx && m.Profile.ref(a10CreateEx) {
		return // VDI-A10, Table B: the table does not constrain CreateEx
	}
	if m.State != DNE {
		e.add(VD_E_PROTOCOL, m.State, m.cell(FnCreate))
		return
	}
	if a.Arg >= 1 && a.Arg <= MaxDevices { // the model never creates other sets
		e.add(NOERROR, Configurable, m.cell(FnCreate))
	}
}

func (m *Model) expectGetConfiguration(e *Expect) {
	s := m.State
	switch s {
	case DNE:
		e.add(VD_E_PROTOCOL, s, m.cell(FnGetConfiguration))
	case Configurable:
		if m.ServerOpen {
			e.add(NOERROR, Initializing, m.cell(FnGetConfiguration))
		} else if m.Profile.ref(a1GetConfigWait) {
			// VDI-A1: the call waits for the server; a poll times out.
			e.add(VD_E_TIMEOUT, s, ClauseGetConfigTimeout)
		}
	case Initializing, Active, NormallyTerminated:
		e.add(NOERROR, s, m.cell(FnGetConfiguration))
	case Abort:
		e.add(VD_E_ABORT, s, m.cell(FnGetConfiguration))
	}
}

func (m *Model) expectOpenDevice(d int, e *Expect) {
	s := m.State
	switch s {
	case DNE, Configurable, NormallyTerminated:
		e.add(VD_E_PROTOCOL, s, m.cell(FnOpenDevice))
	case Abort:
		e.add(VD_E_ABORT, s, m.cell(FnOpenDevice))
	case Initializing:
		if m.known(d) {
			e.add(NOERROR, Active, m.cell(FnOpenDevice))
		} else if m.Profile.ref(a6OpenUnknown) {
			e.add(VD_E_INVALID, s, ClauseOpenDeviceInvalid)
		}
	case Active:
		m.expectOpenDeviceActive(d, e)
	}
}

// expectOpenDeviceActive is OpenDevice in Active, where three ambiguities
// meet: another device (VDI-A4), a device already open when all are
// (VDI-A5), and a name outside the set (VDI-A6).
func (m *Model) expectOpenDeviceActive(d int, e *Expect) {
	s := m.State
	allOpen := m.allOpened() && m.Profile.ref(a5OpenAllOpen)
	switch {
	case !m.known(d) && m.Profile.ref(a6OpenUnknown):
		e.add(VD_E_INVALID, s, ClauseOpenDeviceInvalid)
	case !m.known(d):
		e.add(VD_E_PROTOCOL, s, m.cell(FnOpenDevice))
		return
	case m.Dev[d].Opened && m.Profile.ref(a5OpenAllOpen):
		e.add(VD_E_PROTOCOL, s, ClauseOpenDeviceAgain)
	case m.Dev[d].Opened:
		e.add(VD_E_PROTOCOL, s, m.cell(FnOpenDevice))
		return
	case m.Profile.ref(a4OpenNext):
		e.add(NOERROR, s, ClauseOpenDeviceNext)
		return
	default: // VDI-A4: the table, literally
		e.add(VD_E_PROTOCOL, s, m.cell(FnOpenDevice))
		return
	}
	if allOpen {
		e.add(VD_E_OPEN, s, ClauseOpenDeviceOpen)
	}
}

func (m *Model) expectGetCommand(d int, e *Expect) {
	s := m.State
	switch s {
	case DNE, Configurable, Initializing, NormallyTerminated:
		e.add(VD_E_PROTOCOL, s, m.cell(FnGetCommand))
		return
	case Abort:
		e.add(VD_E_ABORT, s, m.cell(FnGetCommand))
		return
	}
	if !m.known(d) || !m.Dev[d].Opened {
		return // Active, but no device handle to call GetCommand on
	}
	dv := &m.Dev[d]
	switch {
	case dv.nq > 0:
		e.add(NOERROR, s, m.cell(FnGetCommand))
		e.Out[e.N-1].Also = ClauseGetCommandFIFO
		e.WantCmd, e.HasCmd = dv.queue[0], true
	case dv.ServerClosed && !dv.CloseSeen:
		// VDI-A9: the status text ends the set at the last open
		// device's VD_E_CLOSE, the table at every VD_E_CLOSE.
		last := m.stillOpen() == 1
		next := Active
		if last || !m.Profile.ref(a9LastClose) {
			next = NormallyTerminated
		}
		e.add(VD_E_CLOSE, next, m.cell(FnGetCommand))
		if last && m.Profile.ref(a9LastClose) {
			e.Out[e.N-1].Also = ClauseGetCommandClose
		}
	case dv.CloseSeen:
		e.add(VD_E_CLOSE, s, ClauseGetCommandAfterEnd)
	case m.Profile.ref(a2GetCommandPoll): // VDI-A2: nothing pending, a poll times out
		e.add(VD_E_TIMEOUT, s, ClauseGetCommandTimeout)
	}
}

func (m *Model) expectCompleteCommand(d int, e *Expect) {
	s := m.State
	switch s {
	case DNE, Configurable, Initializing, NormallyTerminated:
		e.add(VD_E_PROTOCOL, s, m.cell(FnCompleteCommand))
	case Abort:
		e.add(VD_E_ABORT, s, m.cell(FnCompleteCommand))
	case Active:
		if !m.known(d) || !m.Dev[d].Opened {
			return
		}
		if m.Dev[d].nout > 0 || !m.Profile.ref(a8CompleteUnknown) { // VDI-A8 for an unknown command
			e.add(NOERROR, s, m.cell(FnCompleteCommand))
		} else {
			e.add(VD_E_INVALID, s, ClauseCompleteUnknown)
		}
	}
}

func (m *Model) expectSignalAbort(e *Expect) {
	switch m.State {
	case DNE:
		e.add(VD_E_PROTOCOL, DNE, m.cell(FnSignalAbort))
	case Abort:
		e.add(NOERROR, Abort, m.cell(FnSignalAbort))
	default:
		e.add(NOERROR, Abort, m.cell(FnSignalAbort))
	}
}

func (m *Model) expectClose(e *Expect) {
	switch {
	case m.State == DNE:
		e.add(VD_E_PROTOCOL, DNE, m.cell(FnClose))
	case m.State == Active && m.Profile.ref(a7CloseOpen) && m.stillOpen() > 0: // VDI-A7
		e.add(VD_E_OPEN, DNE, ClauseCloseOpenDevices)
	default:
		e.add(NOERROR, DNE, m.cell(FnClose))
	}
}

func (m *Model) expectServerOpen(e *Expect) {
	s := m.State
	switch {
	case s == DNE:
		e.add(VD_E_INVALID, s, ClauseServerOpen)
	case s == Abort:
		e.add(VD_E_ABORT, s, ClauseServerOpen)
	case s == Configurable && !m.ServerOpen:
		e.add(NOERROR, s, ClauseServerOpen)
	default:
		e.add(VD_E_PROTOCOL, s, ClauseServerOpen)
	}
}

func (m *Model) expectServerSendCommand(d int, e *Expect) {
	s := m.State
	if !m.known(d) {
		if s == DNE || s == Configurable || s == Initializing || s == NormallyTerminated {
			e.add(VD_E_PROTOCOL, s, ClauseServerSendCommand)
		} else if s == Abort {
			e.add(VD_E_ABORT, s, ClauseServerSendCommand)
		}
		return
	}
	dv := &m.Dev[d]
	switch {
	case s == Abort:
		e.add(VD_E_ABORT, s, ClauseServerSendCommand)
	case s == Active && dv.Opened && !dv.ServerClosed:
		if int(dv.nq)+int(dv.nout) < MaxPending {
			e.add(NOERROR, s, ClauseServerSendCommand)
		}
	default:
		e.add(VD_E_PROTOCOL, s, ClauseServerSendCommand)
	}
}

func (m *Model) expectServerCloseDevice(d int, e *Expect) {
	s := m.State
	if !m.known(d) {
		if s == DNE || s == Configurable || s == Initializing {
			e.add(VD_E_PROTOCOL, s, ClauseServerCloseDevice)
		}
		return
	}
	dv := &m.Dev[d]
	switch {
	case s == Abort:
		e.add(VD_E_ABORT, s, ClauseServerCloseDevice)
		e.add(NOERROR, s, ClauseServerCloseDevice) // "no action is taken"
	case dv.ServerClosed && (s == Active || s == NormallyTerminated):
		e.add(VD_E_CLOSE, s, ClauseServerCloseDevice)
	case s == Active && dv.Opened:
		e.add(NOERROR, s, ClauseServerCloseDevice)
	default:
		e.add(VD_E_PROTOCOL, s, ClauseServerCloseDevice)
	}
}

func (m *Model) expectServerSignalAbort(e *Expect) {
	if !m.Profile.ref(a3ServerAbort) {
		return // VDI-A3: the client table has no server-initiated abort
	}
	switch m.State {
	case DNE:
		e.add(VD_E_PROTOCOL, DNE, ClauseServerSignalAbort)
	case Abort:
		e.add(NOERROR, Abort, ClauseServerSignalAbort)
	default:
		e.add(NOERROR, Abort, ClauseAbnormalTerminate)
	}
}

// Apply advances m along the outcome of a that the observed status hr
// selects. The caller must have checked hr with Expect(a).Match.
func (m *Model) Apply(a models.Action, hr HR) {
	e := m.Expect(a)
	i := e.Match(hr)
	if i < 0 {
		return
	}
	m.apply(a, e.Out[i])
}

func (m *Model) apply(a models.Action, o Outcome) {
	prev := m.State
	m.State = o.Next
	if o.HR != NOERROR && o.HR != VD_E_CLOSE {
		if o.Next == DNE {
			m.clearSet()
		}
		return
	}
	switch a.Op {
	case OpCreate, OpCreateEx:
		if prev == DNE {
			m.clearSet()
			m.N = a.Arg
		}
	case OpOpenDevice:
		if m.known(a.Idx) {
			m.Dev[a.Idx].Opened = true
		}
	case OpGetCommand:
		dv := &m.Dev[a.Idx]
		if o.HR == VD_E_CLOSE {
			dv.CloseSeen = true
			return
		}
		copy(dv.queue[:], dv.queue[1:dv.nq])
		dv.nq--
		dv.nout++
	case OpCompleteCommand:
		if m.known(a.Idx) && m.Dev[a.Idx].nout > 0 {
			m.Dev[a.Idx].nout--
		}
	case OpClose:
		m.clearSet()
	case OpServerOpen:
		if prev == Configurable {
			m.ServerOpen = true
		}
	case OpServerSendCommand:
		if prev == Active {
			dv := &m.Dev[a.Idx]
			dv.sent++
			dv.queue[dv.nq] = Cmd{Code: VDC_Write, Size: 4096 * (1 + dv.sent%8)}
			dv.nq++
		}
	case OpServerCloseDevice:
		if prev == Active && m.known(a.Idx) {
			m.Dev[a.Idx].ServerClosed = true
		}
	}
	if m.State == DNE {
		m.clearSet()
	}
}

func (m *Model) clearSet() {
	m.N = 0
	m.ServerOpen = false
	m.Dev = [MaxDevices]Device{}
}

// NextCommand returns the command the next server.SendCommand on device d
// carries; the runner sends exactly this command.
func (m *Model) NextCommand(d int) Cmd {
	if !m.known(d) {
		return Cmd{Code: VDC_Write, Size: 4096}
	}
	return Cmd{Code: VDC_Write, Size: 4096 * (1 + (m.Dev[d].sent+1)%8)}
}

// ApplyOutcome advances m along outcome i of e, which Expect(a) returned
// in the current state.
func (m *Model) ApplyOutcome(a models.Action, e *Expect, i int) { m.apply(a, e.Out[i]) }

// After returns a copy of m advanced along outcome i of e (m unchanged):
// the successor states that exploring the model walks.
func (m Model) After(a models.Action, e *Expect, i int) Model {
	m.apply(a, e.Out[i])
	return m
}

// String renders an outcome as "NOERROR -> Active".
func (o Outcome) String() string { return o.HR.String() + " -> " + o.Next.String() }
