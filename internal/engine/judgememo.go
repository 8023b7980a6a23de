package engine

import (
	"math/bits"
	"sync"

	"github.com/specgate/specgate/models"
)

// judgeSet is what a walker's Judge says about every action of the
// alphabet in one state, as bitmasks over alphabet indices.
type judgeSet struct{ judgeable, legal uint64 }

// judgeMemo maps JudgeKey to judgeSet. Its entries are a pure function of
// the key, so the order workers fill it in never changes a draw.
type judgeMemo struct{ m sync.Map }

// get returns the set of key's state, judging the alphabet on w (which is
// in that state) the first time.
func (j *judgeMemo) get(key uint64, w Walker, alpha []models.Action) judgeSet {
	if v, ok := j.m.Load(key); ok {
		return v.(judgeSet)
	}
	var s judgeSet
	for i, a := range alpha {
		judgeable, legal := w.Judge(a)
		if judgeable {
			s.judgeable |= 1 << i
		}
		if judgeable && legal {
			s.legal |= 1 << i
		}
	}
	j.m.Store(key, s)
	return s
}

// pickWeighted picks among the actions of mask by weight, with r (any
// non-negative draw) selecting: the action whose weight interval holds
// r mod the total. ok is false when mask is empty.
func pickWeighted(mask uint64, weight []int, r int) (int, bool) {
	total := 0
	for m := mask; m != 0; m &= m - 1 {
		total += weight[bits.TrailingZeros64(m)]
	}
	if total == 0 {
		return 0, false
	}
	x := r % total
	for m := mask; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		if x < weight[i] {
			return i, true
		}
		x -= weight[i]
	}
	return 0, false // unreachable: x < total
}
