package reproducer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/specgate/specgate/internal/failfile"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/vdiapi"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/vdi"
)

// VDIScriptSchema identifies a VDI script (its first line).
const VDIScriptSchema = "specgate/vdi-script"

// replaySet is the set name of a replay: engine.ReplaySteps opens its
// session as "replay" and the VDI runner names the set after the session.
const replaySet = "replay"

// maxNodes bounds the (step, model state) pairs a script enumerates: the
// model's allowed outcomes can branch (an ambiguity allows two statuses
// that lead to different states), and each branch has its own requests
// and expectations from there on.
const maxNodes = 20000

// scriptHeader is the first line of a VDI script.
type scriptHeader struct {
	Schema     string            `json:"schema"`
	Version    int               `json:"version"`
	Model      string            `json:"model"`
	Profile    string            `json:"profile"`
	Set        string            `json:"set"`
	Steps      []string          `json:"steps"`
	Start      int               `json:"start"`
	Divergence string            `json:"divergence"`
	HRNames    map[string]string `json:"hrNames"`
}

// setupLine is a request the harness sends before (hello, reset) or after
// (the reset of the set) the steps.
type setupLine struct {
	Phase   string          `json:"phase"` // "setup" or "teardown"
	Method  string          `json:"method"`
	Request json.RawMessage `json:"request"`
	// Protocol is the protocol shim.hello must answer.
	Protocol string `json:"protocol,omitempty"`
}

// stepLine is one step of the sequence in one model state (node).
type stepLine struct {
	Node   int    `json:"node"`
	Step   int    `json:"step"`
	Action string `json:"action"`
	// Skip: the model cannot judge the action in this state, so the
	// harness does not send it; Next is the node that follows.
	Skip    bool            `json:"skip,omitempty"`
	Next    *int            `json:"next,omitempty"`
	Request json.RawMessage `json:"request,omitempty"`
	// CommandOf names the device whose oldest fetched, uncompleted
	// command id goes in params.command (CompleteCommand; 0 when none).
	CommandOf string        `json:"commandOf,omitempty"`
	FetchOn   string        `json:"fetchOn,omitempty"` // GetCommand: the device whose queue a fetched id joins
	Cell      string        `json:"cell,omitempty"`
	Expect    []expectation `json:"expect,omitempty"`
}

// expectation is one outcome the model allows; Next is the node reached
// (-1: the sequence is over).
type expectation struct {
	HR      string   `json:"hr"`
	Name    string   `json:"name"`
	State   string   `json:"state"`
	Clause  string   `json:"clause"`
	Next    int      `json:"next"`
	Command *cmdWant `json:"command,omitempty"`
	// ClearIDs: the set no longer exists, forget every fetched command id.
	ClearIDs bool `json:"clearIds,omitempty"`
}

type cmdWant struct {
	Code uint32 `json:"code"`
	Size uint32 `json:"size"`
}

type nodeKey struct {
	step int
	m    vdi.Model
}

// VDIScript renders ff, a VDI failure, as a JSON-lines script: a header,
// the set-up requests, one line per (step, model state) with the exact
// request and the outcomes the model allows, and the teardown request.
func VDIScript(ff *failfile.File) ([]byte, error) {
	if ff.Model != "vdi" {
		return nil, fmt.Errorf("format vdi-script needs a vdi failure, the file holds a %s failure", ff.Model)
	}
	p, err := vdi.ParseProfile(ff.Profile)
	if err != nil {
		return nil, fmt.Errorf("vdi-script: %w", err)
	}
	rec := newWireRecorder(ff.Profile)
	defer rec.close()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(header(ff)); err != nil {
		return nil, fmt.Errorf("vdi-script header: %w", err)
	}
	if err := writeSetup(enc, rec, ff.Profile); err != nil {
		return nil, err
	}
	lines, err := walk(rec, ff.Sequence, p)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			return nil, fmt.Errorf("vdi-script step: %w", err)
		}
	}
	req, err := rec.record(func(ctx context.Context, d vdiapi.VDI) error { return d.Reset(ctx, replaySet) })
	if err != nil {
		return nil, err
	}
	if err := enc.Encode(setupLine{Phase: "teardown", Method: "shim.reset", Request: req}); err != nil {
		return nil, fmt.Errorf("vdi-script teardown: %w", err)
	}
	return out.Bytes(), nil
}

func header(ff *failfile.File) scriptHeader {
	names := map[string]string{}
	for _, h := range []vdi.HR{vdi.NOERROR, vdi.VD_E_NOTOPEN, vdi.VD_E_TIMEOUT, vdi.VD_E_ABORT,
		vdi.VD_E_SECURITY, vdi.VD_E_INVALID, vdi.VD_E_INSTANCENAME, vdi.VD_E_NOTSUPPORTED,
		vdi.VD_E_MEMORY, vdi.VD_E_UNEXPECTED, vdi.VD_E_PROTOCOL, vdi.VD_E_OPEN, vdi.VD_E_CLOSE, vdi.VD_E_BUSY} {
		names[h.Hex()] = h.String()
	}
	return scriptHeader{Schema: VDIScriptSchema, Version: 1, Model: ff.Model, Profile: ff.Profile,
		Set: replaySet, Steps: ff.Steps, Start: 0, Divergence: ff.Divergence.Message(), HRNames: names}
}

// writeSetup writes the requests the harness sends when it opens a shim:
// shim.hello with the profile, then shim.reset of every set.
func writeSetup(enc *json.Encoder, rec *wireRecorder, profile string) error {
	hello, err := rec.record(func(ctx context.Context, d vdiapi.VDI) error {
		_, err := d.Hello(ctx, profile)
		return err
	})
	if err != nil {
		return err
	}
	reset, err := rec.record(func(ctx context.Context, d vdiapi.VDI) error { return d.Reset(ctx, "") })
	if err != nil {
		return err
	}
	for _, l := range []setupLine{
		{Phase: "setup", Method: "shim.hello", Request: hello, Protocol: vdiapi.ProtocolVersion},
		{Phase: "setup", Method: "shim.reset", Request: reset},
	} {
		if err := enc.Encode(l); err != nil {
			return fmt.Errorf("vdi-script setup: %w", err)
		}
	}
	return nil
}

// walk enumerates the model states the sequence can reach along the
// outcomes the model allows, breadth first from the start state (node 0).
func walk(rec *wireRecorder, seq []models.Action, p vdi.Profile) ([]stepLine, error) {
	ids := map[nodeKey]int{{0, *vdi.New(p)}: 0}
	queue := []nodeKey{{0, *vdi.New(p)}}
	var lines []stepLine
	id := func(k nodeKey) (int, error) {
		if k.step == len(seq) {
			return -1, nil
		}
		if n, ok := ids[k]; ok {
			return n, nil
		}
		if len(ids) >= maxNodes {
			return 0, fmt.Errorf("vdi-script: the sequence branches into more than %d model states", maxNodes)
		}
		ids[k] = len(ids)
		queue = append(queue, k)
		return ids[k], nil
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		l, err := stepAt(rec, seq[k.step], k, ids[k], id)
		if err != nil {
			return nil, err
		}
		lines = append(lines, l)
	}
	return lines, nil
}

// stepAt renders the step k.step in model state k.m.
func stepAt(rec *wireRecorder, a models.Action, k nodeKey, node int, id func(nodeKey) (int, error)) (stepLine, error) {
	l := stepLine{Node: node, Step: k.step + 1, Action: a.String()}
	m := k.m
	e := m.Expect(a)
	if e.N == 0 {
		next, err := id(nodeKey{k.step + 1, m})
		l.Skip, l.Next = true, &next
		return l, err
	}
	dev := devices()
	req, err := rec.record(func(ctx context.Context, d vdiapi.VDI) error {
		_, _, err := runner.CallVDI(ctx, d, replaySet, dev, &m, a, 0)
		return err
	})
	if err != nil {
		return l, fmt.Errorf("step %d %s: %w", k.step+1, a, err)
	}
	l.Request, l.Cell = req, vdi.CellName(e.State, a.Op)
	switch a.Op {
	case vdi.OpCompleteCommand:
		l.CommandOf = dev[a.Idx]
	case vdi.OpGetCommand:
		l.FetchOn = dev[a.Idx]
	}
	for i, o := range e.Allowed() {
		m2 := m.After(a, &e, i)
		next, err := id(nodeKey{k.step + 1, m2})
		if err != nil {
			return l, err
		}
		x := expectation{HR: o.HR.Hex(), Name: o.HR.String(), State: o.Next.String(), Clause: o.Clause,
			Next: next, ClearIDs: m2.State == vdi.DNE}
		if a.Op == vdi.OpGetCommand && o.HR == vdi.NOERROR {
			x.Command = &cmdWant{Code: e.WantCmd.Code, Size: e.WantCmd.Size}
		}
		l.Expect = append(l.Expect, x)
	}
	return l, nil
}

func devices() []string {
	dev := make([]string, vdi.MaxDevices+1)
	for i := range dev {
		dev[i] = vdiapi.DeviceName(replaySet, i)
	}
	return dev
}
