package shim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

type rpcReply struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  map[string]any  `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func serveLines(t *testing.T, in string) []rpcReply {
	t.Helper()
	var out bytes.Buffer
	if err := Serve(context.Background(), strings.NewReader(in), &out, fakeImpl{}); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	var replies []rpcReply
	for _, line := range strings.SplitAfter(out.String(), "\n") {
		if line == "" {
			continue
		}
		if !strings.HasSuffix(line, "\n") {
			t.Fatalf("unterminated output line %q", line)
		}
		var r rpcReply
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("Serve wrote invalid JSON %q: %v", line, err)
		}
		if r.JSONRPC != "2.0" {
			t.Errorf("reply without jsonrpc 2.0: %q", line)
		}
		replies = append(replies, r)
	}
	return replies
}

func TestServeErrors(t *testing.T) {
	cases := []struct {
		in      string
		id      string
		code    int
		message string // substring
	}{
		{`not json`, "null", CodeParseError, "parse error"},
		{`{"jsonrpc":"2.0","id":1,"method":"vdi.Close","params":{"set":"a"}`, "null", CodeParseError, "parse error"},
		{`[{"jsonrpc":"2.0","id":1,"method":"vdi.Close","params":{"set":"a"}}]`, "null", CodeInvalidRequest, "batches"},
		{`"just a string"`, "null", CodeInvalidRequest, "not a JSON object"},
		{`{"jsonrpc":"2.0","method":"vdi.Close","params":{"set":"a"}}`, "null", CodeInvalidRequest, "id"},
		{`{"jsonrpc":"2.0","id":{"x":1},"method":"vdi.Close","params":{"set":"a"}}`, "null", CodeInvalidRequest, "id"},
		{`{"jsonrpc":"1.0","id":1,"method":"vdi.Close","params":{"set":"a"}}`, "1", CodeInvalidRequest, `"jsonrpc" must be "2.0"`},
		{`{"id":2,"method":"vdi.Close","params":{"set":"a"}}`, "2", CodeInvalidRequest, `"jsonrpc" must be "2.0"`},
		{`{"jsonrpc":"2.0","id":3,"params":{"set":"a"}}`, "3", CodeInvalidRequest, `"method"`},
		{`{"jsonrpc":"2.0","id":4,"method":7,"params":{"set":"a"}}`, "4", CodeInvalidRequest, "method"},
		{`{"jsonrpc":"2.0","id":5,"method":"vdi.Nope","params":{}}`, "5", CodeMethodNotFound, "vdi.Nope"},
		{`{"jsonrpc":"2.0","id":6,"method":"vdi.Close","params":{}}`, "6", CodeInvalidParams, "params.set"},
		{`{"jsonrpc":"2.0","id":7,"method":"vdi.Close"}`, "7", CodeInvalidParams, "params.set"},
		{`{"jsonrpc":"2.0","id":8,"method":"vdi.Close","params":{"set":5}}`, "8", CodeInvalidParams, "params.set"},
		{`{"jsonrpc":"2.0","id":"s9","method":"vdi.Close","params":["a"]}`, `"s9"`, CodeInvalidParams, "params must be an object"},
		{`{"jsonrpc":"2.0","id":10,"method":"vdi.OpenDevice","params":{"set":"a"}}`, "10", CodeInvalidParams, "params.device"},
		{`{"jsonrpc":"2.0","id":11,"method":"vdi.CreateEx","params":{"set":"a"}}`, "11", CodeInvalidParams, "params.config"},
		{`{"jsonrpc":"2.0","id":12,"method":"vdi.CompleteCommand","params":{"set":"a","device":"a"}}`, "12", CodeInvalidParams, "params.command"},
		{`{"jsonrpc":"2.0","id":13,"method":"server.Open","params":{"set":"a"}}`, "13", CodeInvalidParams, "params.devices"},
		{`{"jsonrpc":"2.0","id":14,"method":"server.SendCommand","params":{"set":"a","device":"a"}}`, "14", CodeInvalidParams, "params.code"},
		{`{"jsonrpc":"2.0","id":15,"method":"vdi.GetCommand","params":{"set":"a","device":"a","timeout":-1}}`, "15", CodeInvalidParams, "params.timeout"},
		{`{"jsonrpc":"2.0","id":16,"method":"shim.hello","params":{"profile":"x"}}`, "16", CodeInvalidParams, "params.protocol"},
		{`{"jsonrpc":"2.0","id":17,"method":"vdi.Close","params":{"set":"fail"}}`, "17", CodeInternalError, "fake failure"},
		{`{"jsonrpc":"2.0","id":18,"method":"shim.reset","params":{"set":"fail"}}`, "18", CodeInternalError, "fake failure"},
		{`{"jsonrpc":"2.0","id":19,"method":"vdi.Close","params":{"set":"a"}` + strings.Repeat(" ", MaxLineBytes) + `}`, "null", CodeInvalidRequest, "longer than 1 MiB"},
	}
	var in strings.Builder
	for _, tc := range cases {
		in.WriteString(tc.in + "\n")
	}
	replies := serveLines(t, in.String())
	if len(replies) != len(cases) {
		t.Fatalf("got %d replies to %d requests", len(replies), len(cases))
	}
	for i, tc := range cases {
		r := replies[i]
		name := tc.in[:min(len(tc.in), 60)]
		if r.Error == nil {
			t.Errorf("%s: no error, result %v", name, r.Result)
			continue
		}
		if string(r.ID) != tc.id || r.Error.Code != tc.code || !strings.Contains(r.Error.Message, tc.message) {
			t.Errorf("%s:\n got id %s code %d %q\nwant id %s code %d ~%q", name, r.ID, r.Error.Code, r.Error.Message, tc.id, tc.code, tc.message)
		}
		if r.Result != nil {
			t.Errorf("%s: error reply also carries a result", name)
		}
	}
}

func TestServeFraming(t *testing.T) {
	// Blank lines are skipped, CRLF is accepted, a final line without a
	// terminator is still answered, string ids are echoed verbatim.
	in := "\n  \n" +
		`{"jsonrpc":"2.0","id":1,"method":"vdi.Close","params":{"set":"a"}}` + "\r\n" +
		`{"jsonrpc":"2.0","id":"x-2","method":"vdi.SignalAbort","params":{"set":"b"}}`
	replies := serveLines(t, in)
	if len(replies) != 2 {
		t.Fatalf("got %d replies, want 2", len(replies))
	}
	if string(replies[0].ID) != "1" || replies[0].Result["hr"] != FormatHR(sum("Close", "a")) {
		t.Errorf("reply 0 = %+v", replies[0])
	}
	if string(replies[1].ID) != `"x-2"` || replies[1].Result["hr"] != FormatHR(sum("SignalAbort", "b")) {
		t.Errorf("reply 1 = %+v", replies[1])
	}
}

func TestServeCrash(t *testing.T) {
	var code int
	old := ExitFunc
	ExitFunc = func(c int) { code = c }
	defer func() { ExitFunc = old }()
	in := `{"jsonrpc":"2.0","id":1,"method":"vdi.Close","params":{"set":"a"}}` + "\n" +
		`{"jsonrpc":"2.0","id":2,"method":"vdi.Close","params":{"set":"crash"}}` + "\n" +
		`{"jsonrpc":"2.0","id":3,"method":"vdi.Close","params":{"set":"a"}}` + "\n"
	var out bytes.Buffer
	err := Serve(context.Background(), strings.NewReader(in), &out, fakeImpl{})
	if !errors.Is(err, ErrCrash) {
		t.Fatalf("Serve = %v, want ErrCrash", err)
	}
	if code != CrashExitCode {
		t.Errorf("exit code %d, want %d", code, CrashExitCode)
	}
	lines := strings.Split(out.String(), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"id":1,`) || lines[1] != `{"jsonrpc":"2.0","id":` {
		t.Errorf("output %q: want the first answer then a partial line", out.String())
	}
}

func TestServeHang(t *testing.T) {
	for _, endBy := range []string{"eof", "ctx"} {
		t.Run(endBy, func(t *testing.T) {
			pr, pw := io.Pipe()
			outR, outW := io.Pipe()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- Serve(ctx, pr, outW, fakeImpl{}); outW.Close() }()
			lines := make(chan string, 4)
			go func() {
				s := bufio.NewScanner(outR)
				for s.Scan() {
					lines <- s.Text()
				}
				close(lines)
			}()
			io.WriteString(pw, `{"jsonrpc":"2.0","id":1,"method":"vdi.Close","params":{"set":"a"}}`+"\n")
			select {
			case l := <-lines:
				if !strings.Contains(l, `"id":1,`) {
					t.Fatalf("first reply %q", l)
				}
			case <-time.After(2 * time.Second):
				t.Fatal("no reply to the first request")
			}
			io.WriteString(pw, `{"jsonrpc":"2.0","id":2,"method":"vdi.GetCommand","params":{"set":"hang","device":"d"}}`+"\n")
			io.WriteString(pw, `{"jsonrpc":"2.0","id":3,"method":"vdi.Close","params":{"set":"a"}}`+"\n")
			select {
			case l, ok := <-lines:
				if ok {
					t.Fatalf("a hung server answered %q", l)
				}
				t.Fatal("output closed during the hang")
			case err := <-done:
				t.Fatalf("Serve returned %v during the hang", err)
			case <-time.After(150 * time.Millisecond):
			}
			if endBy == "eof" {
				pw.Close()
			} else {
				cancel()
			}
			select {
			case err := <-done:
				if endBy == "eof" && err != nil {
					t.Errorf("Serve = %v after EOF, want nil", err)
				}
				if endBy == "ctx" && !errors.Is(err, context.Canceled) {
					t.Errorf("Serve = %v after cancel, want context.Canceled", err)
				}
			case <-time.After(2 * time.Second):
				t.Fatal("Serve did not return after the input ended")
			}
			pw.Close()
		})
	}
}

func TestListenAndServeCrashClosesOnlyThatConnection(t *testing.T) {
	target := startTCP(t, fakeImpl{})
	addr := strings.TrimPrefix(target, "tcp://")
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(2 * time.Second))
		return c, bufio.NewReader(c)
	}
	a, ar := dial()
	defer a.Close()
	b, br := dial()
	defer b.Close()
	io.WriteString(a, `{"jsonrpc":"2.0","id":1,"method":"vdi.Close","params":{"set":"crash"}}`+"\n")
	rest, err := io.ReadAll(ar)
	if err != nil {
		t.Fatalf("read after crash: %v", err)
	}
	if string(rest) != `{"jsonrpc":"2.0","id":` {
		t.Errorf("crashed connection wrote %q, want the partial line then EOF", rest)
	}
	io.WriteString(b, `{"jsonrpc":"2.0","id":1,"method":"vdi.Close","params":{"set":"a"}}`+"\n")
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, FormatHR(sum("Close", "a"))) {
		t.Errorf("other connection: %q, %v", line, err)
	}
}

func TestListenAndServeBadAddress(t *testing.T) {
	if err := ListenAndServe(context.Background(), "no-port", fakeImpl{}, nil); err == nil {
		t.Error("ListenAndServe accepted an address without a port")
	}
}

func TestEcho(t *testing.T) {
	long := strings.Repeat("L", 300<<10)
	in := "one\n\n" + long + "\nlast-without-newline"
	var out bytes.Buffer
	if err := Echo(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != in {
		t.Errorf("Echo changed the stream (len %d -> %d)", len(in), out.Len())
	}
}
