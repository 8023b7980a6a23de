package nbfx

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// FuzzNBFXDecode decodes arbitrary payloads with a fresh session. It must
// never panic; errors are single-line; whatever decodes is well-formed,
// namespace-correct XML within the limits, and encoding it and decoding
// the result gives the same XML back (and the same bytes when encoded
// twice).
func FuzzNBFXDecode(f *testing.F) {
	for _, b := range [][]byte{
		monoInitializeRequest(), monoInitializeResponse(), monoStart(), monoNotifyStart(),
		monoNotifyCheckpoint(), monoNotifyComplete(),
	} {
		f.Add(b)
	}
	for _, env := range envelopes() {
		b, err := NewSession(Limits{}).Encode(env.Marshal())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	lim := Limits{MaxDepth: 16, MaxXMLBytes: 1 << 16, MaxSessionStrings: 64, MaxSessionBytes: 4096}
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := NewSession(lim).Decode(data)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if len(x) > lim.MaxXMLBytes {
			t.Fatalf("%d bytes of XML, limit %d", len(x), lim.MaxXMLBytes)
		}
		d := xml.NewDecoder(bytes.NewReader(x))
		d.Strict = true
		for {
			if _, err := d.Token(); err != nil {
				if err == io.EOF {
					break
				}
				t.Fatalf("decoded XML does not parse: %v\n%q", err, x)
			}
		}
		b1, err := NewSession(lim).Encode(x)
		if err != nil {
			t.Fatalf("decoded XML does not encode: %v\n%q", err, x)
		}
		x2, err := NewSession(lim).Decode(b1)
		if err != nil {
			t.Fatalf("re-encoded XML does not decode: %v\n%q", err, x)
		}
		if !bytes.Equal(x, x2) {
			t.Fatalf("round trip changed the XML:\n%q\n%q", x, x2)
		}
		b2, err := NewSession(lim).Encode(x2)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("encoding is not deterministic: %v", err)
		}
		// The sessionless decoder agrees when no session string is used.
		if data[0] == 0 {
			x3, err := DecodeNBFS(data[1:], lim)
			if err != nil || !bytes.Equal(x3, x) {
				t.Fatalf("DecodeNBFS disagrees: %v", err)
			}
		}
	})
}

// FuzzNBFXEncode encodes arbitrary text. It must never panic; whatever
// encodes decodes, and encoding the decoded XML gives the same bytes.
func FuzzNBFXEncode(f *testing.F) {
	for _, env := range envelopes() {
		f.Add(env.Marshal())
	}
	f.Add([]byte(`<q k='"a"'>"it's" &#65; <![CDATA[<x>]]>&#13;<!--c--></q>`))
	lim := Limits{MaxDepth: 16, MaxXMLBytes: 1 << 16, MaxSessionStrings: 64, MaxSessionBytes: 4096}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := NewSession(lim).Encode(data)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		x, err := NewSession(lim).Decode(b)
		if err != nil {
			t.Fatalf("encoded XML does not decode: %v\n%q", err, data)
		}
		b2, err := NewSession(lim).Encode(x)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("re-encoding differs: %v\n%q\n%q", err, data, x)
		}
	})
}
