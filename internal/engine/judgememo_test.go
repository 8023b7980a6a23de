package engine

import (
	"testing"

	"github.com/specgate/specgate/models"
)

func TestPickWeighted(t *testing.T) {
	weight := []int{1, 4, 2, 1}
	if _, ok := pickWeighted(0, weight, 7); ok {
		t.Fatal("an empty mask picked an action")
	}
	// Mask {1, 2}: total weight 6; r mod 6 in [0,4) picks 1, [4,6) picks 2.
	counts := map[int]int{}
	for r := 0; r < 600; r++ {
		i, ok := pickWeighted(0b0110, weight, r)
		if !ok || (i != 1 && i != 2) {
			t.Fatalf("r=%d: picked %d (ok %v) outside the mask", r, i, ok)
		}
		counts[i]++
	}
	if counts[1] != 400 || counts[2] != 200 {
		t.Fatalf("picks %v, want 400 of action 1 and 200 of action 2 (weights 4:2)", counts)
	}
}

// keyedCounter is a toy walker with a key: actions 0..3, action i legal
// when the counter is i mod 4, all judgeable.
type keyedCounter struct{ n, judged int }

func (c *keyedCounter) Reset() { c.n = 0 }
func (c *keyedCounter) Judge(a models.Action) (bool, bool) {
	c.judged++
	return true, a.Arg == c.n%4
}
func (c *keyedCounter) Assume(models.Action) { c.n++ }
func (c *keyedCounter) JudgeKey() uint64     { return uint64(c.n % 4) }

func TestJudgeMemo(t *testing.T) {
	alpha := []models.Action{{Op: "a", Arg: 0}, {Op: "a", Arg: 1}, {Op: "a", Arg: 2}, {Op: "a", Arg: 3}}
	memo := &judgeMemo{}
	w := &keyedCounter{n: 2}
	s := memo.get(w.JudgeKey(), w, alpha)
	if s.judgeable != 0b1111 || s.legal != 0b0100 {
		t.Fatalf("set %+v, want judgeable 1111 and legal 0100", s)
	}
	judged := w.judged
	w.n = 6 // same key
	if s2 := memo.get(w.JudgeKey(), w, alpha); s2 != s || w.judged != judged {
		t.Fatalf("the second lookup judged again (%d judgements) or differs: %+v", w.judged-judged, s2)
	}
}
