package reproducer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/ipam"
)

// An IPAM reproducer judges each step by a token: what the SUT answered
// (the primary part) and, per session slot that received callbacks during
// the step, those callbacks in arrival order. The listener of the export
// renders the same tokens, so the script only compares strings; which
// tokens are allowed is decided here, by the model, once, at export time.
//
// Primary parts: "response" or "fault" (Initialize), "true", "false" or
// "fault" (the IIpamServer queries), "accepted" or "fault" (a one-way
// Start), "204" (a control request), "settled" (the wait after the last
// step). Slot parts: " s<k>=" and the callbacks joined by ",", each
// "<prefix>:<Notify name>" with "(nil)" or "(exc)" after a Complete, a run
// of checkpoints written once, and ",silence" when the awaited callback did
// not come before the deadline.

// ipamEdge is one outcome the model allows at a node.
type ipamEdge struct {
	Token string
	Next  int // -1: the sequence is over
}

// ipamNode is one step of the sequence in one model state.
type ipamNode struct {
	ID      int
	Step    int // 0-based index in the sequence; len(seq) is the final settle
	Action  models.Action
	Skip    bool // the model cannot judge the action here: not sent
	Next    int  // for Skip
	Cell    string
	Await   string // the listener's await spec ("0:complete", "1:start", …)
	Allowed []string
	Edges   []ipamEdge
}

type ipamKey struct {
	step int
	key  string
}

// cbShape is one candidate callback sequence of a slot in a step.
type cbShape struct {
	kinds []ipam.CBKind
	exc   bool // the Complete carries an exception
}

func (s cbShape) completes() bool {
	return len(s.kinds) > 0 && s.kinds[len(s.kinds)-1] == ipam.CBComplete
}

func (s cbShape) starts() bool { return len(s.kinds) > 0 && s.kinds[0] == ipam.CBStart }

// shapes a Start's own session may show: nothing, Start, Start and
// checkpoints, either followed by a Complete (with or without exception),
// or a lone Complete (the Initialized -> Completed edge).
func startShapes() []cbShape {
	S, C, D := ipam.CBStart, ipam.CBCheckpoint, ipam.CBComplete
	out := []cbShape{{}, {kinds: []ipam.CBKind{S}}, {kinds: []ipam.CBKind{S, C}}}
	for _, exc := range []bool{false, true} {
		out = append(out, cbShape{[]ipam.CBKind{S, D}, exc}, cbShape{[]ipam.CBKind{S, C, D}, exc}, cbShape{[]ipam.CBKind{D}, exc})
	}
	return out
}

// heldShapes a held session may show in another step (its checkpoints may
// still be arriving) and, on release, its completion.
func heldShapes(release bool) []cbShape {
	C, D := ipam.CBCheckpoint, ipam.CBComplete
	if !release {
		return []cbShape{{}, {kinds: []ipam.CBKind{C}}}
	}
	var out []cbShape
	for _, exc := range []bool{false, true} {
		out = append(out, cbShape{[]ipam.CBKind{D}, exc}, cbShape{[]ipam.CBKind{C, D}, exc})
	}
	return append(out, cbShape{}, cbShape{kinds: []ipam.CBKind{C}})
}

// render writes a slot's part of a token.
func (s cbShape) render(fam ipam.Family, prefix string, silent bool) string {
	var parts []string
	for _, k := range s.kinds {
		p := prefix + ":" + ipam.Callback{Family: fam, Kind: k}.String()
		if k == ipam.CBComplete {
			p = prefix + ":" + strings.TrimSuffix(ipam.Callback{Family: fam, Kind: k}.String(), "(exception=nil)")
			if s.exc {
				p += "(exc)"
			} else {
				p += "(nil)"
			}
		}
		parts = append(parts, p)
	}
	if silent {
		parts = append(parts, "silence")
	}
	return strings.Join(parts, ",")
}

func (s cbShape) callbacks(fam ipam.Family, prefix string) []ipam.Callback {
	var cbs []ipam.Callback
	for _, k := range s.kinds {
		cbs = append(cbs, ipam.Callback{Family: fam, Kind: k, CallbackPrefix: prefix == "cb", Exception: k == ipam.CBComplete && s.exc})
	}
	return cbs
}

// candidate is one observation offered to the model.
type candidate struct {
	token string
	obs   ipam.Obs
}

// primaries lists the primary parts of a, with the observation fields
// they set.
func primaries(a models.Action) []candidate {
	switch a.Op {
	case ipam.OpInitSchema, ipam.OpInitProv:
		return []candidate{{token: "response"}, {token: "fault", obs: ipam.Obs{Fault: true}}}
	case ipam.OpIsRequired, ipam.OpIsInProgress, ipam.OpIsConfigured:
		return []candidate{{token: "true", obs: ipam.Obs{Value: true}}, {token: "false"}, {token: "fault", obs: ipam.Obs{Fault: true}}}
	case ipam.OpStartSchema, ipam.OpStartProv:
		return []candidate{{token: "accepted"}, {token: "fault", obs: ipam.Obs{Fault: true}}}
	case settleOp:
		return []candidate{{token: "settled"}}
	}
	return []candidate{{token: "204"}}
}

// settleOp is the pseudo-action of the wait after the last step (the
// runner's Finish).
const settleOp = "settle"

// slotShapes lists what slot k may show during a at model state m, and
// which of the shapes count as the awaited callback having come.
func slotShapes(m *ipam.Model, a models.Action, e ipam.Expect, k int, fault bool) (shapes []cbShape, awaited func(cbShape) bool) {
	switch {
	case (a.Op == ipam.OpStartSchema || a.Op == ipam.OpStartProv) && a.Idx == k:
		if fault {
			return []cbShape{{}}, nil
		}
		start := e.Await == ipam.AwaitStart
		return startShapes(), func(s cbShape) bool { return s.completes() || (start && s.starts()) }
	case m.S[k].Phase == ipam.Held:
		if a.Op == ipam.OpCtlRelease && e.Release[k] {
			return heldShapes(true), cbShape.completes
		}
		return heldShapes(false), nil
	}
	return []cbShape{{}}, nil
}

// edges lists every token the model accepts for a at m, with the state
// each leads to.
func edges(m *ipam.Model, a models.Action, e ipam.Expect) (toks []string, next []ipam.Model) {
	for _, p := range primaries(a) {
		var per [ipam.NumSlots][]cbShape
		var aw [ipam.NumSlots]func(cbShape) bool
		for k := range per {
			per[k], aw[k] = slotShapes(m, a, e, k, p.obs.Fault)
		}
		for _, prefix := range []string{"cb", "srv"} {
			for _, s0 := range per[0] {
				for _, s1 := range per[1] {
					obs := p.obs
					tok := p.token
					for k, s := range [ipam.NumSlots]cbShape{s0, s1} {
						silent := aw[k] != nil && !aw[k](s)
						obs.CB[k] = s.callbacks(m.S[k].Fam, prefix)
						obs.Silent[k] = silent
						if part := s.render(m.S[k].Fam, prefix, silent); part != "" {
							tok += fmt.Sprintf(" s%d=%s", k, part)
						}
					}
					c := clone(m)
					if c.Observe(a, &obs) == nil {
						c.Exercised = nil
						toks, next = append(toks, tok), append(next, c)
					}
				}
			}
		}
	}
	return toks, next
}

func clone(m *ipam.Model) ipam.Model {
	c := *m
	c.Exercised = nil
	return c
}

func stateKey(m ipam.Model) string {
	m.Exercised = nil
	return fmt.Sprintf("%+v", m)
}

// awaitSpec is the listener's wait condition for a at m.
func awaitSpec(m *ipam.Model, a models.Action, e ipam.Expect) string {
	var parts []string
	switch a.Op {
	case ipam.OpStartSchema, ipam.OpStartProv:
		mode := "complete"
		if e.Await == ipam.AwaitStart {
			mode = "start"
		}
		parts = append(parts, fmt.Sprintf("%d:%s", a.Idx, mode))
	case ipam.OpCtlRelease:
		for k, held := range e.Release {
			if held {
				parts = append(parts, fmt.Sprintf("%d:complete", k))
			}
		}
	}
	return strings.Join(parts, ",")
}

// walkIPAM enumerates the model states the sequence reaches along the
// outcomes the model allows, breadth first from the start state (node 0),
// and a final settle node where a session was started.
func walkIPAM(seq []models.Action, p ipam.Profile, control bool) ([]ipamNode, error) {
	start := *ipam.New(p, control)
	ids := map[ipamKey]int{{0, stateKey(start)}: 0}
	queue := []ipamModelAt{{0, start}}
	var nodes []ipamNode
	id := func(step int, m ipam.Model) (int, error) {
		if step > len(seq) || (step == len(seq) && !started(&m)) {
			return -1, nil
		}
		k := ipamKey{step, stateKey(m)}
		if n, ok := ids[k]; ok {
			return n, nil
		}
		if len(ids) >= maxNodes {
			return 0, fmt.Errorf("ipam-curl: the sequence branches into more than %d model states", maxNodes)
		}
		ids[k] = len(ids)
		queue = append(queue, ipamModelAt{step, m})
		return ids[k], nil
	}
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		n, err := nodeAt(seq, q, ids[ipamKey{q.step, stateKey(q.m)}], id)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

type ipamModelAt struct {
	step int
	m    ipam.Model
}

// started reports whether a session of m got past Initialize: only then
// does the runner wait for late callbacks at the end.
func started(m *ipam.Model) bool {
	for _, s := range m.S {
		if s.Phase == ipam.Held || s.Phase == ipam.Completed {
			return true
		}
	}
	return false
}

func nodeAt(seq []models.Action, q ipamModelAt, nid int, id func(int, ipam.Model) (int, error)) (ipamNode, error) {
	a := models.Action{Op: settleOp, Idx: -1}
	if q.step < len(seq) {
		a = seq[q.step]
	}
	m := q.m
	n := ipamNode{ID: nid, Step: q.step, Action: a}
	e := m.Expect(a)
	if a.Op != settleOp && !e.Judgeable {
		next, err := id(q.step+1, m)
		n.Skip, n.Next = true, next
		return n, err
	}
	n.Cell, n.Await = e.Cell, awaitSpec(&m, a, e)
	if a.Op == settleOp {
		n.Cell = settleOp
	} else {
		n.Allowed = m.Allowed(a)
	}
	toks, next := edges(&m, a, e)
	seen := map[string]bool{}
	for i, t := range toks {
		if seen[t] {
			continue
		}
		seen[t] = true
		nx, err := id(q.step+1, next[i])
		if err != nil {
			return n, err
		}
		n.Edges = append(n.Edges, ipamEdge{Token: t, Next: nx})
	}
	if len(n.Edges) == 0 {
		return n, fmt.Errorf("ipam-curl: step %d %s: the model allows no observation the listener can render", q.step+1, a)
	}
	return n, nil
}

// prefixFree reports whether the callback Action prefix never matters in
// nodes: every token with one prefix has its twin with the other, leading
// to the same node. The script then asks the listener to write "any:".
func prefixFree(nodes []ipamNode) bool {
	for _, n := range nodes {
		to := map[string]int{}
		for _, e := range n.Edges {
			to[e.Token] = e.Next
		}
		for _, e := range n.Edges {
			twin := strings.NewReplacer("cb:", "srv:", "srv:", "cb:").Replace(e.Token)
			if nx, ok := to[twin]; !ok || nx != e.Next {
				return false
			}
		}
	}
	return true
}

// anyPrefix rewrites the tokens of nodes with the "any:" prefix and drops
// the duplicates.
func anyPrefix(nodes []ipamNode) {
	r := strings.NewReplacer("cb:", "any:", "srv:", "any:")
	for i := range nodes {
		var out []ipamEdge
		seen := map[string]bool{}
		for _, e := range nodes[i].Edges {
			e.Token = r.Replace(e.Token)
			if !seen[e.Token] {
				seen[e.Token] = true
				out = append(out, e)
			}
		}
		sort.SliceStable(out, func(x, y int) bool { return len(out[x].Token) < len(out[y].Token) })
		nodes[i].Edges = out
	}
}
