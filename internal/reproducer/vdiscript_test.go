package reproducer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/failfile"
	"github.com/specgate/specgate/internal/runner"
	"github.com/specgate/specgate/internal/shim"
	"github.com/specgate/specgate/internal/vdiapi"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/vdi"
)

// replayWire replays seq the way `specgate replay` does against the
// reference shim (over a pipe) and returns every line sent and received.
func replayWire(t *testing.T, profile string, ff *failfile.File) (sent, recv []string) {
	t.Helper()
	a, b := net.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = shim.Serve(ctx, b, b, vdiref.New(vdiref.Options{Profile: profile}))
		b.Close()
	}()
	cl := shim.DialConn(a, shim.Options{Transcript: func(dir string, line []byte) {
		if dir == shim.DirSend {
			sent = append(sent, string(line))
		} else {
			recv = append(recv, string(line))
		}
	}})
	defer func() { cl.Shutdown(); a.Close(); <-done }()
	if _, err := cl.Hello(ctx, profile); err != nil {
		t.Fatal(err)
	}
	if err := cl.Reset(ctx, ""); err != nil {
		t.Fatal(err)
	}
	tgt, err := runner.NewVDITarget(cl, profile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, _, err := engine.ReplaySteps(ctx, tgt, ff.Sequence, nil); err != nil || d != nil {
		t.Fatalf("reference replay: %v %v", d, err)
	}
	return sent, recv
}

// TestScriptRequestsAreTheReplayWire walks each mutant's exposing
// sequence through its script along the answers the reference gives and
// checks that every request, with the runner's ids and command ids filled
// in, is byte for byte the line `specgate replay` sends.
func TestScriptRequestsAreTheReplayWire(t *testing.T) {
	for _, mi := range vdiref.Mutants {
		for _, profile := range mi.Profiles {
			ff := &failfile.File{Model: "vdi", Profile: profile, Sequence: mi.Sequence}
			script, err := VDIScript(ff)
			if err != nil {
				t.Fatalf("%s/%s: %v", mi.Name, profile, err)
			}
			sent, recv := replayWire(t, profile, ff)
			if len(sent) < 4 {
				t.Fatalf("%s/%s: the replay sent only %d lines", mi.Name, profile, len(sent))
			}
			got := walkScript(t, script, recv)
			if strings.Join(got, "\n") != strings.Join(sent, "\n") {
				t.Errorf("%s/%s: script requests differ from the replay wire\nscript:\n%s\nwire:\n%s",
					mi.Name, profile, strings.Join(got, "\n"), strings.Join(sent, "\n"))
			}
		}
	}
}

// walkScript plays run.py's part in Go: it renders the requests of the
// script along the answers in recv and returns them.
func walkScript(t *testing.T, script []byte, recv []string) []string {
	t.Helper()
	var setup, teardown []setupLine
	nodes := map[int]stepLine{}
	sc := bufio.NewScanner(bytes.NewReader(script))
	sc.Buffer(nil, 1<<20)
	for n := 0; sc.Scan(); n++ {
		var probe struct {
			Phase string `json:"phase"`
		}
		json.Unmarshal(sc.Bytes(), &probe)
		switch {
		case n == 0:
		case probe.Phase == "setup" || probe.Phase == "teardown":
			var l setupLine
			json.Unmarshal(sc.Bytes(), &l)
			if probe.Phase == "setup" {
				setup = append(setup, l)
			} else {
				teardown = append(teardown, l)
			}
		default:
			var l stepLine
			json.Unmarshal(sc.Bytes(), &l)
			nodes[l.Node] = l
		}
	}
	var out []string
	id := 0
	render := func(req json.RawMessage, cmd *uint64) string {
		id++
		s := strings.Replace(string(req), `"id":0,`, `"id":`+itoa(id)+`,`, 1)
		if cmd != nil {
			s = strings.Replace(s, `"command":0,`, `"command":`+utoa(*cmd)+`,`, 1)
		}
		out = append(out, s)
		return s
	}
	for _, l := range setup {
		render(l.Request, nil)
	}
	fetched := map[string][]uint64{}
	for node := 0; node != -1; {
		l, ok := nodes[node]
		if !ok {
			t.Fatalf("script has no node %d", node)
		}
		if l.Skip {
			node = *l.Next
			continue
		}
		var cmd *uint64
		if l.CommandOf != "" {
			v := uint64(0)
			if q := fetched[l.CommandOf]; len(q) > 0 {
				v = q[0]
			}
			cmd = &v
		}
		render(l.Request, cmd)
		var resp struct {
			Result struct {
				HR      string         `json:"hr"`
				Command vdiapi.Command `json:"command"`
			} `json:"result"`
		}
		json.Unmarshal([]byte(recv[id-1]), &resp)
		hr, _ := shim.ParseHR(resp.Result.HR)
		next := -2
		for _, x := range l.Expect {
			if h, _ := shim.ParseHR(x.HR); h == hr {
				next = x.Next
				if l.FetchOn != "" && hr == 0 {
					fetched[l.FetchOn] = append(fetched[l.FetchOn], resp.Result.Command.ID)
				}
				if cmd != nil && *cmd != 0 && hr == 0 {
					fetched[l.CommandOf] = fetched[l.CommandOf][1:]
				}
				if x.ClearIDs {
					fetched = map[string][]uint64{}
				}
			}
		}
		if next == -2 {
			t.Fatalf("step %d: reference answered %s, not in the script's expectations %+v", l.Step, resp.Result.HR, l.Expect)
		}
		node = next
	}
	for _, l := range teardown {
		render(l.Request, nil)
	}
	return out
}

func itoa(i int) string    { return utoa(uint64(i)) }
func utoa(v uint64) string { b, _ := json.Marshal(v); return string(b) }

// TestExportIsDeterministic: the same failure file exports to the same
// bytes (no ports, times or random ids in the generated files).
func TestExportIsDeterministic(t *testing.T) {
	for _, mi := range vdiref.Mutants {
		ff := &failfile.File{Model: "vdi", Profile: mi.Profiles[0], Target: "vdi:exec:./shim", Sequence: mi.Sequence}
		for _, format := range []string{FormatVDIScript, FormatGoTest} {
			a, err := Export(ff, format, "repro_test")
			if err != nil {
				t.Fatal(err)
			}
			b, err := Export(ff, format, "repro_test")
			if err != nil {
				t.Fatal(err)
			}
			for i := range a {
				if !bytes.Equal(a[i].Data, b[i].Data) {
					t.Errorf("%s %s: %s differs between two exports", mi.Name, format, a[i].Name)
				}
			}
		}
	}
}

// TestScriptListsEveryAllowedOutcome: a call the model allows several
// answers to (server.CloseDevice after an abort: VD_E_ABORT or NOERROR)
// lists them all, and every outcome leads to a node of the next step
// (or ends the sequence).
func TestScriptListsEveryAllowedOutcome(t *testing.T) {
	// server.CloseDevice in Abort may answer VD_E_ABORT or NOERROR
	// (docs/expected/vdi.md); the server may call it once it has opened
	// the set.
	seq := []models.Action{{Op: vdi.OpCreate, Idx: -1, Arg: 1}, {Op: vdi.OpServerOpen, Idx: -1}, {Op: vdi.OpSignalAbort, Idx: -1},
		{Op: vdi.OpServerCloseDevice, Idx: 0}, {Op: vdi.OpGetConfiguration, Idx: -1}}
	script, err := VDIScript(&failfile.File{Model: "vdi", Profile: "strict", Sequence: seq})
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[int]stepLine{}
	lines := bytes.Split(bytes.TrimSpace(script), []byte("\n"))
	for _, l := range lines[3 : len(lines)-1] {
		var s stepLine
		if err := json.Unmarshal(l, &s); err != nil {
			t.Fatal(err)
		}
		nodes[s.Node] = s
	}
	multi := false
	for _, s := range nodes {
		multi = multi || len(s.Expect) > 1
		for _, x := range s.Expect {
			if n, ok := nodes[x.Next]; x.Next != -1 && (!ok || n.Step != s.Step+1) {
				t.Errorf("node %d (step %d): outcome %s leads to node %d, not a node of step %d", s.Node, s.Step, x.Name, x.Next, s.Step+1)
			}
			if x.Next == -1 && s.Step != len(seq) {
				t.Errorf("node %d: outcome %s ends the sequence at step %d of %d", s.Node, x.Name, s.Step, len(seq))
			}
		}
	}
	if !multi {
		t.Fatalf("no step lists several outcomes:\n%s", script)
	}
}
