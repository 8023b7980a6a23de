// Package coverage counts how often each state x call cell and each clause
// of a model was exercised, and lists the ones never reached.
package coverage

import (
	"sort"
	"sync"
)

// Coverage is a model's coverage in a run.
type Coverage struct {
	Model   string         `json:"model"`
	Cells   map[string]int `json:"cells"`   // every cell of the model, 0 when never reached
	Clauses map[string]int `json:"clauses"` // every clause of the model, 0 when never reached
}

// New returns an empty coverage over the given universe.
func New(model string, cells, clauses []string) *Coverage {
	c := &Coverage{Model: model, Cells: map[string]int{}, Clauses: map[string]int{}}
	for _, x := range cells {
		c.Cells[x] = 0
	}
	for _, x := range clauses {
		c.Clauses[x] = 0
	}
	return c
}

// Merge adds o's counts to c.
func (c *Coverage) Merge(o *Coverage) {
	for k, v := range o.Cells {
		c.Cells[k] += v
	}
	for k, v := range o.Clauses {
		c.Clauses[k] += v
	}
}

// CellRatio returns the fraction of cells reached at least once.
func (c *Coverage) CellRatio() float64 {
	if len(c.Cells) == 0 {
		return 1
	}
	n := 0
	for _, v := range c.Cells {
		if v > 0 {
			n++
		}
	}
	return float64(n) / float64(len(c.Cells))
}

// Unreached returns the sorted names with a zero count.
func Unreached(m map[string]int) []string {
	var out []string
	for k, v := range m {
		if v == 0 {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Counter accumulates counts from many sessions; it is safe for
// concurrent use. Cells are indexed by small integers to keep the per-step
// cost low.
type Counter struct {
	mu      sync.Mutex
	names   []string
	cells   []int
	clauses map[string]int
}

// NewCounter makes a counter for cells named by index.
func NewCounter(cellNames []string) *Counter {
	return &Counter{names: cellNames, cells: make([]int, len(cellNames)), clauses: map[string]int{}}
}

// Local is a per-session, lock-free counter merged into a Counter on Flush.
type Local struct {
	cells   []int
	clauses map[string]int
}

// NewLocal returns a session-local counter.
func (c *Counter) NewLocal() *Local {
	return &Local{cells: make([]int, len(c.names)), clauses: make(map[string]int, 16)}
}

// Hit counts cell index i and clause id.
func (l *Local) Hit(i int, clause string) {
	l.cells[i]++
	l.clauses[clause]++
}

// Cell counts cell index i.
func (l *Local) Cell(i int) { l.cells[i]++ }

// Clause counts clause id.
func (l *Local) Clause(id string) { l.clauses[id]++ }

// Flush merges l into c and clears l.
func (c *Counter) Flush(l *Local) {
	c.mu.Lock()
	for i, v := range l.cells {
		c.cells[i] += v
		l.cells[i] = 0
	}
	for k, v := range l.clauses {
		c.clauses[k] += v
	}
	c.mu.Unlock()
	clear(l.clauses)
}

// Reset clears l without merging it (a check the engine runs again).
func (l *Local) Reset() {
	clear(l.cells)
	clear(l.clauses)
}

// Into adds the counter's totals to cov.
func (c *Counter) Into(cov *Coverage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, v := range c.cells {
		cov.Cells[c.names[i]] += v
	}
	for k, v := range c.clauses {
		cov.Clauses[k] += v
	}
}
