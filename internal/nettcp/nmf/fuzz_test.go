package nmf

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzNMFRecord reads one record from arbitrary bytes: it must never panic,
// errors are single-line, and every record read re-encodes to exactly the
// bytes it was read from (sizes are minimal and chunking is kept, so the
// encoding is canonical).
func FuzzNMFRecord(f *testing.F) {
	for _, s := range []string{monoPreambleBinary, monoPreambleText, "0b", "07", "06 c0 02 56", "05 02 61 62 00", "08 05 75 72 6e 3a 78"} {
		f.Add(unhex(f, s))
	}
	lim := Limits{MaxEnvelope: 1 << 16, MaxVia: 256}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		rec, err := ReadRecordLimits(r, lim)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("multi-line error %q", err)
			}
			var fe *FaultError
			if errors.As(err, &fe) {
				if _, err := AppendRecord(nil, FaultRecord{fe.URI}); err != nil {
					t.Fatal(err)
				}
			}
			return
		}
		consumed := data[:len(data)-r.Len()]
		if e, ok := rec.(EndRecord); ok && e.EOF {
			if len(data) != 0 {
				t.Fatalf("EOF record from %d bytes", len(data))
			}
			return
		}
		b, err := AppendRecord(nil, rec)
		if err != nil {
			t.Fatalf("re-encoding %#v: %v", rec, err)
		}
		if !bytes.Equal(b, consumed) {
			t.Fatalf("re-encoded\n% x\nread from\n% x", b, consumed)
		}
	})
}
