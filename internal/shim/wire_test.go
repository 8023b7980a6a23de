package shim

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/vdiapi"
)

func TestDecodeResponse(t *testing.T) {
	cases := []struct {
		name string
		m    methodID
		line string
		kind Kind // 0: success
		want string
	}{
		{"ok", mClose, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x8077000C"}}`, 0, ""},
		{"lower hex and short", mClose, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x8077000c"}}`, 0, ""},
		{"extra fields ignored", mClose, `{"id":7,"jsonrpc":"2.0","result":{"hr":"0x0","note":"x"},"x":1}`, 0, ""},
		{"empty", mClose, ``, KindMalformed, "empty response line"},
		{"blank", mClose, `   `, KindMalformed, "empty response line"},
		{"not json", mClose, `hello`, KindMalformed, "response is not valid JSON (invalid character 'h' looking for beginning of value); stdout must carry protocol lines only"},
		{"truncated", mClose, `{"jsonrpc":"2.0","id":`, KindMalformed, "response is not valid JSON (unexpected end of JSON input); stdout must carry protocol lines only"},
		{"array", mClose, `[1]`, KindMalformed, "response is not a JSON object"},
		{"no jsonrpc", mClose, `{"id":7,"result":{"hr":"0x0"}}`, KindMalformed, `response lacks "jsonrpc":"2.0"`},
		{"jsonrpc 1", mClose, `{"jsonrpc":"1.0","id":7,"result":{"hr":"0x0"}}`, KindMalformed, `response lacks "jsonrpc":"2.0"`},
		{"no id", mClose, `{"jsonrpc":"2.0","result":{"hr":"0x0"}}`, KindMalformed, "response lacks an id (want 7)"},
		{"wrong id", mClose, `{"jsonrpc":"2.0","id":8,"result":{"hr":"0x0"}}`, KindMalformed, "response id 8 does not match request id 7"},
		{"string id", mClose, `{"jsonrpc":"2.0","id":"7","result":{"hr":"0x0"}}`, KindMalformed, `response id "7" does not match request id 7`},
		{"null id result", mClose, `{"jsonrpc":"2.0","id":null,"result":{"hr":"0x0"}}`, KindMalformed, "response id null does not match request id 7"},
		{"no result", mClose, `{"jsonrpc":"2.0","id":7}`, KindMalformed, "response has neither result nor error"},
		{"null result", mClose, `{"jsonrpc":"2.0","id":7,"result":null}`, KindMalformed, "response has neither result nor error"},
		{"both", mClose, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0"},"error":{"code":1,"message":"x"}}`, KindMalformed, "response has both result and error"},
		{"missing hr", mClose, `{"jsonrpc":"2.0","id":7,"result":{}}`, KindMalformed, `result lacks "hr"`},
		{"numeric hr", mClose, `{"jsonrpc":"2.0","id":7,"result":{"hr":0}}`, KindMalformed, "field result.hr has the wrong type: got number, want a string"},
		{"hr name", mClose, `{"jsonrpc":"2.0","id":7,"result":{"hr":"VD_E_PROTOCOL"}}`, KindMalformed, `result.hr "VD_E_PROTOCOL" is not an HRESULT like "0x8077000C"`},
		{"hr too long", mClose, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x180770000"}}`, KindMalformed, `result.hr "0x180770000" is not an HRESULT like "0x8077000C"`},
		{"hr no digits", mClose, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x"}}`, KindMalformed, `result.hr "0x" is not an HRESULT like "0x8077000C"`},
		{"hr decimal", mClose, `{"jsonrpc":"2.0","id":7,"result":{"hr":"2155348012"}}`, KindMalformed, `result.hr "2155348012" is not an HRESULT like "0x8077000C"`},
		{"rpc error", mClose, `{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"bad\nparams"}}`, KindRPC, `JSON-RPC error -32602: "bad\nparams"`},
		{"rpc error null id", mClose, `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`, KindRPC, `JSON-RPC error -32700: "parse error"`},
		{"rpc error wrong id", mClose, `{"jsonrpc":"2.0","id":3,"error":{"code":-32700,"message":"x"}}`, KindMalformed, "response id 3 does not match request id 7"},
		{"rpc error no code", mClose, `{"jsonrpc":"2.0","id":7,"error":{"message":"x"}}`, KindMalformed, `error object lacks "code"`},
		{"config missing", mGetConfiguration, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x00000000"}}`, KindMalformed, `result lacks "config" (required when hr is 0x00000000)`},
		{"config not needed on error", mGetConfiguration, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x80770003"}}`, 0, ""},
		{"config bad field", mGetConfiguration, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","config":{"deviceCount":-1}}}`, KindMalformed, "field result.config.deviceCount has the wrong type: got number -1, want an integer in [0, 4294967295]"},
		// NOERROR without a command is the implementation's fault: passed on as "no command".
		{"command missing", mGetCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x00000000"}}`, 0, ""},
		{"command null", mGetCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x00000000","command":null}}`, 0, ""},
		{"command id 0", mGetCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","command":{"id":0,"code":1,"size":0,"position":0}}}`, 0, ""},
		{"command not object", mGetCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","command":[1]}}`, KindMalformed, "result.command must be an object {id,code,size,position} or null when hr is 0x00000000"},
		{"command no code", mGetCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","command":{"id":1,"size":0,"position":0}}}`, KindMalformed, `result.command lacks "code"`},
		{"command no size", mGetCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","command":{"id":1,"code":1,"position":0}}}`, KindMalformed, `result.command lacks "size"`},
		{"command no position", mGetCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","command":{"id":1,"code":1,"size":0}}}`, KindMalformed, `result.command lacks "position"`},
		{"command bad type", mGetCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","command":{"id":"1","code":1,"size":0,"position":0}}}`, KindMalformed, "field result.command.id has the wrong type: got string, want an integer in [0, 18446744073709551615]"},
		{"command on timeout ignored", mGetCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x80770003","command":"junk"}}`, 0, ""},
		{"send id missing", mServerSendCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0"}}`, KindMalformed, "result.command must be the non-zero id of the queued command when hr is 0x00000000"},
		{"send id zero", mServerSendCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","command":0}}`, KindMalformed, "result.command must be the non-zero id of the queued command when hr is 0x00000000"},
		{"send id object", mServerSendCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","command":{"id":1}}}`, KindMalformed, "result.command must be the non-zero id of the queued command when hr is 0x00000000"},
		{"hello no protocol", mHello, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0"}}`, KindMalformed, `result lacks "protocol"`},
		{"hello hr", mHello, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x80004005","protocol":"p"}}`, KindRPC, "shim.hello answered hr 0x80004005"},
		{"reset hr", mReset, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x80004005"}}`, KindRPC, "shim.reset answered hr 0x80004005"},
		{"reset ok", mReset, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x00000000"}}`, 0, ""},
	}
	for _, tc := range cases {
		var r result
		err := decodeResponse([]byte(tc.line), tc.m, 7, &r)
		if tc.kind == 0 {
			if err != nil {
				t.Errorf("%s: unexpected error %v", tc.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error, want %v %q", tc.name, tc.kind, tc.want)
			continue
		}
		if err.Kind != tc.kind || err.Detail != tc.want || err.Method != tc.m.String() {
			t.Errorf("%s: got %v %s %q\n want %v %s %q", tc.name, err.Kind, err.Method, err.Detail, tc.kind, tc.m, tc.want)
		}
		if strings.ContainsAny(err.Error(), "\n\r") {
			t.Errorf("%s: Error() spans lines: %q", tc.name, err.Error())
		}
	}
}

func TestDecodeResponseValues(t *testing.T) {
	var r result
	line := `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","config":{"deviceCount":1,"features":2,"prefixZoneSize":3,"alignment":4,"softFileMarkBlockSize":5,"EOMWarningSize":6,"serverTimeOut":7,"blockSize":8,"maxIODepth":9,"maxTransferSize":10,"bufferAreaSize":4294967295}}}`
	if err := decodeResponse([]byte(line), mGetConfiguration, 7, &r); err != nil {
		t.Fatal(err)
	}
	want := vdiapi.Config{DeviceCount: 1, Features: 2, PrefixZoneSize: 3, Alignment: 4, SoftFileMarkBlockSize: 5,
		EOMWarningSize: 6, ServerTimeOut: 7, BlockSize: 8, MaxIODepth: 9, MaxTransferSize: 10, BufferAreaSize: 4294967295}
	if r.hr != 0 || r.config != want {
		t.Errorf("config = %+v, want %+v", r.config, want)
	}
	line = `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x00000000","command":{"id":18446744073709551615,"code":2,"size":65536,"position":9007199254740993}}}`
	if err := decodeResponse([]byte(line), mGetCommand, 7, &r); err != nil {
		t.Fatal(err)
	}
	if want := (vdiapi.Command{ID: ^uint64(0), Code: 2, Size: 65536, Position: 9007199254740993}); r.command != want {
		t.Errorf("command = %+v, want %+v", r.command, want)
	}
	line = `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x00000000","command":12345678901}}`
	if err := decodeResponse([]byte(line), mServerSendCommand, 7, &r); err != nil {
		t.Fatal(err)
	}
	if r.cmdID != 12345678901 {
		t.Errorf("cmdID = %d", r.cmdID)
	}
	line = `{"jsonrpc":"2.0","id":7,"result":{"hr":"0X8077000e"}}`
	if err := decodeResponse([]byte(line), mClose, 7, &r); err != nil || r.hr != 0x8077000E {
		t.Errorf("hr = %#x, %v", r.hr, err)
	}
}

func TestHR(t *testing.T) {
	for _, hr := range []uint32{0, 0x80770003, 0x8077000C, 0xFFFFFFFF, 1} {
		s := FormatHR(hr)
		if len(s) != 10 || !strings.HasPrefix(s, "0x") || strings.ToUpper(s[2:]) != s[2:] {
			t.Errorf("FormatHR(%#x) = %q", hr, s)
		}
		if got, ok := ParseHR(s); !ok || got != hr {
			t.Errorf("ParseHR(%q) = %#x, %v", s, got, ok)
		}
	}
	if FormatHR(0x8077000C) != "0x8077000C" {
		t.Errorf("FormatHR(VD_E_PROTOCOL) = %s", FormatHR(0x8077000C))
	}
	for _, bad := range []string{"", "0", "0x", "x1", "0x123456789", "0xg", "8077000C", " 0x1", "0x1 ", "-0x1", "0x+1"} {
		if v, ok := ParseHR(bad); ok {
			t.Errorf("ParseHR(%q) = %#x, want failure", bad, v)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uo\te`, "\x00\x01\x1f\n\r\t\x7f", "ünïcødé €", "\u2028", "emoji 🙂"} {
		b := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("appendJSONString(%q) = %s: %v", s, b, err)
			continue
		}
		if back != s {
			t.Errorf("appendJSONString(%q) round trip = %q", s, back)
		}
	}
	if got := string(appendJSONString(nil, "a\xffb")); got != `"a\ufffdb"` {
		t.Errorf("invalid UTF-8: %s", got)
	}
}

func TestReadLine(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	tooLong := strings.Repeat("y", MaxLineBytes+1)
	exact := strings.Repeat("z", MaxLineBytes)
	in := "a\nb\r\n" + long + "\n" + exact + "\r\n" + tooLong + "\nafter\nunterminated"
	r := bufio.NewReaderSize(strings.NewReader(in), 4096)
	var scratch []byte
	type step struct {
		line string
		err  error
	}
	var got []step
	for i := 0; i < 8; i++ {
		line, err := readLine(r, &scratch)
		got = append(got, step{string(line), err})
		if err == errLineTooLong {
			// skip the rest like Serve does
			for {
				_, e := r.ReadSlice('\n')
				if e != bufio.ErrBufferFull {
					break
				}
			}
		}
		if err == io.EOF {
			break
		}
	}
	want := []step{{"a", nil}, {"b", nil}, {long, nil}, {exact, nil}, {"", errLineTooLong}, {"after", nil}, {"unterminated", io.EOF}}
	if len(got) != len(want) {
		for _, g := range got {
			t.Logf("%d %.10q %v", len(g.line), g.line, g.err)
		}
		t.Fatalf("got %d steps, want %d", len(got), len(want))
	}
	for i := range want {
		if want[i].err == errLineTooLong {
			if !errors.Is(got[i].err, errLineTooLong) {
				t.Errorf("step %d: err %v, want errLineTooLong", i, got[i].err)
			}
			continue
		}
		if got[i].line != want[i].line || got[i].err != want[i].err {
			t.Errorf("step %d: got %.20q %v, want %.20q %v", i, got[i].line, got[i].err, want[i].line, want[i].err)
		}
	}
}

func TestReadLineStopsEarly(t *testing.T) {
	// A line that never ends must be reported once it passes the limit,
	// without reading on.
	r := bufio.NewReaderSize(io.MultiReader(strings.NewReader(strings.Repeat("x", MaxLineBytes+4096)), neverEnding{}), 4096)
	var scratch []byte
	done := make(chan error, 1)
	go func() {
		_, err := readLine(r, &scratch)
		done <- err
	}()
	select {
	case err := <-done:
		if err != errLineTooLong {
			t.Errorf("err = %v, want errLineTooLong", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("readLine kept reading an endless line")
	}
}

// neverEnding yields 'x' bytes forever.
type neverEnding struct{}

func (neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestErrorString(t *testing.T) {
	e := &Error{Kind: KindCrash, Method: "vdi.Close", Detail: "x\ny", StderrTail: "secret tail"}
	if got := e.Error(); got != "shim crash in vdi.Close: x y" {
		t.Errorf("Error() = %q", got)
	}
	e = &Error{Kind: KindUnreachable, Detail: "connection refused"}
	if got := e.Error(); got != "shim unreachable: connection refused" {
		t.Errorf("Error() = %q", got)
	}
	for k, name := range map[Kind]string{KindTimeout: "hang", KindCrash: "crash", KindMalformed: "malformed", KindRPC: "rpc-error", KindUnreachable: "unreachable"} {
		if k.String() != name {
			t.Errorf("Kind %d String() = %q, want %q", k, k.String(), name)
		}
	}
}

func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":7,"result":{"hr":"0x00000000"}}`,
		`{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","command":{"id":1,"code":2,"size":3,"position":4}}}`,
		`{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","command":5}}`,
		`{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"m"}}`,
		`{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","protocol":"specgate-vdi-shim/1","capabilities":{"server":true}}}`,
		`not json`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		for m := methodID(0); m < numMethods; m++ {
			var r result
			err := decodeResponse(line, m, 7, &r)
			if err == nil {
				// Success promises the out-values the method needs.
				// A NOERROR GetCommand without a command is passed on as
				// ID 0 for the runner to judge; one with an id carries it all.
				if m == mGetCommand && r.hr == 0 && r.command.ID == 0 && (r.command.Code != 0 || r.command.Size != 0) {
					t.Fatalf("%s returned a partial command without id: %q", m, line)
				}
				if m == mServerSendCommand && r.hr == 0 && r.cmdID == 0 {
					t.Fatalf("%s accepted command id 0: %q", m, line)
				}
				if m == mHello && r.hello.Protocol == "" {
					t.Fatalf("hello accepted without protocol: %q", line)
				}
				if !json.Valid(line) {
					t.Fatalf("%s accepted invalid JSON %q", m, line)
				}
				continue
			}
			if err.Kind != KindMalformed && err.Kind != KindRPC {
				t.Fatalf("%s: kind %v for %q", m, err.Kind, line)
			}
			msg := err.Error()
			if err.Detail == "" || strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "shim ") {
				t.Fatalf("%s: unclear error %q for %q", m, msg, line)
			}
		}
	})
}
