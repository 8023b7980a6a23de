package coverage

import (
	"reflect"
	"sync"
	"testing"
)

func TestCounterAndCoverage(t *testing.T) {
	c := NewCounter([]string{"A/x", "A/y", "B/x"})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := c.NewLocal()
			l.Hit(0, "c1")
			l.Cell(2)
			l.Clause("c2")
			c.Flush(l)
		}()
	}
	wg.Wait()
	cov := New("m", []string{"A/x", "A/y", "B/x"}, []string{"c1", "c2", "c3"})
	c.Into(cov)
	want := map[string]int{"A/x": 4, "A/y": 0, "B/x": 4}
	if !reflect.DeepEqual(cov.Cells, want) {
		t.Fatalf("cells = %v, want %v", cov.Cells, want)
	}
	if cov.Clauses["c1"] != 4 || cov.Clauses["c2"] != 4 || cov.Clauses["c3"] != 0 {
		t.Fatalf("clauses = %v", cov.Clauses)
	}
	if r := cov.CellRatio(); r < 0.66 || r > 0.67 {
		t.Fatalf("ratio = %v, want 2/3", r)
	}
	if u := Unreached(cov.Cells); !reflect.DeepEqual(u, []string{"A/y"}) {
		t.Fatalf("unreached = %v", u)
	}
	other := New("m", nil, nil)
	other.Cells["A/y"], other.Clauses["c3"] = 2, 1
	cov.Merge(other)
	if cov.CellRatio() != 1 || cov.Clauses["c3"] != 1 {
		t.Fatalf("merge: %v %v", cov.Cells, cov.Clauses)
	}
}
