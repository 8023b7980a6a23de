package vdi

import "github.com/specgate/specgate/models"

// Alphabet is the fixed set of actions sequences are drawn from. It holds
// legal and illegal calls alike: protocol errors are part of conformance.
// Its order is part of the generator, not of failure files, which store the
// actions themselves.
var Alphabet = func() []models.Action {
	a := []models.Action{{Op: OpCreate, Idx: -1, Arg: 1}}
	for n := 1; n <= MaxDevices; n++ {
		a = append(a, models.Action{Op: OpCreateEx, Idx: -1, Arg: n})
	}
	a = append(a, models.Action{Op: OpGetConfiguration, Idx: -1})
	for d := 0; d <= BogusDevice; d++ {
		a = append(a, models.Action{Op: OpOpenDevice, Idx: d})
	}
	for d := 0; d < MaxDevices; d++ {
		a = append(a, models.Action{Op: OpGetCommand, Idx: d}, models.Action{Op: OpCompleteCommand, Idx: d})
	}
	a = append(a, models.Action{Op: OpSignalAbort, Idx: -1}, models.Action{Op: OpClose, Idx: -1},
		models.Action{Op: OpServerOpen, Idx: -1})
	for d := 0; d < MaxDevices; d++ {
		a = append(a, models.Action{Op: OpServerSendCommand, Idx: d}, models.Action{Op: OpServerCloseDevice, Idx: d})
	}
	return append(a, models.Action{Op: OpServerSignalAbort, Idx: -1})
}()

// Judge reports whether the model can judge a in the current state, and
// whether a is a legal call there (one of its outcomes is NOERROR).
func (m *Model) Judge(a models.Action) (judgeable, legal bool) {
	e := m.Expect(a)
	if e.N == 0 {
		return false, false
	}
	for i := 0; i < e.N; i++ {
		if e.Out[i].HR == NOERROR {
			return true, true
		}
	}
	return true, false
}

// Assume advances m as if the system under test returned the first allowed
// outcome of a. Generators use it to walk the model without a SUT.
func (m *Model) Assume(a models.Action) {
	e := m.Expect(a)
	if e.N > 0 {
		m.apply(a, e.Out[0])
	}
}
