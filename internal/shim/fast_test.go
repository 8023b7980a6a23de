package shim

import (
	"reflect"
	"testing"

	"github.com/specgate/specgate/internal/vdiapi"
)

// TestFastPathsTaken makes sure the lines specgate exchanges on the hot
// path do not fall back to encoding/json.
func TestFastPathsTaken(t *testing.T) {
	responses := []struct {
		m    methodID
		line string
	}{
		{mClose, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x8077000C"}}`},
		{mGetCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x00000000","command":{"id":1,"code":2,"size":3,"position":4}}}`},
		{mGetCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x80770003"}}`},
		{mServerSendCommand, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x00000000","command":99}}`},
		{mGetConfiguration, `{"jsonrpc":"2.0","id":7,"result":{"hr":"0x00000000","config":` + string(appendConfig(nil, fakeConfig())) + `}}`},
		{mReset, ` { "id" : 7 , "jsonrpc" : "2.0" , "result" : { "hr" : "0x0" } } `},
	}
	for _, tc := range responses {
		var fast, slow result
		if !fastResponse([]byte(tc.line), tc.m, 7, &fast) {
			t.Errorf("%s: fast path not taken for %s", tc.m, tc.line)
			continue
		}
		if err := decodeResponseSlow([]byte(tc.line), tc.m, 7, &slow); err != nil || fast != slow {
			t.Errorf("%s: fast %+v, slow %+v %v", tc.m, fast, slow, err)
		}
	}
	requests := []string{
		`{"jsonrpc":"2.0","id":1,"method":"vdi.GetCommand","params":{"set":"s","device":"s.1","timeout":0}}`,
		`{"jsonrpc":"2.0","id":2,"method":"vdi.CompleteCommand","params":{"set":"s","device":"s","command":5,"completionCode":995,"bytesTransferred":4096,"position":18446744073709551615}}`,
		`{"jsonrpc":"2.0","id":3,"method":"server.Open","params":{"set":"s","devices":["s","s.1"]}}`,
		`{"jsonrpc":"2.0","id":4,"method":"vdi.CreateEx","params":{"instance":"","set":"s","config":` + string(appendConfig(nil, fakeConfig())) + `}}`,
		`{"jsonrpc":"2.0","id":5,"method":"shim.reset","params":{}}`,
	}
	for _, line := range requests {
		var fast, slow params
		id, m, ok := fastRequest([]byte(line), &fast)
		if !ok {
			t.Errorf("fast path not taken for %s", line)
			continue
		}
		sid, sm, code, msg := decodeRequestSlow([]byte(line), &slow)
		if code != 0 || string(id) != string(sid) || m != sm || !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s:\nfast %s %s %+v\nslow %s %s %+v %d %s", line, id, m, fast, sid, sm, slow, code, msg)
		}
	}
}

func fakeConfig() vdiapi.Config {
	return vdiapi.Config{DeviceCount: 1, Features: 2, PrefixZoneSize: 3, Alignment: 4, SoftFileMarkBlockSize: 5,
		EOMWarningSize: 6, ServerTimeOut: 7, BlockSize: 8, MaxIODepth: 9, MaxTransferSize: 10, BufferAreaSize: 4294967295}
}

func FuzzFastPaths(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":7,"result":{"hr":"0x00000000","command":{"id":1,"code":2,"size":3,"position":4}}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":7,"result":{"hr":"0x0","command":9,"config":{"deviceCount":1}}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":7,"method":"server.Open","params":{"set":"s","devices":["s","s.1"],"config":{"blockSize":512}}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":7,"method":"vdi.CompleteCommand","params":{"set":"s","device":"s","command":5,"position":1}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		for m := methodID(0); m < numMethods; m++ {
			var fast, slow result
			if fastResponse(line, m, 7, &fast) {
				if err := decodeResponseSlow(line, m, 7, &slow); err != nil {
					t.Fatalf("%s: fast path accepted what the slow path rejects (%v): %q", m, err, line)
				}
				if fast != slow {
					t.Fatalf("%s: fast %+v != slow %+v for %q", m, fast, slow, line)
				}
			}
		}
		var fast, slow params
		if id, m, ok := fastRequest(line, &fast); ok {
			sid, sm, code, msg := decodeRequestSlow(line, &slow)
			if code != 0 {
				t.Fatalf("fast request path accepted what the slow path rejects (%d %s): %q", code, msg, line)
			}
			if string(id) != string(sid) || m != sm || !reflect.DeepEqual(fast, slow) {
				t.Fatalf("request: fast %s %s %+v != slow %s %s %+v for %q", id, m, fast, sid, sm, slow, line)
			}
		}
	})
}
