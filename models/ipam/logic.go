package ipam

import (
	"strings"

	"github.com/specgate/specgate/models"
)

// Await says what the runner waits for after sending a Start.
type Await uint8

// Wait modes.
const (
	AwaitNothing  Await = iota
	AwaitStart          // the start notification (or a Complete)
	AwaitComplete       // the Complete callback
)

// Expect describes how the runner performs an action.
type Expect struct {
	Judgeable bool
	Legal     bool
	Cell      string
	Await     Await
	// Release lists the held slots whose Complete the runner waits for.
	Release [NumSlots]bool
}

// Obs is what the runner observed during one step.
type Obs struct {
	Fault   bool // a SOAP fault answered the request
	Value   bool // the boolean result of a query
	Refused bool // the control endpoint refused the request
	// CB holds the callbacks each session slot received during the step,
	// in arrival order.
	CB [NumSlots][]Callback
	// Silent marks slots whose awaited callback did not arrive in time.
	Silent [NumSlots]bool
}

// Div is a divergence found by the model.
type Div struct {
	Clause   string
	Expected []string
	Observed string
	// Callback is set when the divergence is a callback the server sent:
	// it arrives during whichever step happens to run, so the step is not
	// part of what went wrong.
	Callback bool
	// Absorbed is set when the model skipped the offending callback and
	// judged the rest of the step: a callback on a session that had
	// already completed, or on no session, changes nothing the model
	// tracks, so the sequence can go on past it.
	Absorbed bool
}

type branch struct {
	reject  bool
	consume bool  // the session reaches the step a pending ctl.FailNext applies to
	fail    uint8 // 0 success, 1 failure, 2 either (accepted sessions)
	held    bool
	clause  string
	next    World
	writes  World // the ADM bits the clause's steps write
}

// record notes that clause wrote the ADM bits in bits.
func (m *Model) record(bits World, clause string) {
	for i := 0; i < numBits; i++ {
		if bits.Has(World(1) << i) {
			m.wrote[i] = clause
		}
	}
}

// blame names the clause a read of the ADM breaks: when flipping one bit
// that a step of this session wrote makes the observation allowed (ok) in
// a possible world, the clause of that step (it did not write what the
// specification says), else fallback (the read's own clause).
func (m *Model) blame(fallback string, ok func(World) bool) string {
	found := ""
	m.W.Each(func(w World) {
		for i := 0; i < numBits && found == ""; i++ {
			if m.wrote[i] != "" && ok(w^World(1)<<i) {
				found = m.wrote[i]
			}
		}
	})
	if found != "" {
		return found
	}
	return fallback
}

func (m *Model) startBranches(w World, fam Family) []branch {
	if fam == Schema {
		switch {
		case !w.Has(Configured):
			return []branch{{reject: true, clause: ClGate3, next: w}}
		case w.Has(ConvInProgress):
			return []branch{{reject: true, clause: ClSchemaStep1, next: w}}
		case !w.Has(Required):
			return []branch{{reject: true, clause: ClSchemaStep3, next: w.with(ConvInProgress, m.Profile.side(aE5) == 0), writes: ConvInProgress}} // IPAM-E5
		}
		if m.Hold {
			return []branch{{held: true, consume: true, clause: ClSchemaStep4, next: w | ConvInProgress, writes: ConvInProgress}}
		}
		ok := branch{consume: true, clause: ClSchemaStep5, next: w &^ (Required | ConvInProgress), writes: Required | ConvInProgress}
		bad := branch{consume: true, fail: 1, clause: ClSchemaStep6, next: w &^ ConvInProgress, writes: ConvInProgress}
		if m.Control {
			if m.FailNext[Schema] {
				return []branch{bad}
			}
			return []branch{ok}
		}
		return []branch{ok, bad}
	}
	switch {
	case w.Has(Configured) && w.Has(Required):
		return []branch{{reject: true, clause: ClGate4, next: w}}
	case w.Has(ProvInProgress):
		return []branch{{reject: true, clause: ClProvStep1, next: w}}
	}
	// Steps 3-6 (set-up, where a pending failure applies) run only when
	// the server is not configured yet.
	setup := !w.Has(Configured)
	if m.Hold {
		return []branch{{held: true, consume: setup, clause: ClProvStart, next: w.with(ProvInProgress, m.Profile.side(aE4) == 1), writes: ProvInProgress}} // IPAM-E4
	}
	ok := branch{consume: setup, clause: ClProvSuccess, next: (w | Configured) &^ ProvInProgress, writes: Configured | ProvInProgress}
	bad := branch{consume: setup, fail: 1, clause: ClProvFault, next: w &^ ProvInProgress, writes: ProvInProgress}
	switch {
	case w.Has(Configured):
		return []branch{ok} // nothing to set up
	case m.Control && m.FailNext[Provision]:
		return []branch{bad}
	case m.Control:
		return []branch{ok}
	}
	return []branch{ok, bad}
}

// initFault reports whether Initialize of fam faults in world w (3.1.4.2).
func initFault(w World, fam Family) (bool, string) {
	if fam == Schema && !w.Has(Configured) {
		return true, ClGate3
	}
	if fam == Provision && w.Has(Configured) && w.Has(Required) {
		return true, ClGate4
	}
	return false, ""
}

// queryResult is the expected answer of a query in world w.
func queryResult(w World, op string) (fault bool, value bool, clause string) {
	switch op {
	case OpIsConfigured:
		return false, w.Has(Configured), ClQueryConfig
	case OpIsRequired:
		if !w.Has(Configured) {
			return true, false, ClGate3
		}
		return false, w.Has(Required), ClQueryRequired
	default:
		if !w.Has(Configured) {
			return true, false, ClGate3
		}
		return false, w.Has(ConvInProgress), ClQueryProgress
	}
}

// Expect says whether a can be judged now and how to run it.
func (m *Model) Expect(a models.Action) (e Expect) {
	e.Cell = m.W.Label() + "/" + a.Op
	switch a.Op {
	case OpInitSchema, OpInitProv:
		if a.Idx < 0 || a.Idx >= NumSlots {
			return
		}
		p := m.S[a.Idx].Phase
		e.Judgeable = p == None || p == Completed // a second Initialize is unspecified
		m.W.Each(func(w World) {
			if f, _ := initFault(w, family(a.Op)); !f {
				e.Legal = true
			}
		})
	case OpStartSchema, OpStartProv:
		if a.Idx < 0 || a.Idx >= NumSlots {
			return
		}
		s := m.S[a.Idx]
		// Start before Initialize, on another family's session, or twice is unspecified.
		e.Judgeable = s.Phase == Initialized && s.Fam == family(a.Op)
		e.Await = AwaitComplete
		m.W.Each(func(w World) {
			for _, b := range m.startBranches(w, family(a.Op)) {
				if !b.reject {
					e.Legal = true
				}
				if b.held {
					e.Await = AwaitStart
				}
			}
		})
	case OpIsRequired, OpIsInProgress, OpIsConfigured:
		e.Judgeable = true
		m.W.Each(func(w World) {
			if f, _, _ := queryResult(w, a.Op); !f {
				e.Legal = true
			}
		})
	case OpCtlRequired, OpCtlConfigured:
		e.Judgeable, e.Legal = m.Control && (a.Arg == 0 || a.Arg == 1), true
	case OpCtlFailNext:
		e.Judgeable, e.Legal = m.Control && (a.Arg == 0 || a.Arg == 1) && !m.FailNext[a.Arg], true
	case OpCtlHold:
		e.Judgeable, e.Legal = m.Control && !m.Hold, true
	case OpCtlRelease:
		e.Judgeable, e.Legal = m.Control && m.Hold, true
		for k := range m.S {
			e.Release[k] = m.S[k].Phase == Held
		}
	}
	return
}

// Judge reports whether a can be judged now and is expected to succeed.
func (m *Model) Judge(a models.Action) (judgeable, legal bool) {
	e := m.Expect(a)
	return e.Judgeable, e.Judgeable && e.Legal
}

func (m *Model) cbClauses(f Family) (initC, progC, doneC, actionC string) {
	if f == Schema {
		return ClSchemaCBInit, ClSchemaCBProg, ClSchemaCBDone, ClSchemaAction
	}
	return ClProvCBInit, ClProvCBProg, ClProvCBDone, ClProvAction
}

// startClause is the clause that makes a Start invoke the start
// notification of family f.
func startClause(f Family) string {
	if f == Schema {
		return ClSchemaStart
	}
	return ClProvStart
}

// deliveryClause is the clause that delivers a rejection of family f in
// Notify*Complete.exception.
func deliveryClause(f Family) string {
	if f == Schema {
		return ClSchemaFault
	}
	return ClProvDelivery
}

func notifyName(f Family, k CBKind) string {
	return Callback{Family: f, Kind: k}.String()
}

// feed runs one callback through the session's callback state machine.
func (m *Model) feed(k int, cb Callback) *Div {
	s := &m.S[k]
	initC, progC, doneC, actionC := m.cbClauses(s.Fam)
	if s.Phase == None {
		return &Div{Clause: ClUnknownSession, Expected: []string{"no callback (no session)"}, Observed: cb.String()}
	}
	if d := m.checkPrefix(cb, actionC); d != nil {
		return d
	}
	kind := cb.Kind
	if d := m.checkFamily(s.Fam, cb, actionC); d != nil {
		return d
	}
	m.Exercised = appendUnique(m.Exercised, actionC)
	switch s.CB {
	case CBInitialized:
		m.Exercised = append(m.Exercised, initC)
		switch {
		case kind == CBStart:
			s.CB, s.SawStart = CBInProgress, true
			// 3.15.4.7 / 3.11.4.7: Start MUST invoke the start notification.
			m.Exercised = appendUnique(m.Exercised, startClause(s.Fam))
		case kind == CBComplete && m.Profile.side(aE13) == 1: // IPAM-E13
			s.CB = CBCompleted
		default:
			exp := []string{notifyName(s.Fam, CBStart)}
			if m.Profile.side(aE13) == 1 {
				exp = append(exp, notifyName(s.Fam, CBComplete))
			}
			// A Complete here ends a session that never got the start
			// notification its Start MUST invoke (3.15.4.7, 3.11.4.7);
			// anything else is out of the callback machine's order.
			cl := initC
			if kind == CBComplete {
				cl = startClause(s.Fam)
			}
			return &Div{Clause: cl, Expected: exp, Observed: cb.String()}
		}
	case CBInProgress:
		m.Exercised = append(m.Exercised, progC)
		switch kind {
		case CBCheckpoint:
		case CBComplete:
			s.CB = CBCompleted
		default:
			return &Div{Clause: progC, Expected: []string{notifyName(s.Fam, CBCheckpoint), notifyName(s.Fam, CBComplete)}, Observed: cb.String()}
		}
	case CBCompleted:
		return &Div{Clause: doneC, Expected: []string{"no further callback"}, Observed: cb.String()}
	}
	if kind == CBComplete {
		s.lastExc = cb.Exception
	}
	return nil
}

// summary of one slot's step.
type summary struct {
	httpFault, any, sawStart, completed, exc, silent bool
	checkpoint                                       bool // a Checkpoint came during the step
	seen                                             []string
}

func (b branch) matches(m *Model, sm summary) bool {
	if b.reject {
		amb := b.delivery()
		if sm.httpFault {
			return m.Profile.allows(amb, 0) && !sm.any // IPAM-E3, IPAM-G1: a SOAP fault
		}
		// IPAM-E3, IPAM-G1: Complete.exception; IPAM-E6: Start first.
		return m.Profile.allows(amb, 1) && sm.completed && sm.exc && (sm.sawStart || m.Profile.side(aE6) == 1)
	}
	if sm.httpFault {
		return false
	}
	if b.held {
		return !sm.completed && sm.sawStart
	}
	if !sm.completed || !(sm.sawStart || m.Profile.side(aE13) == 1) { // IPAM-E13
		return false
	}
	return b.fail == 2 || (b.fail == 1) == sm.exc
}

// delivery is the ambiguity that decides how a rejection delivers its
// fault: IPAM-G1 for the 3.1.4.2 gate, IPAM-E3 for the Start's own steps.
func (b branch) delivery() int {
	if b.clause == ClGate3 || b.clause == ClGate4 {
		return aG1
	}
	return aE3
}

func (b branch) describe(m *Model, fam Family) string {
	start := notifyName(fam, CBStart)
	comp := "NotifyAsyncProvisionComplete"
	if fam == Schema {
		comp = "NotifyAsyncSchemaConversionComplete"
	}
	opt := ""
	if m.Profile.side(aE13) == 1 {
		opt = "?"
	}
	switch {
	case b.reject:
		return m.describeRejection(b, start, comp)
	case b.held:
		return start + ", Checkpoint* and no Complete while held [" + b.clause + "]"
	case b.fail == 1:
		return "(" + start + ", Checkpoint*)" + opt + " " + comp + "(exception) [" + b.clause + "]"
	}
	return "(" + start + ", Checkpoint*)" + opt + " " + comp + "(exception=nil) [" + b.clause + "]"
}

// Observe judges what the runner observed for a, and advances the model.
// It returns nil when the observation is allowed.
func (m *Model) Observe(a models.Action, o *Obs) *Div {
	m.Exercised = m.Exercised[:0]
	// Callbacks first: every slot's callbacks through its state machine.
	sums := [NumSlots]summary{}
	var extra *Div // the first absorbed callback divergence
	for k := 0; k < NumSlots; k++ {
		if m.S[k].Phase != None && m.S[k].CB == CBCompleted && len(o.CB[k]) == 0 {
			// 3.17.1.1 / 3.13.1.1 Completed: nothing followed Complete.
			_, _, doneC, _ := m.cbClauses(m.S[k].Fam)
			m.Exercised = appendUnique(m.Exercised, doneC)
		}
		for _, cb := range o.CB[k] {
			phase, state := m.S[k].Phase, m.S[k].CB
			if d := m.feed(k, cb); d != nil {
				d.Callback = true
				if phase == None || state == CBCompleted {
					// An extra callback: skip it and judge the rest.
					if extra == nil {
						d.Absorbed = true
						extra = d
					}
					continue
				}
				return d
			}
			// An absorbed extra callback is not listed: whether it arrived
			// before the step was judged is a matter of timing.
			sums[k].any = true
			sums[k].checkpoint = sums[k].checkpoint || cb.Kind == CBCheckpoint
			sums[k].seen = append(sums[k].seen, cb.String())
		}
		s := m.S[k]
		sums[k].sawStart, sums[k].completed, sums[k].exc, sums[k].silent = s.SawStart, s.CB == CBCompleted, s.lastExc, o.Silent[k]
		// A held session must not complete before release.
		if s.Phase == Held && s.CB == CBCompleted && a.Op != OpCtlRelease {
			return &Div{Clause: ClHold, Expected: []string{"no Complete while held"}, Observed: strings.Join(sums[k].seen, ", ")}
		}
		if s.Phase == Held && a.Op != OpCtlRelease {
			m.Exercised = appendUnique(m.Exercised, ClHold)
		}
	}
	if d := m.observeStep(a, o, &sums); d != nil {
		return d
	}
	return extra
}

// observeStep judges the step's own outcome once its callbacks are fed.
func (m *Model) observeStep(a models.Action, o *Obs, sums *[NumSlots]summary) *Div {
	switch a.Op {
	case OpInitSchema, OpInitProv:
		return m.observeInit(a, o)
	case OpStartSchema, OpStartProv:
		sums[a.Idx].httpFault = o.Fault
		return m.observeStart(a, sums[a.Idx])
	case OpIsRequired, OpIsInProgress, OpIsConfigured:
		return m.observeQuery(a, o)
	case OpCtlRelease:
		m.Exercised = append(m.Exercised, ClControlADM)
		return m.observeRelease(*sums)
	}
	m.applyControl(a)
	return nil
}

func (m *Model) observeInit(a models.Action, o *Obs) *Div {
	fam := family(a.Op)
	var keep Worlds
	var exp []string
	clause := ClInitSchema
	if fam == Provision {
		clause = ClInitProv
	}
	first := ""
	m.W.Each(func(w World) {
		f, cl := initFault(w, fam)
		if f == o.Fault {
			keep |= one(w)
		}
		if !f {
			cl = clause
		}
		if first == "" {
			first = cl
		}
		exp = appendUnique(exp, initExpected(w, fam))
	})
	if keep == 0 {
		obs := "response"
		if o.Fault {
			obs = "SOAP fault"
		}
		ok := func(w World) bool { f, _ := initFault(w, fam); return f == o.Fault }
		return &Div{Clause: m.blame(first, ok), Expected: exp, Observed: obs}
	}
	m.W = keep
	m.Exercised = append(m.Exercised, first)
	s := &m.S[a.Idx]
	if o.Fault {
		*s = Session{Fam: fam, Phase: None}
		return nil
	}
	*s = Session{Fam: fam, Phase: Initialized}
	return nil
}

func (m *Model) observeQuery(a models.Action, o *Obs) *Div {
	var keep Worlds
	var exp []string
	first := ""
	m.W.Each(func(w World) {
		f, v, cl := queryResult(w, a.Op)
		if f == o.Fault && (f || v == o.Value) {
			keep |= one(w)
		}
		if first == "" {
			first = cl
		}
		exp = appendUnique(exp, queryExpected(w, a.Op))
	})
	if keep == 0 {
		obs := boolStr(o.Value)
		if o.Fault {
			obs = "SOAP fault"
		}
		ok := func(w World) bool { f, v, _ := queryResult(w, a.Op); return f == o.Fault && (f || v == o.Value) }
		return &Div{Clause: m.blame(first, ok), Expected: exp, Observed: obs}
	}
	m.W = keep
	m.Exercised = append(m.Exercised, first)
	return nil
}

func (m *Model) observeStart(a models.Action, sm summary) *Div {
	fam := family(a.Op)
	s := &m.S[a.Idx]
	var next Worlds
	var exp []string
	first := ""
	held, heldFail, accepted, acceptable := false, false, false, false
	var writes World
	writer := ""
	m.W.Each(func(w World) {
		for _, b := range m.startBranches(w, fam) {
			if first == "" {
				first = b.clause
			}
			acceptable = acceptable || !b.reject
			exp = appendUnique(exp, b.describe(m, fam))
			if b.matches(m, sm) {
				next |= one(b.next)
				accepted = accepted || b.consume
				m.Exercised = appendUnique(m.Exercised, b.clause)
				if b.writes != 0 {
					writes, writer = writes|b.writes, b.clause
				}
				if b.reject && sm.completed {
					m.Exercised = appendUnique(m.Exercised, deliveryClause(fam))
				}
				if sm.completed {
					// The awaited Complete came before the deadline.
					m.Exercised = appendUnique(m.Exercised, ClQuiescence)
				}
				if b.held {
					// A provisioning of a configured server has nothing to fail.
					held, heldFail = true, m.FailNext[fam] && !(fam == Provision && w.Has(Configured))
					s.heldConfigured = w.Has(Configured)
				}
			}
		}
	})
	if next == 0 {
		obs := strings.Join(sm.seen, ", ")
		switch {
		case sm.httpFault:
			obs = "SOAP fault answering the one-way Start"
			if sm.any {
				obs += ", then " + strings.Join(sm.seen, ", ")
			}
		case obs == "":
			obs = "no callback"
		}
		// A rejection where the model expected acceptance is filed under
		// the step of this session that wrote the flag the server acted
		// on (a conversion left "in progress" by a failed step 6). An
		// acceptance where a rejection was expected stays the rejecting
		// step's: the server skipped its check.
		rejectedAs := func(w World) bool {
			for _, b := range m.startBranches(w, fam) {
				if b.reject && b.matches(m, sm) {
					return true
				}
			}
			return false
		}
		clause := m.blame(first, rejectedAs)
		// Silence breaks the quiescence rule, unless the server went on
		// to checkpoints (step 4) where only a rejection was allowed: then
		// it accepted what the rejecting step says to refuse.
		if sm.silent && !sm.completed {
			obs += " and silence past the deadline"
			if acceptable || !sm.checkpoint {
				clause = ClQuiescence
			}
		}
		if sm.httpFault && !m.faultAllowed(fam) {
			if fam == Schema {
				clause = ClSchemaFault
			} else {
				clause = ClProvDelivery
			}
		}
		return &Div{Clause: clause, Expected: exp, Observed: obs}
	}
	m.W = next
	m.record(writes, writer)
	if held {
		s.Phase, s.Fail = Held, heldFail
		if accepted {
			m.FailNext[fam] = false
		}
		return nil
	}
	if accepted {
		m.FailNext[fam] = false // consumed by the session that reached step 4
	}
	s.Phase = Completed
	return nil
}

func (m *Model) observeRelease(sums [NumSlots]summary) *Div {
	m.Hold = false
	for k := 0; k < NumSlots; k++ {
		s := &m.S[k]
		if s.Phase != Held {
			continue
		}
		sm := sums[k]
		comp := "NotifyAsyncProvisionComplete"
		clOK, clBad := ClProvSuccess, ClProvFault
		if s.Fam == Schema {
			comp, clOK, clBad = "NotifyAsyncSchemaConversionComplete", ClSchemaStep5, ClSchemaStep6
		}
		want, cl := comp+"(exception=nil)", clOK
		if s.Fail {
			want, cl = comp+"(exception)", clBad
		}
		if !sm.completed {
			obs := strings.Join(sm.seen, ", ")
			if obs == "" {
				obs = "no callback"
			}
			return &Div{Clause: ClQuiescence, Expected: []string{want + " [" + cl + "]"}, Observed: obs + " and silence past the deadline"}
		}
		if sm.exc != s.Fail {
			return &Div{Clause: cl, Expected: []string{want}, Observed: strings.Join(sm.seen, ", ")}
		}
		var next Worlds
		m.Exercised = append(m.Exercised, cl, ClQuiescence)
		m.W.Each(func(w World) { next |= one(complete(w, s.Fam, s.Fail)) })
		m.W = next
		m.record(completeWrites(s.Fam, s.Fail), cl)
		s.Phase = Completed
	}
	return nil
}

// completeWrites are the ADM bits a completion of fam writes
// (3.15.4.7 steps 5-6, 3.11.4.7 steps 7-9).
func completeWrites(fam Family, fail bool) World {
	switch {
	case fam == Schema && fail:
		return ConvInProgress
	case fam == Schema:
		return Required | ConvInProgress
	case fail:
		return ProvInProgress
	}
	return Configured | ProvInProgress
}

func complete(w World, fam Family, fail bool) World {
	switch {
	case fam == Schema && fail:
		return w &^ ConvInProgress
	case fam == Schema:
		return w &^ (Required | ConvInProgress)
	case fail:
		return w &^ ProvInProgress
	}
	return (w | Configured) &^ ProvInProgress
}

func (m *Model) applyControl(a models.Action) {
	if strings.HasPrefix(a.Op, "ctl.") {
		m.Exercised = append(m.Exercised, ClControlADM)
	}
	var next Worlds
	switch a.Op {
	case OpCtlRequired:
		m.W.Each(func(w World) { next |= one(w.with(Required, a.Arg == 1)) })
		m.W = next
		m.record(Required, "") // as the harness set it
	case OpCtlConfigured:
		m.W.Each(func(w World) { next |= one(w.with(Configured, a.Arg == 1)) })
		m.W = next
		m.record(Configured, "")
	case OpCtlFailNext:
		m.FailNext[a.Arg] = true
	case OpCtlHold:
		m.Hold = true
	}
}

// Assume advances the model as if the server behaved like the first
// allowed outcome; generators use it.
func (m *Model) Assume(a models.Action) {
	w, _ := m.firstWorld()
	o := &Obs{}
	switch a.Op {
	case OpInitSchema, OpInitProv:
		o.Fault, _ = initFault(w, family(a.Op))
	case OpIsRequired, OpIsInProgress, OpIsConfigured:
		o.Fault, o.Value, _ = queryResult(w, a.Op)
	case OpStartSchema, OpStartProv:
		fam := family(a.Op)
		b := m.startBranches(w, fam)[0]
		cbs := []Callback{{Family: fam, Kind: CBStart, CallbackPrefix: true}}
		if !b.held {
			cbs = append(cbs, Callback{Family: fam, Kind: CBComplete, CallbackPrefix: true, Exception: b.reject || b.fail == 1})
		}
		o.CB[a.Idx] = cbs
	case OpCtlRelease:
		for k := range m.S {
			if m.S[k].Phase == Held {
				o.CB[k] = []Callback{{Family: m.S[k].Fam, Kind: CBComplete, CallbackPrefix: true, Exception: m.S[k].Fail}}
			}
		}
	}
	_ = m.Observe(a, o)
}

func (m *Model) firstWorld() (World, bool) {
	for w := World(0); w < numWorlds; w++ {
		if m.W.Has(w) {
			return w, true
		}
	}
	return 0, false
}

// Reset returns the model to its initial state.
func (m *Model) Reset() { *m = *New(m.Profile, m.Control) }

func boolStr(v bool) string {
	if v {
		return "true"
	}
	return "false"
}

func appendUnique(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}
