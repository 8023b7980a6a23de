package vdi

import (
	"hash/fnv"
	"strconv"

	"github.com/specgate/specgate/models"
)

// JudgeKey packs everything Judge reads into one word: two models with the
// same key judge every action alike (TestJudgeKeyDecidesJudge checks it
// on random walks). Generators use it to memoize which actions are
// judgeable and legal in a state. The command identities (queue contents,
// sent counter) are left out: they decide what GetCommand returns, never
// whether a call is judgeable or legal.
func (m *Model) JudgeKey() uint64 {
	k := uint64(m.State) | uint64(m.N)<<3 | uint64(m.Profile)<<40
	if m.ServerOpen {
		k |= 1 << 8
	}
	for d := range m.Dev {
		dv := &m.Dev[d]
		v := uint64(dv.nq) | uint64(dv.nout)<<3
		if dv.Opened {
			v |= 1 << 6
		}
		if dv.ServerClosed {
			v |= 1 << 7
		}
		if dv.CloseSeen {
			v |= 1 << 8
		}
		k |= v << (9 + 9*d)
	}
	return k
}

// StateKey is JudgeKey: the state it packs decides every expectation but
// the identity of the command GetCommand returns. The engine fences a
// known divergence (an action in a state) by it.
func (m *Model) StateKey() uint64 { return m.JudgeKey() }

// Cell names the table cell action a falls in from the current state, as
// the runner reports it: "<State>/<Op>".
func (m *Model) Cell(a models.Action) string { return CellName(m.State, a.Op) }

// FenceKey identifies what decides the outcome of a in the current state:
// its cell, the outcomes the model allows, and for a device call that
// device's own state (queued, outstanding, opened, closed). Two states
// with the same key for a expect the same of it, so once a divergence of a
// is known and the model cannot continue from it, the engine stops
// proposing a wherever the key is the same (a fence), not only in the one
// packed state it was seen in.
func (m *Model) FenceKey(a models.Action) uint64 {
	e := m.Expect(a)
	h := fnv.New64a()
	b := make([]byte, 0, 64)
	b = append(b, CellName(e.State, a.Op)...)
	for _, o := range e.Allowed() {
		b = append(b, '|')
		b = strconv.AppendUint(b, uint64(o.HR), 16)
		b = append(b, '>')
		b = strconv.AppendInt(b, int64(o.Next), 10)
	}
	if a.Idx >= 0 && a.Idx < MaxDevices {
		dv := &m.Dev[a.Idx]
		b = append(b, '#', byte('0'+dv.nq), byte('0'+dv.nout))
		for _, f := range []bool{dv.Opened, dv.ServerClosed, dv.CloseSeen} {
			if f {
				b = append(b, '1')
			} else {
				b = append(b, '0')
			}
		}
	}
	_, _ = h.Write(b)
	return h.Sum64() | 1
}
