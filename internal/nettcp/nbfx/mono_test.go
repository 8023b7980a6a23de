package nbfx

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/specgate/specgate/internal/nettcp/nmf"
	"github.com/specgate/specgate/internal/soap"
)

// Captures of a Mono 6.8 NetTcpBinding client and server (SecurityMode.None),
// rebuilt from the annotated dump of the Initialize request (every string
// is spelled out there) and the descriptions of the other messages. The
// rebuilt payloads have exactly the sizes of the capture table (320, 254,
// 283, 292 bytes), which checks the reconstruction. The 16 UniqueId bytes
// are not in the document; any value works.

var monoUUID = []byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}

// monoMessageID is what monoUUID reads as (.NET Guid byte order).
const monoMessageID = "urn:uuid:03020100-0504-0706-0809-0a0b0c0d0e0f"

type bb struct{ b []byte }

func (w *bb) raw(bs ...byte) *bb { w.b = append(w.b, bs...); return w }
func (w *bb) str(s string) *bb   { w.b = append(w.b, s...); return w }

// chars8 appends a length byte and s.
func (w *bb) chars8(s string) *bb { return w.raw(byte(len(s))).str(s) }

// monoHeaderStart: in-band dictionary block, <s:Envelope xmlns:s xmlns:a><s:Header>.
func monoHeaderStart(dict ...string) *bb {
	var blk []byte
	for _, s := range dict {
		blk = append(blk, byte(len(s)))
		blk = append(blk, s...)
	}
	w := &bb{}
	w.raw(byte(len(blk))).raw(blk...)
	w.raw(0x56, 0x02)                                   // <s:Envelope>  PrefixDictionaryElementS, dict[2]
	w.raw(0x0b, 0x01, 's', 0x04, 0x0b, 0x01, 'a', 0x06) // xmlns:s=dict[4] xmlns:a=dict[6]
	w.raw(0x56, 0x08)                                   // <s:Header>
	return w
}

// action appends <a:Action s:mustUnderstand="1">v</a:Action>.
func (w *bb) action(v string) *bb {
	return w.raw(0x44, 0x0a, 0x1e, 0x00, 0x82, 0x99).chars8(v)
}

// requestHeaders appends MessageID, ReplyTo (inline Address and anonymous
// URI, as Mono writes them) and To.
func (w *bb) requestHeaders(to string) *bb {
	w.raw(0x44, 0x1a, 0xad).raw(monoUUID...)                                                   // <a:MessageID>
	w.raw(0x44, 0x2c, 0x5e, 0x07).str("Address").raw(0x99).chars8(soap.WSAAnonymous).raw(0x01) // <a:ReplyTo>
	return w.raw(0x44, 0x0c, 0x1e, 0x00, 0x82, 0x99).chars8(to)                                // <a:To s:mustUnderstand="1">
}

// bodyStart appends </s:Header><s:Body><op xmlns="http://Microsoft.Windows.Ipam">.
func (w *bb) bodyStart(op string) *bb {
	return w.raw(0x01, 0x56, 0x0e, 0x40).chars8(op).raw(0x08).chars8(soap.NSIpam)
}

const monoTo = "net.tcp://127.0.0.1:8808/ipam"
const monoCallbackTo = "net.tcp://127.0.0.1:51770/"

// monoInitializeRequest is the C→S Initialize request, 320 bytes.
func monoInitializeRequest() []byte {
	w := monoHeaderStart("clientName").action(soap.ActionInitializeAsyncSchemaConversion).requestHeaders(monoTo)
	w.bodyStart("InitializeAsyncSchemaConversion")
	w.raw(0x42, 0x01, 0x99).chars8("go-peer-test") // <clientName>go-peer-test</clientName>, session id 1
	return w.raw(0x01, 0x01, 0x01).b
}

// monoInitializeResponse is the S→C response, 254 bytes.
func monoInitializeResponse() []byte {
	w := monoHeaderStart("InitializeAsyncSchemaConversionResult").action(soap.ActionInitializeAsyncSchemaConversionResponse)
	w.raw(0x44, 0x12, 0xad).raw(monoUUID...) // <a:RelatesTo>
	w.bodyStart("InitializeAsyncSchemaConversionResponse")
	w.raw(0x42, 0x01, 0x87) // <InitializeAsyncSchemaConversionResult>true</…>
	return w.raw(0x01, 0x01, 0x01).b
}

// monoStart is the C→S one-way Start, 283 bytes, empty dictionary block.
func monoStart() []byte {
	w := monoHeaderStart().action(soap.ActionStartAsyncSchemaConversion).requestHeaders(monoTo)
	w.bodyStart("StartAsyncSchemaConversion")
	return w.raw(0x01, 0x01, 0x01).b
}

// monoNotifyStart is the S→C NotifyStart callback, 292 bytes.
func monoNotifyStart() []byte {
	w := monoHeaderStart().action(soap.ActionNotifyAsyncSchemaConversionStart).requestHeaders(monoCallbackTo)
	w.bodyStart("NotifyAsyncSchemaConversionStart")
	return w.raw(0x01, 0x01, 0x01).b
}

// monoNotifyCheckpoint follows the capture's S→C dictionary blocks:
// "percent" (id 3) and "message" (id 5) added. Its values (and so its
// size) are not in the document.
func monoNotifyCheckpoint() []byte {
	w := monoHeaderStart("percent", "message").action(soap.ActionNotifyAsyncSchemaConversionCheckpoint).requestHeaders(monoCallbackTo)
	w.bodyStart("NotifyAsyncSchemaConversionCheckpoint")
	w.raw(0x42, 0x03, 0x89, 50)                // <percent>50</percent> (Int8TextWithEndElement)
	w.raw(0x42, 0x05, 0x99).chars8("half way") // <message>half way</message>
	return w.raw(0x01, 0x01, 0x01).b
}

// monoNotifyComplete adds "success" (id 7) and reuses "message" (id 5).
func monoNotifyComplete() []byte {
	w := monoHeaderStart("success").action(soap.ActionNotifyAsyncSchemaConversionComplete).requestHeaders(monoCallbackTo)
	w.bodyStart("NotifyAsyncSchemaConversionComplete")
	w.raw(0x42, 0x07, 0x87)                // <success>true</success>
	w.raw(0x42, 0x05, 0x99).chars8("done") // <message>done</message>
	return w.raw(0x01, 0x01, 0x01).b
}

// monoProfile configures an encoding Session to make Mono's choices for
// these messages: Address and the anonymous URI inline, only the
// operation parameters in the session dictionary.
func monoProfile(s *Session) *Session {
	s.InlineStatic = func(v string) bool { return v == "Address" || v == soap.WSAAnonymous }
	params := map[string]bool{"clientName": true, "InitializeAsyncSchemaConversionResult": true,
		"percent": true, "message": true, "success": true}
	s.SessionName = func(v string) bool { return params[v] }
	return s
}

const envOpen = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>`

func monoRequestXML(action, to, body string) string {
	return envOpen + `<a:Action s:mustUnderstand="1">` + action + `</a:Action>` +
		`<a:MessageID>` + monoMessageID + `</a:MessageID>` +
		`<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>` +
		`<a:To s:mustUnderstand="1">` + to + `</a:To></s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
}

func TestMonoCaptureSizes(t *testing.T) {
	for _, c := range []struct {
		name   string
		b      []byte
		size   int
		header string
	}{
		{"Initialize request", monoInitializeRequest(), 320, "06 c0 02"},
		{"Initialize response", monoInitializeResponse(), 254, "06 fe 01"},
		{"Start", monoStart(), 283, "06 9b 02"},
		{"NotifyStart", monoNotifyStart(), 292, "06 a4 02"},
	} {
		if len(c.b) != c.size {
			t.Errorf("%s: rebuilt payload has %d bytes, capture says %d", c.name, len(c.b), c.size)
		}
		var rec bytes.Buffer
		if err := nmf.WriteSizedEnvelope(&rec, c.b); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(spaced(rec.Bytes()[:3])); got != c.header {
			t.Errorf("%s: record header %s, capture %s", c.name, got, c.header)
		}
	}
	// The first bytes of the request are exactly the annotated ones.
	want := unhexT(t, "0b 0a 63 6c 69 65 6e 74 4e 61 6d 65 56 02 0b 01 73 04 0b 01 61 06 56 08 44 0a 1e 00 82 99 58")
	if got := monoInitializeRequest()[:len(want)]; !bytes.Equal(got, want) {
		t.Fatalf("request starts\n% x\nwant\n% x", got, want)
	}
}

func TestDecodeMonoCaptures(t *testing.T) {
	c2s, s2c := NewSession(Limits{}), NewSession(Limits{})
	cases := []struct {
		name string
		sess *Session
		b    []byte
		xml  string
		dict []string
	}{
		{"Initialize request", c2s, monoInitializeRequest(),
			monoRequestXML(soap.ActionInitializeAsyncSchemaConversion, monoTo,
				`<InitializeAsyncSchemaConversion xmlns="http://Microsoft.Windows.Ipam"><clientName>go-peer-test</clientName></InitializeAsyncSchemaConversion>`),
			[]string{"clientName"}},
		{"Initialize response", s2c, monoInitializeResponse(),
			envOpen + `<a:Action s:mustUnderstand="1">` + soap.ActionInitializeAsyncSchemaConversionResponse + `</a:Action>` +
				`<a:RelatesTo>` + monoMessageID + `</a:RelatesTo></s:Header><s:Body>` +
				`<InitializeAsyncSchemaConversionResponse xmlns="http://Microsoft.Windows.Ipam"><InitializeAsyncSchemaConversionResult>true</InitializeAsyncSchemaConversionResult></InitializeAsyncSchemaConversionResponse></s:Body></s:Envelope>`,
			[]string{"InitializeAsyncSchemaConversionResult"}},
		{"Start", c2s, monoStart(),
			monoRequestXML(soap.ActionStartAsyncSchemaConversion, monoTo, `<StartAsyncSchemaConversion xmlns="http://Microsoft.Windows.Ipam"/>`),
			[]string{"clientName"}},
		{"NotifyStart", s2c, monoNotifyStart(),
			monoRequestXML(soap.ActionNotifyAsyncSchemaConversionStart, monoCallbackTo, `<NotifyAsyncSchemaConversionStart xmlns="http://Microsoft.Windows.Ipam"/>`),
			[]string{"InitializeAsyncSchemaConversionResult"}},
		{"NotifyCheckpoint", s2c, monoNotifyCheckpoint(),
			monoRequestXML(soap.ActionNotifyAsyncSchemaConversionCheckpoint, monoCallbackTo,
				`<NotifyAsyncSchemaConversionCheckpoint xmlns="http://Microsoft.Windows.Ipam"><percent>50</percent><message>half way</message></NotifyAsyncSchemaConversionCheckpoint>`),
			[]string{"InitializeAsyncSchemaConversionResult", "percent", "message"}},
		{"NotifyComplete", s2c, monoNotifyComplete(),
			monoRequestXML(soap.ActionNotifyAsyncSchemaConversionComplete, monoCallbackTo,
				`<NotifyAsyncSchemaConversionComplete xmlns="http://Microsoft.Windows.Ipam"><success>true</success><message>done</message></NotifyAsyncSchemaConversionComplete>`),
			[]string{"InitializeAsyncSchemaConversionResult", "percent", "message", "success"}},
	}
	for _, c := range cases {
		got, err := c.sess.Decode(c.b)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if string(got) != c.xml {
			t.Fatalf("%s:\n got %s\nwant %s", c.name, got, c.xml)
		}
		if d := c.sess.Strings(); strings.Join(d, "|") != strings.Join(c.dict, "|") {
			t.Fatalf("%s: session table %q, want %q", c.name, d, c.dict)
		}
		env, err := soap.Parse(got, soap.Limits{})
		if err != nil {
			t.Fatalf("%s: soap.Parse: %v", c.name, err)
		}
		if !env.Header.ActionMustUnderstand || env.Header.Action == "" {
			t.Fatalf("%s: header %+v", c.name, env.Header)
		}
	}
	// The Initialize request in the shared model.
	x, err := NewSession(Limits{}).Decode(monoInitializeRequest())
	if err != nil {
		t.Fatal(err)
	}
	env, err := soap.Parse(x, soap.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	h := env.Header
	if h.Action != soap.ActionInitializeAsyncSchemaConversion || !h.ActionMustUnderstand ||
		h.MessageID != monoMessageID || h.ReplyTo != soap.WSAAnonymous ||
		h.To != monoTo || !h.ToMustUnderstand || h.RelatesTo != "" || len(h.Unknown) != 0 {
		t.Fatalf("header %+v", h)
	}
	if env.Body.Name != (xml.Name{Space: soap.NSIpam, Local: "InitializeAsyncSchemaConversion"}) {
		t.Fatalf("body %v", env.Body.Name)
	}
	if want := `<InitializeAsyncSchemaConversion xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns="http://Microsoft.Windows.Ipam"><clientName>go-peer-test</clientName></InitializeAsyncSchemaConversion>`; string(env.Body.Inner) != want {
		t.Fatalf("body inner %s", env.Body.Inner)
	}
	// The response parses as the IPAM bool shape.
	x, err = NewSession(Limits{}).Decode(monoInitializeResponse())
	if err != nil {
		t.Fatal(err)
	}
	env, err = soap.Parse(x, soap.Limits{})
	if err != nil || env.Header.RelatesTo != monoMessageID || env.Header.To != "" {
		t.Fatalf("response %+v %v", env, err)
	}
}

// TestReencodeMonoCaptures: with Mono's choices configured, Encode writes
// the captured bytes back exactly, across a session in each direction.
func TestReencodeMonoCaptures(t *testing.T) {
	decC2S, decS2C := NewSession(Limits{}), NewSession(Limits{})
	encC2S, encS2C := monoProfile(NewSession(Limits{})), monoProfile(NewSession(Limits{}))
	for _, c := range []struct {
		name     string
		dec, enc *Session
		b        []byte
	}{
		{"Initialize request", decC2S, encC2S, monoInitializeRequest()},
		{"Initialize response", decS2C, encS2C, monoInitializeResponse()},
		{"Start", decC2S, encC2S, monoStart()},
		{"NotifyStart", decS2C, encS2C, monoNotifyStart()},
		{"NotifyCheckpoint", decS2C, encS2C, monoNotifyCheckpoint()},
		{"NotifyComplete", decS2C, encS2C, monoNotifyComplete()},
	} {
		x, err := c.dec.Decode(c.b)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, err := c.enc.Encode(x)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !bytes.Equal(b, c.b) {
			t.Fatalf("%s: re-encoded\n% x\nwant\n% x", c.name, b, c.b)
		}
	}
	if a, b := encS2C.Strings(), decS2C.Strings(); strings.Join(a, "|") != strings.Join(b, "|") {
		t.Fatalf("encoder table %q, decoder table %q", a, b)
	}
}

// TestEncodeDefaultChoices: without a profile, Encode takes wsa:Address
// and the anonymous URI from the static dictionary and puts every other
// name in the session dictionary.
func TestEncodeDefaultChoices(t *testing.T) {
	x, err := NewSession(Limits{}).Decode(monoInitializeRequest())
	if err != nil {
		t.Fatal(err)
	}
	enc := NewSession(Limits{})
	b, err := enc.Encode(x)
	if err != nil {
		t.Fatal(err)
	}
	if got := enc.Strings(); strings.Join(got, "|") != "InitializeAsyncSchemaConversion|http://Microsoft.Windows.Ipam|clientName" {
		t.Fatalf("session %q", got)
	}
	// <a:ReplyTo><a:Address>dict[0x14]</a:Address></a:ReplyTo>
	if !bytes.Contains(b, []byte{0x44, 0x2c, 0x44, 0x2a, 0xab, 0x14, 0x01}) {
		t.Fatalf("ReplyTo not from the static dictionary:\n% x", b)
	}
	// <InitializeAsyncSchemaConversion xmlns=…><clientName>
	if !bytes.Contains(b, []byte{0x42, 0x01, 0x0a, 0x03, 0x42, 0x05, 0x99}) {
		t.Fatalf("body names not from the session dictionary:\n% x", b)
	}
	if len(b) >= 320 {
		t.Fatalf("default encoding %d bytes, not smaller than Mono's 320", len(b))
	}
	back, err := NewSession(Limits{}).Decode(b)
	if err != nil || !bytes.Equal(back, x) {
		t.Fatalf("decode of re-encoding: %v\n%s\n%s", err, back, x)
	}
}
