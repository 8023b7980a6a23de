package runner

import (
	"context"
	"hash/fnv"
	"sync"

	"github.com/specgate/specgate/internal/coverage"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/models"
)

// TableModel is the engine's view of a model given as a models.Table.
type TableModel struct{ T *models.Table }

// Info describes the model.
func (m TableModel) Info() models.Info { return m.T.Info }

// Alphabet returns the model's actions.
func (m TableModel) Alphabet() []models.Action { return m.T.Alphabet() }

// NewWalker returns a walker of the table for a profile.
func (m TableModel) NewWalker(profile string) (engine.Walker, error) {
	c, err := m.T.Resolve(profile)
	if err != nil {
		return nil, err
	}
	return &tableWalker{t: m.T, c: c, state: m.T.Initial}, nil
}

type tableWalker struct {
	t     *models.Table
	c     models.Choices
	state string
}

func (w *tableWalker) Reset() { w.state = w.t.Initial }

func (w *tableWalker) Judge(a models.Action) (judgeable, legal bool) {
	rows := w.t.Allowed(w.c, w.state, a)
	return len(rows) > 0, len(rows) > 0 && rows[0].Status == w.t.Success
}

func (w *tableWalker) Assume(a models.Action) {
	if rows := w.t.Allowed(w.c, w.state, a); len(rows) > 0 {
		w.state = rows[0].Next
	}
}

func (w *tableWalker) StateKey() uint64              { return stateKey(w.state) }
func (w *tableWalker) FenceKey(models.Action) uint64 { return stateKey(w.state) }
func (w *tableWalker) Cell(a models.Action) string   { return w.t.Cell(w.state, a) }

func stateKey(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64() | 1
}

// TableDriver opens connections to a SUT of a table model. Drivers know
// nothing of the table: a connection makes a call and returns the status
// the SUT answered.
type TableDriver interface {
	Open(ctx context.Context, name string) (TableConn, error)
}

// TableConn is one session's connection.
type TableConn interface {
	Call(ctx context.Context, a models.Action) (status string, err error)
	Close()
}

// TableTarget runs sessions of a table model on one SUT.
type TableTarget struct {
	t   *models.Table
	c   models.Choices
	drv TableDriver
	mu  sync.Mutex
	cov *coverage.Coverage
}

// NewTableTarget returns a target for table t under profile on drv.
func NewTableTarget(t *models.Table, profile string, drv TableDriver) (*TableTarget, error) {
	c, err := t.Resolve(profile)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(t.Info.Clauses))
	for i, cl := range t.Info.Clauses {
		ids[i] = cl.ID
	}
	return &TableTarget{t: t, c: c, drv: drv, cov: coverage.New(t.Info.Name, t.Info.Cells, ids)}, nil
}

// Coverage returns a copy of the coverage counted so far.
func (t *TableTarget) Coverage() *coverage.Coverage {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := coverage.New(t.cov.Model, nil, nil)
	c.Merge(t.cov)
	return c
}

// NewSession opens a session in the table's initial state.
func (t *TableTarget) NewSession(ctx context.Context, name string, record bool) (engine.Session, error) {
	conn, err := t.drv.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	return &tableSession{t: t, conn: conn, state: t.t.Initial, record: record}, nil
}

type tableSession struct {
	t        *TableTarget
	conn     TableConn
	state    string
	record   bool
	hits     [][2]string // cell, clause of each judged step, committed on Commit
	last     models.Action
	observed string
	err      error
}

// Step makes the call and judges the answer with the table's Step: the
// runner's one comparison for every table model.
func (s *tableSession) Step(ctx context.Context, i int, a models.Action) (*engine.Divergence, bool) {
	tb := s.t.t
	if len(tb.Allowed(s.t.c, s.state, a)) == 0 {
		return nil, false
	}
	cell := tb.Cell(s.state, a)
	s.last = a
	s.observed, s.err = s.conn.Call(ctx, a)
	if s.err != nil {
		kind, detail := Classify(s.err)
		_, v := tb.Step(s.t.c, s.state, a, "")
		return &engine.Divergence{Kind: kind, Clause: v.Clause, Cell: cell, Step: i + 1, Action: a.String(),
			Expected: v.Expected, Observed: kind, Detail: detail, Key: stateKey(s.state)}, true
	}
	row, v := tb.Step(s.t.c, s.state, a, s.observed)
	if v != nil {
		return &engine.Divergence{Kind: engine.KindDivergence, Clause: v.Clause, Cell: cell, Step: i + 1,
			Action: a.String(), Expected: v.Expected, Observed: v.Observed, Key: stateKey(s.state)}, true
	}
	if s.record {
		s.hits = append(s.hits, [2]string{cell, row.Clause})
	}
	s.state = row.Next
	return nil, true
}

// Transcript is the last call and its answer.
func (s *tableSession) Transcript() []string {
	out := []string{"-> " + s.last.String()}
	if s.err != nil {
		return append(out, "<- error: "+s.err.Error())
	}
	return append(out, "<- "+s.observed)
}

// Answer is the status the SUT answered to the last step.
func (s *tableSession) Answer() string { return s.observed }

// Close releases the connection.
func (s *tableSession) Close(context.Context) { s.conn.Close() }

// Commit adds the session's coverage to the target's (keep) or drops it.
func (s *tableSession) Commit(keep bool) {
	if keep && len(s.hits) > 0 {
		s.t.mu.Lock()
		for _, h := range s.hits {
			s.t.cov.Cells[h[0]]++
			s.t.cov.Clauses[h[1]]++
		}
		s.t.mu.Unlock()
	}
	s.hits = nil
}
