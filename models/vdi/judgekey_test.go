package vdi

import (
	"testing"

	"pgregory.net/rapid"
)

// judgements is Judge over the whole alphabet, as two bitmasks.
func judgements(m *Model) (judgeable, legal uint64) {
	for i, a := range Alphabet {
		j, l := m.Judge(a)
		if j {
			judgeable |= 1 << i
		}
		if l {
			legal |= 1 << i
		}
	}
	return judgeable, legal
}

// TestJudgeKeyDecidesJudge walks the model at random (mostly legal calls, applying any
// allowed outcome, not only the first) and checks that every state met with a
// given JudgeKey judges the whole alphabet alike: the key holds all Judge
// reads. Leaving a field out of the key makes two states with different
// judgements share a key, which this finds.
func TestJudgeKeyDecidesJudge(t *testing.T) {
	if len(Alphabet) > 64 {
		t.Fatalf("alphabet of %d actions does not fit the masks", len(Alphabet))
	}
	seen := map[uint64][2]uint64{}
	rapid.Check(t, func(t *rapid.T) {
		p := Profile(rapid.IntRange(0, 1).Draw(t, "profile"))
		m := New(p)
		for step := 0; step < 60; step++ {
			k := m.JudgeKey()
			j, l := judgements(m)
			if prev, ok := seen[k]; ok && prev != [2]uint64{j, l} {
				t.Fatalf("key %#x: judgeable %#x legal %#x, earlier %#x %#x", k, j, l, prev[0], prev[1])
			}
			seen[k] = [2]uint64{j, l}
			// Mostly legal calls, to reach deep states.
			a := rapid.SampledFrom(Alphabet).Draw(t, "a")
			if rapid.IntRange(0, 3).Draw(t, "legal") > 0 && l != 0 {
				var legal []int
				for i := range Alphabet {
					if l&(1<<i) != 0 {
						legal = append(legal, i)
					}
				}
				a = Alphabet[rapid.SampledFrom(legal).Draw(t, "legal action")]
			}
			e := m.Expect(a)
			if e.N == 0 {
				continue
			}
			o := e.Out[rapid.IntRange(0, e.N-1).Draw(t, "outcome")]
			m.Apply(a, o.HR)
		}
	})
	if len(seen) < 50 {
		t.Fatalf("only %d distinct keys met: the walk is too shallow to test the key", len(seen))
	}
}
