package coverage

import (
	"strings"
	"testing"

	"github.com/specgate/specgate/models"
)

func TestDeclaredCellsLeaveTheDenominator(t *testing.T) {
	c := New("m", []string{"A/x", "A/y", "U/x", "U/y"}, []string{"c1", "c2"})
	c.Cells["A/x"], c.Cells["A/y"] = 3, 1
	if got := c.CellRatio(); got != 0.5 {
		t.Fatalf("ratio before declaring = %v, want 0.5", got)
	}
	c.Declare(models.Reach{Cells: map[string]string{"U/x": "why", "U/y": "why"}, Clauses: map[string]string{"c2": "env"}})
	if got := c.CellRatio(); got != 1 {
		t.Errorf("ratio with U/* declared unreachable = %v, want 1", got)
	}
	if cells, reached := c.Reachable(); cells != 2 || reached != 2 {
		t.Errorf("Reachable() = %d, %d, want 2, 2", cells, reached)
	}
	if err := c.Contradictions(); err != nil {
		t.Errorf("no declared cell reached, got %v", err)
	}
	if c.ClauseReasons["c2"] != "env" {
		t.Errorf("clause reason lost: %v", c.ClauseReasons)
	}
	// Merging keeps the declarations (sharded runs).
	m := New("m", nil, nil)
	m.Merge(c)
	if m.Unreachable["U/x"] != "why" || m.ClauseReasons["c2"] != "env" || m.CellRatio() != 1 {
		t.Errorf("merge lost the declarations: %+v", m)
	}
}

func TestReachedUnreachableCellIsAnError(t *testing.T) {
	c := New("m", []string{"A/x", "U/x"}, nil)
	c.Declare(models.Reach{Cells: map[string]string{"U/x": "the model says never"}})
	c.Cells["U/x"] = 2
	err := c.Contradictions()
	if err == nil || !strings.Contains(err.Error(), "U/x (2 hits)") {
		t.Fatalf("Contradictions() = %v, want an error naming U/x", err)
	}
}
