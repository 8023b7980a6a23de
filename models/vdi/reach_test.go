package vdi

import "testing"

// TestReachDeclarationsHold explores the model breadth first over every
// allowed outcome (bounded): no judgeable call falls in a cell Reach
// declares unreachable, and every other cell is judged somewhere.
func TestReachDeclarationsHold(t *testing.T) {
	for _, p := range []Profile{Strict, Documented} {
		r := Reach(p)
		start := *New(p)
		seen := map[Model]bool{start: true}
		queue := []Model{start}
		judged := map[string]bool{}
		for len(queue) > 0 && len(seen) < 60000 {
			m := queue[0]
			queue = queue[1:]
			for _, a := range Alphabet {
				e := m.Expect(a)
				if e.N == 0 {
					continue
				}
				cell := CellName(e.State, a.Op)
				if why, ok := r.Cells[cell]; ok {
					t.Fatalf("%v: %s judged in %s, declared unreachable (%s)", p, a, cell, why)
				}
				judged[cell] = true
				for k := 0; k < e.N; k++ {
					if n := m.After(a, &e, k); !seen[n] {
						seen[n] = true
						queue = append(queue, n)
					}
				}
			}
		}
		for _, c := range Info().Cells {
			if _, out := r.Cells[c]; !out && !judged[c] {
				t.Errorf("%v: cell %s neither judged nor declared unreachable", p, c)
			}
		}
	}
}
