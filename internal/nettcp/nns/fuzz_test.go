package nns

import (
	"bytes"
	"testing"
)

// FuzzParseRecords feeds arbitrary octets to the handshake and data
// message parsers: no panic, a parsed message re-encodes to the octets it
// came from, and the stream readers agree with the slice parsers.
func FuzzParseRecords(f *testing.F) {
	f.Add([]byte{0x16, 1, 0, 0, 4, 'N', 'T', 'L', 'M'})
	f.Add([]byte{0x14, 1, 0, 0, 0})
	f.Add([]byte{0x15, 1, 0, 0, 8, 0, 0, 0, 0, 0x80, 0x09, 0x03, 0x0c})
	f.Add([]byte{0x11, 0, 0, 0, 1, 2, 3})
	f.Add([]byte{0x14, 1, 0, 0xff, 0xff})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, rest, err := ParseHandshake(b); err == nil {
			enc, err := AppendHandshake(nil, h)
			if err != nil || !bytes.Equal(enc, b[:len(b)-len(rest)]) {
				t.Fatalf("handshake re-encodes to % x, want % x (%v)", enc, b[:len(b)-len(rest)], err)
			}
			r, err := ReadHandshake(bytes.NewReader(b))
			if err != nil || r.ID != h.ID || !bytes.Equal(r.Payload, h.Payload) {
				t.Fatalf("ReadHandshake disagrees: %v", err)
			}
		} else if _, err := ReadHandshake(bytes.NewReader(b)); err == nil {
			t.Fatal("ReadHandshake accepted what ParseHandshake refused")
		}
		if p, rest, err := ParseData(b); err == nil {
			if len(p) <= MaxDataPayload {
				enc, err := AppendData(nil, p)
				if err != nil || !bytes.Equal(enc, b[:len(b)-len(rest)]) {
					t.Fatalf("data re-encodes differently (%v)", err)
				}
			}
			r, err := ReadData(bytes.NewReader(b))
			if err != nil || !bytes.Equal(r, p) {
				t.Fatalf("ReadData disagrees: %v", err)
			}
		} else if _, err := ReadData(bytes.NewReader(b)); err == nil {
			t.Fatal("ReadData accepted what ParseData refused")
		}
	})
}
