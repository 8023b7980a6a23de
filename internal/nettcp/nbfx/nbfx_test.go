package nbfx

import (
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/specgate/specgate/internal/soap"
)

func unhexT(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func spaced(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, "%02x ", c)
	}
	return s.String()
}

func TestStaticDictionary(t *testing.T) {
	if StaticCount != 487 {
		t.Fatalf("%d strings, want 487 (ids 0x000..0x3CC)", StaticCount)
	}
	// Spot checks against [MC-NBFS] and the ids in the Mono capture.
	for id, want := range map[int]string{
		0x00: "mustUnderstand", 0x02: "Envelope", 0x04: soap.NSSoap12, 0x06: soap.NSWSA,
		0x08: "Header", 0x0A: "Action", 0x0C: "To", 0x0E: "Body", 0x12: "RelatesTo",
		0x14: soap.WSAAnonymous, 0x1A: "MessageID", 0x2A: "Address", 0x2C: "ReplyTo",
		0x84: "s", 0x86: "Fault", 0x8E: "Code", 0x90: "Reason", 0x92: "Text", 0x9A: "Value",
		0x9C: "Subcode", 0x98: "Detail", 0xA2: "", 0xA6: "FaultTo", 0xB6: "a",
		0xC6: soap.NSWSA + "/fault", 0xCE: soap.WSANone, 0x1A8: " http://schemas.xmlsoap.org/ws/2005/02/trust/tlsnego",
		0x1BA: "KeyType", 0x256: "xmlns", 0x372: soap.NSXSI, 0x374: "http://www.w3.org/2001/XMLSchema",
		0x376: "nil", 0x378: "type", 0x3C2: soap.NSSoap11, 0x3CC: "detail",
	} {
		got, ok := StaticString(id)
		if !ok || got != want {
			t.Errorf("StaticString(%#x) = %q, %v; want %q", id, got, ok, want)
		}
		if want != "" {
			if back, ok := StaticID(want); !ok || back != id {
				t.Errorf("StaticID(%q) = %#x, %v", want, back, ok)
			}
		}
	}
	for _, id := range []int{-2, 1, 0x3CE, 0x3CD} {
		if _, ok := StaticString(id); ok {
			t.Errorf("StaticString(%#x) defined", id)
		}
	}
	seen := map[string]int{}
	for i, s := range staticStrings {
		if j, dup := seen[s]; dup {
			t.Errorf("%q at ids %#x and %#x", s, 2*j, 2*i)
		}
		seen[s] = i
	}
}

// dec decodes an NBFS document (no dictionary block) built from hex.
func decHex(t *testing.T, h string) (string, error) {
	t.Helper()
	out, err := DecodeNBFS(unhexT(t, h), Limits{})
	return string(out), err
}

func hexOf(s string) string { return hex.EncodeToString([]byte(s)) }

func TestDecodeTextRecords(t *testing.T) {
	// <a>…</a> with a ShortElement "a" (40 01 61) and one text record
	// with end element.
	cases := []struct{ rec, want string }{
		{"81", "0"}, {"83", "1"}, {"85", "false"}, {"87", "true"},
		{"89 fb", "-5"}, {"8b 00 80", "-32768"}, {"8d ff ff ff 7f", "2147483647"},
		{"8f 00 00 00 00 00 00 00 80", "-9223372036854775808"},
		{"b3 ff ff ff ff ff ff ff ff", "18446744073709551615"},
		{"91 00 00 c0 3f", "1.5"}, {"93 00 00 00 00 00 00 f8 3f", "1.5"},
		{"93 00 00 00 00 00 00 f0 7f", "INF"}, {"93 00 00 00 00 00 00 f0 ff", "-INF"},
		{"93 00 00 00 00 00 00 f8 7f", "NaN"}, {"93 00 00 00 00 00 00 00 80", "-0"},
		{"93 00 00 00 00 80 84 2e 41", "1000000"}, {"93 00 80 e0 37 79 c3 41 43", "1E+16"},
		{"93 f1 68 e3 88 b5 f8 e4 3e", "1E-05"}, {"93 2d 43 1c eb e2 36 1a 3f", "0.0001"},
		// Decimal 1.50: scale 2, value 150.
		{"95 00 00 02 00 00 00 00 00 96 00 00 00 00 00 00 00", "1.50"},
		{"95 00 00 03 80 00 00 00 00 05 00 00 00 00 00 00 00", "-0.005"},
		{"95 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00", "18446744073709551616"},
		// DateTime 1970-01-01T00:00:00Z (ticks 621355968000000000, kind UTC).
		{"97 00 80 b5 f7 f5 7f 9f 48", "1970-01-01T00:00:00Z"},
		{"97 00 80 b5 f7 f5 7f 9f 08", "1970-01-01T00:00:00"},
		{"97 05 80 b5 f7 f5 7f 9f 88", "1970-01-01T00:00:00.0000005"},
		{"97 00 00 00 00 00 00 00 00", "0001-01-01T00:00:00"},
		{"99 03 " + hexOf("a<b"), "a&lt;b"},
		{"9b 03 00 " + hexOf("x&y"), "x&amp;y"},
		{"9d 02 00 00 00 " + hexOf("\r\n"), "&#xD;&#xA;"},
		{"9f 03 01 02 03", "AQID"}, {"a1 01 00 ff", "/w=="}, {"a3 00 00 00 00", ""},
		{"a9", ""}, {"ab 0c", "To"}, {"ab 14", soap.WSAAnonymous},
		{"ad 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", "urn:uuid:03020100-0504-0706-0809-0a0b0c0d0e0f"},
		{"b1 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", "03020100-0504-0706-0809-0a0b0c0d0e0f"},
		// TimeSpan: 1h2m3.5s; 1 day; -1 tick; zero.
		{"af c0 02 61 ab 08 00 00 00", "PT1H2M3.5S"}, {"af 00 c0 69 2a c9 00 00 00", "P1D"},
		{"af ff ff ff ff ff ff ff ff", "-PT0.0000001S"}, {"af 00 00 00 00 00 00 00 00", "PT0S"},
		{"b5 00", "false"}, {"b5 01", "true"},
		{"b7 04 68 00 e9 00", "hé"}, {"b9 04 00 3d d8 00 de", "😀"}, {"bb 02 00 00 00 41 00", "A"},
		{"bd 01 04", "b:http://www.w3.org/2003/05/soap-envelope"},
		// A list in element content: "1 2 true".
		{"a4 82 88 02 86 a7", "1 2 true"},
	}
	for _, c := range cases {
		got, err := decHex(t, "40 01 61 "+c.rec)
		want := "<a>" + c.want + "</a>"
		if c.want == "" {
			want = "<a/>"
		}
		if err != nil || got != want {
			t.Errorf("text record %s: %q, %v; want %q", c.rec, got, err, want)
		}
	}
}

func TestDecodeStructureRecords(t *testing.T) {
	cases := []struct{ in, want string }{
		// Element forms.
		{"41 03 70 72 65 01 78 09 03 70 72 65 01 75 01", `<pre:x xmlns:pre="u"/>`},
		{"43 03 70 72 65 0e 09 03 70 72 65 01 75 01", `<pre:Body xmlns:pre="u"/>`},
		{"5f 01 78 27 01 79 82 09 01 62 01 75 01", `<b:x b:y="1" xmlns:b="u"/>`},
		{"42 0e 0a 04 01", `<Body xmlns="http://www.w3.org/2003/05/soap-envelope"/>`},
		// Attribute forms: Short, Attribute, ShortDictionary, Dictionary,
		// PrefixDictionary, Prefix; xmlns Short/plain/ShortDictionary/Dictionary.
		{"40 01 65 04 01 78 98 01 31 05 01 70 01 79 84 06 0c 86 07 01 70 1a a8 0b 01 70 06 01",
			`<e x="1" p:y="false" To="true" p:MessageID="" xmlns:p="http://www.w3.org/2005/08/addressing"/>`},
		{"40 01 65 08 01 75 0b 01 70 06 01", `<e xmlns="u" xmlns:p="http://www.w3.org/2005/08/addressing"/>`},
		{"40 01 66 0a 06 01", `<f xmlns="http://www.w3.org/2005/08/addressing"/>`},
		// Comment, mixed content, nested elements.
		{"02 02 68 69 40 01 61 98 01 78 40 01 62 01 02 01 63 99 01 79", `<!--hi--><a>x<b/><!--c-->y</a>`},
		// Array of three Int32 (0x8d) <i>…</i> items inside <r>.
		{"40 01 72 03 40 01 69 01 8d 03 01 00 00 00 02 00 00 00 ff ff ff ff 01", `<r><i>1</i><i>2</i><i>-1</i></r>`},
		// Array items keep their attributes; Bool and Guid arrays.
		{"40 01 72 03 40 01 62 04 01 6b 82 01 b5 02 01 00 01", `<r><b k="1">true</b><b k="1">false</b></r>`},
		// The xml prefix needs no declaration.
		{"40 01 61 05 03 78 6d 6c 04 6c 61 6e 67 98 02 65 6e 01", `<a xml:lang="en"/>`},
		// Top-level white space is dropped.
		{"98 02 20 0a 40 01 61 01 98 01 09", `<a/>`},
		// An attribute value may be a list.
		{"40 01 61 04 01 6c a4 80 82 a6 01", `<a l="0 1"/>`},
	}
	for _, c := range cases {
		got, err := decHex(t, c.in)
		if err != nil || got != c.want {
			t.Errorf("%s:\n got %q, %v\nwant %q", c.in, got, err, c.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	deep := strings.Repeat("40 01 61 ", 65) + strings.Repeat("01 ", 65)
	cases := []struct {
		in   string
		is   error
		want string
	}{
		{"", ErrMalformed, "no root element"},
		{"78", ErrMalformed, "reserved record type 0x78"},
		{"40 01 61 be", ErrMalformed, "reserved record type 0xbe"},
		{"40 01 61 01 01", ErrMalformed, "EndElement record without an open element"},
		{"40 01 61", ErrMalformed, "end of data inside element <a>"},
		{"40 01 61 01 40 01 62 01", ErrMalformed, "second root element <b>"},
		{"99 01 61", ErrMalformed, "outside any element"},
		{"98 01 61 40 01 61 01", ErrMalformed, "text outside the root element"},
		{"04 01 61 83", ErrMalformed, "outside an element start"},
		{"42 01 01", ErrMalformed, "session dictionary id 1 is not defined"},
		{"42 d0 07 01", ErrMalformed, "static dictionary id 0x3d0 is not defined"},
		{"42 80 00 01", ErrMalformed, "non-minimal"},
		{"42 ff ff ff ff 7f", ErrMalformed, "exceeds 31 bits"},
		{"40 05 61", ErrMalformed, "element name needs 5 bytes"},
		{"40 01 61 99 05 61", ErrMalformed, "Chars8Text needs 5 bytes"},
		{"40 01 61 9d ff ff ff ff", ErrMalformed, "length -1 is negative"},
		{"40 02 ff fe 01", ErrMalformed, "not UTF-8"},
		{"40 01 61 99 01 00", ErrMalformed, "U+0000"},
		{"40 01 61 99 03 ef bf be", ErrMalformed, "U+FFFE"},
		{"40 01 61 b7 01 41", ErrMalformed, "odd byte count"},
		{"40 01 61 b7 02 00 d8", ErrMalformed, "unpaired surrogate"},
		{"40 01 61 b5 02", ErrMalformed, "neither 0 nor 1"},
		{"40 01 61 bd 1a 00", ErrMalformed, "prefix 26"},
		{"40 01 61 95 00 00 1d 00 00 00 00 00 00 00 00 00 00 00 00 00", ErrMalformed, "scale 29"},
		{"40 01 61 95 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00", ErrMalformed, "sign byte"},
		{"40 01 61 97 ff ff ff ff ff ff ff 3f", ErrMalformed, "exceed DateTime.MaxValue"},
		{"40 01 61 97 00 00 00 00 00 00 00 c0", ErrMalformed, "kind 3"},
		{"40 01 61 a5", ErrMalformed, "StartListTextWithEndElement"},
		{"40 01 61 a6", ErrMalformed, "without StartListText"},
		{"40 01 61 a4 a4", ErrMalformed, "StartListText inside a list"},
		{"40 01 61 a4 83", ErrMalformed, "OneTextWithEndElement inside a list"},
		{"40 01 61 04 01 78 83 01", ErrMalformed, "WithEndElement text record"},
		{"40 01 61 04 01 78 a4 a7 01", ErrMalformed, "EndListTextWithEndElement in an attribute"},
		{"40 01 61 04 01 78 40", ErrMalformed, "ShortElement where a text record is required"},
		{"42 04 01", ErrMalformed, "not an XML name"},                   // element named by a URI
		{"40 00 01", ErrMalformed, "not an XML name"},                   // empty element name
		{"40 03 61 3a 62 01", ErrMalformed, "not an XML name"},          // a:b as a local name
		{"5e 01 61 01", ErrMalformed, "undeclared prefix \"a\""},        // <a:a>
		{"40 01 61 26 01 78 80 01", ErrMalformed, "undeclared prefix"},  // a:x="0"
		{"41 05 78 6d 6c 6e 73 01 61 01", ErrMalformed, "xmlns prefix"}, // <xmlns:a>
		{"40 01 61 04 05 78 6d 6c 6e 73 80 01", ErrMalformed, "xmlns record"},
		{"40 01 61 09 05 78 6d 6c 6e 73 01 75 01", ErrMalformed, "xmlns prefix cannot be declared"},
		{"40 01 61 09 01 70 00 01", ErrMalformed, "empty namespace"},
		{"40 01 61 09 03 78 6d 6c 01 75 01", ErrMalformed, "xml prefix"},
		{"40 01 61 09 01 70 01 75 09 01 70 01 76 01", ErrMalformed, "declared twice"},
		{"40 01 66 08 01 75 0a 06 01", ErrMalformed, "prefix \"\" declared twice"},
		{"40 01 61 04 01 78 80 04 01 78 82 01", ErrMalformed, "appears twice"},
		{"40 01 61 02 02 2d 2d 01", ErrMalformed, "comment text"},
		{"40 01 61 02 01 2d 01", ErrMalformed, "comment text"},
		{"03 40 01 61 01 8d 00", ErrMalformed, "zero items"},
		{"03 40 01 61 01 99 01", ErrMalformed, "not an array value type"},
		{"03 40 01 61 81", ErrMalformed, "ZeroTextWithEndElement instead of EndElement"},
		{"03 81", ErrMalformed, "instead of an element record"},
		{"03 40 01 61 01 8d 05 01 00 00 00", ErrMalformed, "needs more than"},
		{"03 40 01 61 01 8d 02 01 00 00 00 02 00 00 00", ErrMalformed, "second root element"},
		{deep, ErrTooDeep, "more than 64 nested elements"},
	}
	for _, c := range cases {
		got, err := decHex(t, c.in)
		if err == nil || !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %q, %v; want %v containing %q", c.in, got, err, c.is, c.want)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("%s: multi-line error %q", c.in, err)
		}
	}
	// Output size limit: a 2-byte dictionary reference expands to 46.
	in := unhexT(t, "40 01 61 "+strings.Repeat("aa 14 ", 100)+"01")
	if _, err := DecodeNBFS(in, Limits{MaxXMLBytes: 1000}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("output limit: %v", err)
	}
	if _, err := DecodeNBFS(in, Limits{MaxXMLBytes: 5000}); err != nil {
		t.Errorf("under the limit: %v", err)
	}
}

func TestSessionDictionaryBlock(t *testing.T) {
	s := NewSession(Limits{})
	// Block "ab","cd"; then <ab><cd/></ab> through ids 1 and 3.
	x, err := s.Decode(unhexT(t, "06 02 61 62 02 63 64 42 01 42 03 01 01"))
	if err != nil || string(x) != "<ab><cd/></ab>" {
		t.Fatalf("%s %v", x, err)
	}
	// Next message adds "ef" as id 5 and reuses 1.
	x, err = s.Decode(unhexT(t, "03 02 65 66 42 05 42 01 01 01"))
	if err != nil || string(x) != "<ef><ab/></ef>" {
		t.Fatalf("%s %v", x, err)
	}
	if got := s.Strings(); !reflect.DeepEqual(got, []string{"ab", "cd", "ef"}) {
		t.Fatalf("%q", got)
	}
	for id, want := range map[int]string{1: "ab", 3: "cd", 5: "ef", 2: "Envelope"} {
		if v, ok := s.Lookup(id); !ok || v != want {
			t.Errorf("Lookup(%d) = %q %v", id, v, ok)
		}
	}
	if _, ok := s.Lookup(7); ok {
		t.Error("Lookup(7) defined")
	}
	// Malformed blocks change nothing.
	for _, c := range []struct{ in, want string }{
		{"", "dictionary block size"},
		{"05 01 61", "only 2 follow"},
		{"02 03 61 62 40 01 61 01", "overruns"},
		{"02 01 ff 40 01 61 01", "not UTF-8"},
		{"02 80 00 40 01 61 01", "non-minimal"},
	} {
		if _, err := s.Decode(unhexT(t, c.in)); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
	}
	if s.Len() != 3 {
		t.Fatalf("table grew on errors: %q", s.Strings())
	}
	// A good block with bad XML after it still counts.
	if _, err := s.Decode(unhexT(t, "02 01 67 42 09")); err == nil || !strings.Contains(err.Error(), "payload offset 3") {
		t.Fatalf("%v", err)
	}
	if s.Len() != 4 {
		t.Fatalf("table %q", s.Strings())
	}
	// Limits.
	small := NewSession(Limits{MaxSessionStrings: 2})
	if _, err := small.Decode(unhexT(t, "06 01 61 01 62 01 63 42 01 01")); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("string limit: %v", err)
	}
	small = NewSession(Limits{MaxSessionBytes: 3})
	if _, err := small.Decode(unhexT(t, "06 02 61 62 02 63 64 42 01 01")); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("byte limit: %v", err)
	}
	// One session, one direction.
	if _, err := s.Encode([]byte("<a/>")); !errors.Is(err, ErrMixedUse) {
		t.Fatalf("mixed use: %v", err)
	}
	e := NewSession(Limits{})
	if _, err := e.Encode([]byte("<a/>")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Decode([]byte{0, 0x40, 1, 'a', 1}); !errors.Is(err, ErrMixedUse) {
		t.Fatalf("mixed use: %v", err)
	}
}

func TestEncodeRecords(t *testing.T) {
	cases := []struct{ in, want string }{
		{`<q/>`, "40 01 71 01"},
		{`<q></q>`, "40 01 71 01"},
		{`<a/>`, "42 b6 01 01"},
		{`<q>x</q>`, "40 01 71 99 01 78"},
		{`<q>0</q><!--c-->`, "40 01 71 81 02 01 63"},
		{`<q>-129</q>`, "40 01 71 8b 7f ff"},
		{`<q>65536</q>`, "40 01 71 8d 00 00 01 00"},
		{`<q>-4294967296</q>`, "40 01 71 8f 00 00 00 00 ff ff ff ff"},
		{`<q>18446744073709551615</q>`, "40 01 71 b3 ff ff ff ff ff ff ff ff"},
		{`<q>007</q>`, "40 01 71 99 03 30 30 37"},
		{`<q>-0</q>`, "40 01 71 99 02 2d 30"},
		{`<q>urn:uuid:03020100-0504-0706-0809-0a0b0c0d0e0f</q>`, "40 01 71 ad 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"},
		{`<q>03020100-0504-0706-0809-0a0b0c0d0e0f</q>`, "40 01 71 b1 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"},
		{`<q>urn:uuid:03020100-0504-0706-0809-0A0B0C0D0E0F</q>`, "40 01 71 99 2d " + hexOf("urn:uuid:03020100-0504-0706-0809-0A0B0C0D0E0F")},
		{`<q>Envelope</q>`, "40 01 71 ab 02"},
		{`<q x="">v<b/>w</q>`, "40 01 71 04 01 78 a8 98 01 76 40 01 62 01 99 01 77"},
		{`<q>t</q>`, "40 01 71 ab d6 03"},
		{`<pre:x xmlns:pre="http://www.w3.org/2001/XMLSchema-instance" pre:nil="true"/>`, "41 03 70 72 65 01 78 0b 03 70 72 65 f2 06 07 03 70 72 65 f6 06 86 01"},
		{`<i:x xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:nil="true"/>`, "66 01 78 0b 01 69 f2 06 14 f6 06 86 01"},
		{`<pre:Body xmlns:pre="urn:p" pre:Id="x"/>`, "43 03 70 72 65 0e 09 03 70 72 65 05 75 72 6e 3a 70 07 03 70 72 65 1c 98 01 78 01"},
		{"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<q/>\n", "40 01 71 01"},
	}
	for _, c := range cases {
		got, err := EncodeNBFS([]byte(c.in), Limits{})
		if err != nil || !bytes.Equal(got, unhexT(t, c.want)) {
			t.Errorf("%s:\n got %s %v\nwant %s", c.in, spaced(got), err, c.want)
		}
	}
	// Long text picks Chars16 / Chars32.
	long := strings.Repeat("x", 300)
	got, err := EncodeNBFS([]byte("<q>"+long+"</q>"), Limits{})
	if err != nil || !bytes.HasPrefix(got, unhexT(t, "40 01 71 9b 2c 01")) {
		t.Errorf("chars16: % x %v", got[:8], err)
	}
	long = strings.Repeat("y", 70000)
	got, err = EncodeNBFS([]byte("<q>"+long+"</q>"), Limits{})
	if err != nil || !bytes.HasPrefix(got, unhexT(t, "40 01 71 9d 70 11 01 00")) {
		t.Errorf("chars32: % x %v", got[:8], err)
	}
}

func TestEncodeErrors(t *testing.T) {
	cases := []struct {
		in   string
		is   error
		want string
	}{
		{``, ErrNotEncodable, "no root element"},
		{`<a>`, ErrNotEncodable, "end of XML inside <a>"},
		{`<a></b>`, ErrNotEncodable, "<a> closed by </b>"},
		{`<a/><b/>`, ErrNotEncodable, "second root element"},
		{`<a/>x`, ErrNotEncodable, "text outside the root element"},
		{`<!DOCTYPE a><a/>`, ErrNotEncodable, "directives"},
		{`<a><?pi x?></a>`, ErrNotEncodable, "processing instruction"},
		{`<p:a/>`, ErrNotEncodable, "undeclared prefix"},
		{`<a p:x="1"/>`, ErrNotEncodable, "undeclared prefix"},
		{`<a x="1" x="2"/>`, ErrNotEncodable, "appears twice"},
		{`<xmlns:a/>`, ErrNotEncodable, "xmlns prefix"},
		{`<a xmlns:p=""/>`, ErrNotEncodable, "empty namespace"},
		{`<a xmlns:xml="u"/>`, ErrNotEncodable, "xml prefix"},
		{`<a:b:c xmlns:a="u"/>`, ErrNotEncodable, "not XML"},
		{strings.Repeat("<a>", 65) + strings.Repeat("</a>", 65), ErrTooDeep, "more than 64"},
	}
	for _, c := range cases {
		_, err := NewSession(Limits{}).Encode([]byte(c.in))
		if err == nil || !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) || strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("%q: %v; want %v containing %q", c.in, err, c.is, c.want)
		}
	}
	if _, err := EncodeNBFS([]byte("<a>xxxxxxxxxx</a>"), Limits{MaxXMLBytes: 10}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("size limit: %v", err)
	}
	// A failed Encode leaves the session as it was.
	s := NewSession(Limits{})
	if _, err := s.Encode([]byte(`<n1><n2/><n3></n1>`)); err == nil || s.Len() != 0 {
		t.Fatalf("%v, table %q", err, s.Strings())
	}
}

// envelopes are messages as internal/soap builds them.
func envelopes() []*soap.Envelope {
	req := soap.NewRequest(soap.ActionInitializeAsyncSchemaConversion, "net.tcp://ipam.example:808/ipam", "",
		soap.InitializeAsyncSchemaConversionBody(&soap.EnumerationParameters{FetchAllData: true, Type: "b:AsyncSchemaConversionParameters"}))
	return []*soap.Envelope{
		req,
		soap.NewResponse(req, soap.ActionInitializeAsyncSchemaConversionResponse, soap.InitializeResponseBody(soap.FamilySchema)),
		soap.NewRequest(soap.ActionStartAsyncSchemaConversion, "net.tcp://ipam.example:808/ipam", "", soap.StartAsyncSchemaConversionBody()),
		soap.NewCallback(soap.ActionNotifyAsyncSchemaConversionStart, "net.tcp://10.0.0.1:51770/", soap.NotifyStartBody(soap.FamilySchema)),
		soap.NewCallback(soap.ActionNotifyAsyncSchemaConversionCheckpoint, "net.tcp://10.0.0.1:51770/", soap.NotifyCheckpointBody(soap.FamilySchema, nil)),
		soap.NewCallback(soap.ActionNotifyAsyncSchemaConversionCheckpoint, "net.tcp://10.0.0.1:51770/", soap.NotifyCheckpointBody(soap.FamilySchema, []byte(`<x k="&lt;&#34;&gt;">a &amp; &#34;b&#34; &#39;c&#39;&#xA;</x><x/>`))),
		soap.NewCallback(soap.ActionNotifyAsyncSchemaConversionComplete, "net.tcp://10.0.0.1:51770/", soap.NotifyCompleteBody(soap.FamilySchema, nil)),
		soap.NewCallback(soap.ActionNotifyAsyncSchemaConversionComplete, "net.tcp://10.0.0.1:51770/",
			soap.NotifyCompleteBody(soap.FamilySchema, &soap.IpamException{ExceptionID: "IpamSchemaConversionNotRequired", ExceptionMessage: "it\tbroke\r\n <badly> & 'q'", Inner: &soap.IpamException{ExceptionMessage: "inner"}})),
		soap.NewFaultResponse(req, &soap.Fault{Code: soap.CodeReceiver, Subcodes: []xml.Name{{Space: "urn:x", Local: "Sub"}}, Reasons: []soap.FaultText{{Lang: "en-US", Text: "boom"}}, HasDetail: true, Detail: []byte(`<d xmlns="urn:d">1</d>`)}),
		{Header: soap.Header{Action: "urn:x", Unknown: []soap.UnknownHeader{{Raw: []byte(`<h:Extra xmlns:h="urn:h" s:mustUnderstand="0">v</h:Extra>`)}}}},
		{},
	}
}

// TestRoundTripSoapEnvelopes: Decode(Encode(m)) == m byte for byte for
// envelopes Marshal writes, with a fresh session per message and with one
// session pair carried across all of them; the parsed envelopes agree.
func TestRoundTripSoapEnvelopes(t *testing.T) {
	envs := envelopes()
	enc, dec := NewSession(Limits{}), NewSession(Limits{})
	for i, env := range envs {
		m := env.Marshal()
		want, err := soap.Parse(m, soap.Limits{})
		if err != nil {
			t.Fatalf("message %d does not parse: %v", i, err)
		}
		for _, shared := range []bool{false, true} {
			e, d := NewSession(Limits{}), NewSession(Limits{})
			if shared {
				e, d = enc, dec
			}
			b, err := e.Encode(m)
			if err != nil {
				t.Fatalf("message %d (shared %v): Encode: %v", i, shared, err)
			}
			x, err := d.Decode(b)
			if err != nil {
				t.Fatalf("message %d (shared %v): Decode: %v", i, shared, err)
			}
			if !bytes.Equal(x, m) {
				t.Fatalf("message %d (shared %v):\n got %s\nwant %s", i, shared, x, m)
			}
			got, err := soap.Parse(x, soap.Limits{})
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("message %d: parsed %+v, %v; want %+v", i, got, err, want)
			}
			if !reflect.DeepEqual(e.Strings(), d.Strings()) {
				t.Fatalf("message %d: tables differ: %q vs %q", i, e.Strings(), d.Strings())
			}
		}
	}
	if enc.Len() == 0 {
		t.Fatal("shared session table stayed empty")
	}
}

// TestSessionGrowsAndReuses: the same message sent twice on one session
// carries its names the first time and only references them the second.
func TestSessionGrowsAndReuses(t *testing.T) {
	m := envelopes()[0].Marshal()
	enc, dec := NewSession(Limits{}), NewSession(Limits{})
	first, err := enc.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	n := enc.Len()
	if got := strings.Join(enc.Strings()[:3], "|"); got != "InitializeAsyncSchemaConversion|"+soap.NSIpam+"|parameters" {
		t.Fatalf("table starts %q", got)
	}
	if n == 0 || first[0] == 0 {
		t.Fatalf("first message added no strings (block % x)", first[:1])
	}
	second, err := enc.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if enc.Len() != n || second[0] != 0 {
		t.Fatalf("second message added strings: table %d→%d, block size %d", n, enc.Len(), second[0])
	}
	if len(second) >= len(first) {
		t.Fatalf("second message %d bytes, first %d", len(second), len(first))
	}
	for i, b := range [][]byte{first, second} {
		x, err := dec.Decode(b)
		if err != nil || !bytes.Equal(x, m) {
			t.Fatalf("message %d: %v\n%s", i, err, x)
		}
	}
	// A new name later in the session gets the next odd id.
	third, err := enc.Encode([]byte(`<InitializeAsyncSchemaConversion xmlns="http://Microsoft.Windows.Ipam"><brandNew/></InitializeAsyncSchemaConversion>`))
	if err != nil {
		t.Fatal(err)
	}
	id := 2*n + 1
	want := append([]byte{0x09, 0x08}, "brandNew"...)
	want = append(want, 0x42, 0x01, 0x0a, 0x03, 0x42, byte(id), 0x01, 0x01)
	if id >= 0x80 || !bytes.Equal(third, want) {
		t.Fatalf("third message\n% x\nwant\n% x", third, want)
	}
	if x, err := dec.Decode(third); err != nil || !strings.Contains(string(x), "<brandNew/>") {
		t.Fatalf("%s %v", x, err)
	}
	if !reflect.DeepEqual(enc.Strings(), dec.Strings()) {
		t.Fatalf("tables differ")
	}
}

// TestTextNormalization: XML escaped differently from EscapeText decodes
// to the same document written the EscapeText way.
func TestTextNormalization(t *testing.T) {
	in := `<q k='"a"'>"it's" &#65; <![CDATA[<x>]]>&#13;</q>`
	b, err := EncodeNBFS([]byte(in), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := DecodeNBFS(b, Limits{})
	if want := `<q k="&#34;a&#34;">&#34;it&#39;s&#34; A &lt;x&gt;&#xD;</q>`; err != nil || string(x) != want {
		t.Fatalf("%s, %v; want %s", x, err, want)
	}
}

// TestCanonicalReencode: bytes produced by Encode decode and re-encode to
// the same bytes.
func TestCanonicalReencode(t *testing.T) {
	for i, env := range envelopes() {
		b1, err := NewSession(Limits{}).Encode(env.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		x, err := NewSession(Limits{}).Decode(b1)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := NewSession(Limits{}).Encode(x)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("message %d: %v\n% x\n% x", i, err, b1, b2)
		}
	}
}

// TestEncodeSessionLimits: names beyond the table limits go inline.
func TestEncodeSessionLimits(t *testing.T) {
	s := NewSession(Limits{MaxSessionStrings: 1})
	b, err := s.Encode([]byte(`<one><two/></one>`))
	if err != nil {
		t.Fatal(err)
	}
	if want := unhexT(t, "04 03 6f 6e 65 42 01 40 03 74 77 6f 01 01"); !bytes.Equal(b, want) {
		t.Fatalf("% x", b)
	}
	x, err := NewSession(Limits{}).Decode(b)
	if err != nil || string(x) != "<one><two/></one>" {
		t.Fatalf("%s %v", x, err)
	}
}

func TestDecodedXMLIsWellFormed(t *testing.T) {
	x, err := NewSession(Limits{}).Decode(monoInitializeRequest())
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(x))
	d.Strict = true
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatal(err)
		}
	}
}

// TestPathologicalSizes: an element with very many declarations and
// attributes decodes and encodes (prefix lookups are O(1), so this is
// linear; about a second of CPU for 400,000 attributes when measured), and
// MaxXMLBytes cuts the attribute list off while it is being read.
func TestPathologicalSizes(t *testing.T) {
	const n = 50000
	var in []byte
	in = append(in, 0x40, 0x01, 'q')
	for i := 0; i < n; i++ {
		p := fmt.Sprintf("p%d", i)
		in = append(in, 0x09, byte(len(p)))
		in = append(in, p...)
		in = append(in, 0x01, 'v')
		in = append(in, 0x05, byte(len(p)))
		in = append(in, p...)
		in = append(in, 0x01, 'x', 0x80)
	}
	in = append(in, 0x01)
	x, err := DecodeNBFS(in, Limits{MaxXMLBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	b, err := EncodeNBFS(x, Limits{MaxXMLBytes: 16 << 20})
	if err != nil || !bytes.Equal(b, in) {
		t.Fatalf("re-encoding: %v", err)
	}
	// Cut off while the attributes are read (offset about 57000 of
	// about 800000), not after the whole start tag was collected.
	_, err = DecodeNBFS(in, Limits{MaxXMLBytes: 100000})
	var off int
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit: %v", err)
	}
	if _, serr := fmt.Sscanf(err.Error()[strings.Index(err.Error(), "offset"):], "offset %d", &off); serr != nil || off > len(in)/4 {
		t.Fatalf("limit: %v", err)
	}
}
