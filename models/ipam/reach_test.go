package ipam

import "testing"

// TestReachDeclarationsHold explores the model (every judgeable action,
// the server behaving as the first allowed outcome) to depth 6 with and
// without control: no action it can judge falls in a cell Reach declares
// unreachable.
func TestReachDeclarationsHold(t *testing.T) {
	for _, p := range []Profile{Strict, Documented} {
		for _, control := range []bool{true, false} {
			r := Reach(p, control)
			alpha := Alphabet(control)
			frontier := []*Model{New(p, control)}
			seen := map[string]bool{frontier[0].key(): true}
			judged := 0
			for depth := 0; depth < 6 && len(frontier) > 0; depth++ {
				var next []*Model
				for _, m := range frontier {
					for _, a := range alpha {
						e := m.Expect(a)
						if !e.Judgeable {
							continue
						}
						judged++
						if why, ok := r.Cells[e.Cell]; ok {
							t.Fatalf("profile %v control %v: %s judged in cell %s, declared unreachable (%s)", p, control, a, e.Cell, why)
						}
						c := m.clone()
						c.Assume(a)
						if k := c.key(); !seen[k] {
							seen[k] = true
							next = append(next, c)
						}
					}
				}
				frontier = next
			}
			if judged == 0 {
				t.Fatalf("nothing judged")
			}
		}
	}
	// Without control the ctl.* calls are not even in the alphabet.
	for _, a := range Alphabet(false) {
		if _, ok := Reach(Documented, false).Cells["Configured/"+a.Op]; ok {
			t.Errorf("%s is in the no-control alphabet but its cells are declared unreachable", a.Op)
		}
	}
}
