package report

import (
	"strings"
	"testing"
)

// FuzzParseBaseline: the baseline reader never panics and its errors are
// one line.
func FuzzParseBaseline(f *testing.F) {
	f.Add([]byte(`{"schema":"specgate/baseline","schemaVersion":1,"deviations":[{"model":"vdi","clause":"c","kind":"divergence","expected":["x"],"observed":"y","reason":"r"}]}`))
	f.Add([]byte(`{"schema":"specgate/baseline","schemaVersion":2,"deviations":[]}`))
	f.Add([]byte(`{"schema":"specgate/baseline"`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBaseline(data)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		for _, d := range b.Deviations {
			if d.Reason == "" {
				t.Fatalf("accepted a deviation without a reason: %+v", d)
			}
		}
	})
}

// FuzzParseReport: the JSON report reader (used by merge and baseline)
// never panics and its errors are one line.
func FuzzParseReport(f *testing.F) {
	f.Add([]byte(`{"schema":"specgate/report","schemaVersion":1,"run":{},"models":[],"verdict":"conformant","exitCode":0}`))
	f.Add([]byte(`{"schema":"specgate/report","schemaVersion":9}`))
	f.Add([]byte(`{"schema":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ParseJSON(data); err != nil && strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("multi-line error %q", err)
		}
	})
}
