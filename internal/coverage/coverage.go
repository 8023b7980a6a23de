// Package coverage counts how often each state x call cell and each clause
// of a model was exercised, and lists the ones never reached.
package coverage

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/specgate/specgate/models"
)

// Coverage is a model's coverage in a run.
type Coverage struct {
	Model   string         `json:"model"`
	Cells   map[string]int `json:"cells"`   // every cell of the model, 0 when never reached
	Clauses map[string]int `json:"clauses"` // every clause of the model, 0 when never reached
	// Unreachable maps the cells the model proves cannot be exercised in
	// this run's configuration to why (models.Reach.Cells); they are left
	// out of CellRatio.
	Unreachable map[string]string `json:"unreachable,omitempty"`
	// ClauseReasons maps the clauses the generator does not reach against a
	// conformant system to why (models.Reach.Clauses); an unreached clause
	// with a reason is not "not reached".
	ClauseReasons map[string]string `json:"clauseReasons,omitempty"`
}

// Declare records what the model declares out of reach (see models.Reach).
func (c *Coverage) Declare(r models.Reach) {
	for k, v := range r.Cells {
		if c.Unreachable == nil {
			c.Unreachable = map[string]string{}
		}
		c.Unreachable[k] = v
	}
	for k, v := range r.Clauses {
		if c.ClauseReasons == nil {
			c.ClauseReasons = map[string]string{}
		}
		c.ClauseReasons[k] = v
	}
}

// Contradictions returns an error naming every cell the model declared
// unreachable that the run exercised: the model's proof is wrong.
func (c *Coverage) Contradictions() error {
	var bad []string
	for k := range c.Unreachable {
		if n := c.Cells[k]; n > 0 {
			bad = append(bad, fmt.Sprintf("%s (%d hits)", k, n))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("coverage %s: cells declared unreachable were reached: %s", c.Model, strings.Join(bad, ", "))
}

// Reachable returns how many cells count toward the ratio (every cell
// not declared unreachable) and how many of them were reached.
func (c *Coverage) Reachable() (cells, reached int) {
	for k, v := range c.Cells {
		if _, out := c.Unreachable[k]; out {
			continue
		}
		cells++
		if v > 0 {
			reached++
		}
	}
	return cells, reached
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
	c.Declare(models.Reach{Cells: o.Unreachable, Clauses: o.ClauseReasons})
}

// CellRatio returns the fraction of the reachable cells (those the model
// does not declare unreachable) reached at least once.
func (c *Coverage) CellRatio() float64 {
	cells, reached := c.Reachable()
	if cells == 0 {
		return 1
	}
	return float64(reached) / float64(cells)
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
