package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t testing.TB, data []byte) *Envelope {
	t.Helper()
	env, err := Parse(data, Limits{})
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, data)
	}
	return env
}

func checkOneLine(t testing.TB, err error) {
	t.Helper()
	if err != nil && strings.ContainsAny(err.Error(), "\r\n") {
		t.Fatalf("error is not one line: %q", err.Error())
	}
}

func TestMarshalLiteralPrefixes(t *testing.T) {
	env := &Envelope{
		Header: Header{Action: ActionStartAsyncProvisioning, ActionMustUnderstand: true},
		Body:   NewBody(StartAsyncProvisioningBody()),
	}
	got := string(env.Marshal())
	want := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">` +
		`<s:Header><a:Action s:mustUnderstand="1">http://Microsoft.Windows.Ipam/IIpamAsyncProvision/StartAsyncProvisioning</a:Action></s:Header>` +
		`<s:Body><StartAsyncProvisioning xmlns="http://Microsoft.Windows.Ipam"/></s:Body></s:Envelope>`
	if got != want {
		t.Fatalf("Marshal:\n got %s\nwant %s", got, want)
	}
	if env.Body.Name != (xml.Name{Space: NSIpam, Local: "StartAsyncProvisioning"}) {
		t.Fatalf("NewBody name = %v", env.Body.Name)
	}
	empty := (&Envelope{}).Marshal()
	if string(empty) != envelopeOpen+`<s:Body/></s:Envelope>` {
		t.Fatalf("empty envelope: %s", empty)
	}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	env := &Envelope{
		Header: Header{
			Action: ActionInitializeAsyncSchemaConversion, ActionMustUnderstand: true,
			MessageID: NewMessageID(),
			RelatesTo: "urn:uuid:00000000-0000-4000-8000-000000000000",
			To:        "http://sut.example/ipam?a=1&b=<2>", ToMustUnderstand: true,
			ReplyTo: "http://127.0.0.1:1/cb/abc",
			FaultTo: "http://127.0.0.1:1/faults",
			Unknown: []UnknownHeader{
				{Name: xml.Name{Space: "urn:x", Local: "Trace"}, MustUnderstand: true},
				{Name: xml.Name{Space: "urn:y", Local: "Other"}},
			},
		},
		Body: NewBody(InitializeAsyncSchemaConversionBody(&EnumerationParameters{FetchAllData: true})),
	}
	first := env.Marshal()
	got := mustParse(t, first)
	h := got.Header
	if h.Action != env.Header.Action || !h.ActionMustUnderstand || h.MessageID != env.Header.MessageID ||
		h.RelatesTo != env.Header.RelatesTo || h.To != env.Header.To || !h.ToMustUnderstand ||
		h.ReplyTo != env.Header.ReplyTo || h.FaultTo != env.Header.FaultTo {
		t.Fatalf("header mismatch:\n got %+v\nwant %+v", h, env.Header)
	}
	if len(h.Unknown) != 2 || h.Unknown[0].Name.Local != "Trace" || !h.Unknown[0].MustUnderstand ||
		h.Unknown[1].Name != (xml.Name{Space: "urn:y", Local: "Other"}) || h.Unknown[1].MustUnderstand {
		t.Fatalf("unknown headers: %+v", h.Unknown)
	}
	if got.Body.Name != env.Body.Name {
		t.Fatalf("body name %v, want %v", got.Body.Name, env.Body.Name)
	}
	// The parsed Inner is self-contained and re-marshaling is stable after
	// one round.
	second := got.Marshal()
	third := mustParse(t, second).Marshal()
	if !bytes.Equal(second, third) {
		t.Fatalf("not idempotent:\n%s\n%s", second, third)
	}
	p, err := ParseInitializeParameters(got)
	if err != nil || p == nil || !p.FetchAllData || p.ObjectType != "AsyncSchemaConversion" {
		t.Fatalf("parameters: %+v, %v", p, err)
	}
}

func TestNewMessageID(t *testing.T) {
	a, b := NewMessageID(), NewMessageID()
	if a == b || !strings.HasPrefix(a, "urn:uuid:") || len(a) != len("urn:uuid:")+36 {
		t.Fatalf("bad ids %q %q", a, b)
	}
}

func TestParseSpecExamples(t *testing.T) {
	files, _ := filepath.Glob("testdata/spec/*.xml")
	if len(files) < 10 {
		t.Fatalf("expected spec examples, found %d", len(files))
	}
	for _, f := range files {
		if strings.Contains(f, "IpamException") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			env := mustParse(t, readFile(t, f))
			if !env.Header.ActionMustUnderstand && !strings.Contains(f, "fault") {
				t.Errorf("Action mustUnderstand not seen")
			}
		})
	}

	req := mustParse(t, readFile(t, "testdata/spec/4.1-GetCommonPropertyValue-request.xml"))
	if req.Header.Action != "http://Microsoft.Windows.Ipam/IIpamServer/GetCommonPropertyValue" ||
		req.Header.MessageID != "urn:uuid:0438627c-633b-4536-846c-31d195c8d51e" ||
		req.Header.ReplyTo != WSAAnonymous || req.Header.To != "" {
		t.Errorf("4.1 request header: %+v", req.Header)
	}
	if req.Body.Name != (xml.Name{Space: NSIpam, Local: "GetCommonPropertyValue"}) {
		t.Errorf("4.1 body: %v", req.Body.Name)
	}
	resp := mustParse(t, readFile(t, "testdata/spec/4.1-GetCommonPropertyValue-response.xml"))
	if resp.Header.RelatesTo != req.Header.MessageID || resp.Header.To != WSAAnonymous || !resp.Header.ToMustUnderstand {
		t.Errorf("4.1 response header: %+v", resp.Header)
	}

	start := mustParse(t, readFile(t, "testdata/spec/4.3-StartEnumeration.xml"))
	if start.Header.MessageID != "" || start.Header.ReplyTo != "" ||
		start.Header.Action != "http://Microsoft.Windows.Ipam/IIpamEnumerator/StartEnumeration" {
		t.Errorf("4.3 start header: %+v", start.Header)
	}

	done := mustParse(t, readFile(t, "testdata/spec/4.3-NotifyEnumerationComplete.xml"))
	n, _, err := parseElement(done.Body.Inner, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	exc := ipamExceptionFromNode(n.child("exception"))
	if !exc.Nil || exc.IsSet() {
		t.Errorf("4.3 complete exception: %+v", exc)
	}

	rows := mustParse(t, readFile(t, "testdata/spec/4.3-EnumeratedRowsCallback.xml"))
	if rows.Body.Name.Local != "EnumeratedRowsCallback" {
		t.Errorf("rows body %v", rows.Body.Name)
	}

	ka := mustParse(t, readFile(t, "testdata/spec/2.2.2.2-keepalive.xml"))
	if ka.Header.Action != ActionKeepalive || ka.Body.Name.Local != "" || len(ka.Body.Inner) != 0 {
		t.Errorf("keepalive: %+v", ka)
	}
	if info, ok := LookupAction(ka.Header.Action); !ok || info.Role != RoleKeepalive {
		t.Errorf("keepalive action lookup: %+v %v", info, ok)
	}
}

func TestParseExchangeExamples(t *testing.T) {
	files, _ := filepath.Glob("testdata/exchange/*.xml")
	for _, f := range files {
		env := mustParse(t, readFile(t, f))
		if _, ok := LookupAction(env.Header.Action); !ok && env.Header.Action != WSAFaultAction {
			t.Errorf("%s: unknown action %q", f, env.Header.Action)
		}
	}
}

func TestParseErrors(t *testing.T) {
	env12 := func(header, body string) string {
		return string(RawEnvelope(NSSoap12, header, body))
	}
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrNotXML},
		{"whitespace", "  \n ", ErrNotXML},
		{"text", "hello world", ErrNotXML},
		{"json", `{"a":1}`, ErrNotXML},
		{"unclosed", `<s:Envelope xmlns:s="` + NSSoap12 + `"><s:Body>`, ErrNotXML},
		{"mismatched", `<s:Envelope xmlns:s="` + NSSoap12 + `"><s:Body></s:Envelope>`, ErrNotXML},
		{"soap11", string(RawEnvelope(NSSoap11, "", "<x/>")), ErrSOAP11},
		{"root not envelope", `<Fault/>`, ErrNotEnvelope},
		{"envelope wrong ns", `<Envelope xmlns="urn:x"><Body/></Envelope>`, ErrNotEnvelope},
		{"envelope no ns", `<Envelope><Body/></Envelope>`, ErrNotEnvelope},
		{"undeclared prefix", `<s:Envelope><s:Body/></s:Envelope>`, ErrMalformed},
		{"undeclared header prefix", env12(`<q:X/>`, ""), ErrMalformed},
		{"undeclared attribute prefix", env12("", `<x q:y="1"/>`), ErrMalformed},
		{"empty prefix declaration", env12("", `<x xmlns:q=""/>`), ErrMalformed},
		{"stray end tag", env12("", "") + "</x>", ErrTrailingData},
		{"missing body", `<s:Envelope xmlns:s="` + NSSoap12 + `"><s:Header/></s:Envelope>`, ErrNoBody},
		{"two body children", env12("", "<a/><b/>"), ErrMultipleBodyChildren},
		{"two bodies", `<s:Envelope xmlns:s="` + NSSoap12 + `"><s:Body/><s:Body/></s:Envelope>`, ErrMalformed},
		{"header after body", `<s:Envelope xmlns:s="` + NSSoap12 + `"><s:Body/><s:Header/></s:Envelope>`, ErrMalformed},
		{"two headers", `<s:Envelope xmlns:s="` + NSSoap12 + `"><s:Header/><s:Header/><s:Body/></s:Envelope>`, ErrMalformed},
		{"foreign element", `<s:Envelope xmlns:s="` + NSSoap12 + `"><x/><s:Body/></s:Envelope>`, ErrMalformed},
		{"text in envelope", `<s:Envelope xmlns:s="` + NSSoap12 + `">junk<s:Body/></s:Envelope>`, ErrMalformed},
		{"text in body", env12("", "junk"), ErrMalformed},
		{"trailing text", env12("", "") + "garbage", ErrTrailingData},
		{"trailing element", env12("", "") + "<x/>", ErrTrailingData},
		{"trailing broken", env12("", "") + "<", ErrTrailingData},
		{"dtd", `<!DOCTYPE x [<!ENTITY a "b">]>` + env12("", ""), ErrMalformed},
		{"unknown entity", env12("", "<x>&bogus;</x>"), ErrNotXML},
		{"dup action", env12(`<a:Action>x</a:Action><a:Action>y</a:Action>`, ""), ErrMalformed},
		{"dup to", env12(`<a:To>x</a:To><a:To>y</a:To>`, ""), ErrMalformed},
		{"bad mustUnderstand", env12(`<a:Action s:mustUnderstand="yes">x</a:Action>`, ""), ErrMalformed},
		{"replyto without address", env12(`<a:ReplyTo/>`, ""), ErrMalformed},
		{"utf16 declared", `<?xml version="1.0" encoding="utf-16"?>` + env12("", ""), ErrNotXML},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.in), Limits{})
			if !errors.Is(err, c.want) {
				t.Fatalf("Parse(%q) = %v, want %v", c.in, err, c.want)
			}
			checkOneLine(t, err)
		})
	}
}

func TestParseAccepts(t *testing.T) {
	ok := []string{
		"\xef\xbb\xbf" + string(RawEnvelope(NSSoap12, "", "")),
		`<?xml version="1.0" encoding="utf-8"?><!-- c --><env:Envelope xmlns:env="` + NSSoap12 + `"><env:Body/></env:Envelope><!-- after -->` + "\n",
		`<Envelope xmlns="` + NSSoap12 + `"><Header><Action xmlns="` + NSWSA + `" mustUnderstand="1">x</Action></Header><Body/></Envelope>`,
		string(RawEnvelope(NSSoap12, `<a:Action s:mustUnderstand="true"> x </a:Action><a:RelatesTo>r1</a:RelatesTo><a:RelatesTo RelationshipType="urn:other">r2</a:RelatesTo>`, "")),
	}
	for i, in := range ok {
		env, err := Parse([]byte(in), Limits{})
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if i == 3 {
			if env.Header.Action != "x" || !env.Header.ActionMustUnderstand || env.Header.RelatesTo != "r1" || len(env.Header.Unknown) != 1 {
				t.Fatalf("header: %+v", env.Header)
			}
		}
	}
	// An unprefixed mustUnderstand is not the SOAP attribute.
	env, _ := Parse([]byte(ok[2]), Limits{})
	if env.Header.Action != "x" || env.Header.ActionMustUnderstand {
		t.Fatalf("unqualified mustUnderstand must not count: %+v", env.Header)
	}
}

func TestBodyInnerSelfContained(t *testing.T) {
	data := readFile(t, "testdata/exchange/8-fault-response.xml")
	env := mustParse(t, data)
	if !env.Body.IsFault() {
		t.Fatalf("not a fault body: %v", env.Body.Name)
	}
	// s: is declared on Envelope only; Inner must still parse on its own.
	if !bytes.Contains(env.Body.Inner, []byte(`xmlns:s="`+NSSoap12+`"`)) {
		t.Fatalf("Inner lacks the inherited declaration: %s", env.Body.Inner)
	}
	f, err := ParseFault(env.Body.Inner)
	if err != nil {
		t.Fatal(err)
	}
	if f.Code != CodeSender {
		t.Fatalf("code %v", f.Code)
	}
}

func deepDoc(depth int) []byte {
	var b bytes.Buffer
	b.WriteString(`<s:Envelope xmlns:s="` + NSSoap12 + `"><s:Body>`)
	for range depth {
		b.WriteString("<a>")
	}
	for range depth {
		b.WriteString("</a>")
	}
	b.WriteString(`</s:Body></s:Envelope>`)
	return b.Bytes()
}

func TestDeepNestingFailsFastBounded(t *testing.T) {
	doc := deepDoc(100_000)
	if int64(len(doc)) > DefaultMaxBytes {
		t.Fatalf("test document unexpectedly exceeds the default size limit")
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := Parse(doc, Limits{})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooDeep) {
		t.Fatalf("err = %v, want ErrTooDeep", err)
	}
	checkOneLine(t, err)
	if elapsed > 2*time.Second {
		t.Fatalf("took %v", elapsed)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 512<<10 {
		t.Fatalf("allocated %d bytes for a rejected deep document", alloc)
	}

	// Even with a generous size limit, a million levels stop at the depth limit.
	big := deepDoc(1_000_000)
	start = time.Now()
	_, err = Parse(big, Limits{MaxBytes: int64(len(big)) + 1, MaxDepth: 100})
	if !errors.Is(err, ErrTooDeep) || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
	// Deep inside a header block and inside a fault.
	hdr := RawEnvelope(NSSoap12, strings.Repeat("<h:x xmlns:h='urn:h'>", 200)+strings.Repeat("</h:x>", 200), "")
	if _, err := Parse(hdr, Limits{}); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("header: %v", err)
	}
	if _, err := ParseFault([]byte(`<s:Fault xmlns:s="` + NSSoap12 + `">` + strings.Repeat("<s:Detail>", 100000))); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("fault: %v", err)
	}
	// Exactly at the limit is fine: Envelope, Body, and 62 more.
	if _, err := Parse(deepDoc(62), Limits{}); err != nil {
		t.Fatalf("depth 64: %v", err)
	}
	if _, err := Parse(deepDoc(63), Limits{}); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("depth 65: %v", err)
	}
}

func TestOversize(t *testing.T) {
	body := "<x>" + strings.Repeat("a", 2000) + "</x>"
	doc := RawEnvelope(NSSoap12, "", body)
	if _, err := Parse(doc, Limits{MaxBytes: 1000}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if _, err := Parse(doc, Limits{MaxBytes: int64(len(doc))}); err != nil {
		t.Fatalf("exactly at the limit: %v", err)
	}
	big := bytes.Repeat([]byte("x"), DefaultMaxBytes+1)
	if _, err := Parse(big, Limits{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("default limit: %v", err)
	}
	// ParseReader stops reading after MaxBytes+1 bytes of an endless stream.
	r := &countingReader{}
	if _, err := ParseReader(r, Limits{MaxBytes: 4096}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("reader: %v", err)
	}
	if r.n > 4096+1+512 {
		t.Fatalf("read %d bytes", r.n)
	}
}

type countingReader struct{ n int }

func (r *countingReader) Read(p []byte) (int, error) {
	if len(p) > 512 {
		p = p[:512]
	}
	for i := range p {
		p[i] = ' '
	}
	r.n += len(p)
	return len(p), nil
}

var _ io.Reader = (*countingReader)(nil)

func TestRawBuilders(t *testing.T) {
	b := RawEnvelope(NSSoap11, `<a:Action>x</a:Action>`, StartAsyncProvisioningBodyString())
	if _, err := Parse(b, Limits{}); !errors.Is(err, ErrSOAP11) {
		t.Fatalf("%v", err)
	}
	// Marshal output is plain bytes the caller may corrupt.
	env := NewRequest(ActionStartAsyncProvisioning, "", "", StartAsyncProvisioningBody())
	raw := env.Marshal()
	raw = bytes.Replace(raw, []byte("</s:Envelope>"), []byte(""), 1)
	if _, err := Parse(raw, Limits{}); !errors.Is(err, ErrNotXML) {
		t.Fatalf("truncated: %v", err)
	}
	// Unknown headers with Raw are written verbatim.
	env.Header.Unknown = []UnknownHeader{{Raw: []byte(`<x:Bad xmlns:x="urn:x" s:mustUnderstand="1">1</x:Bad>`)}}
	got := mustParse(t, env.Marshal())
	if len(got.Header.Unknown) != 1 || !got.Header.Unknown[0].MustUnderstand || got.Header.Unknown[0].Name.Local != "Bad" {
		t.Fatalf("unknown: %+v", got.Header.Unknown)
	}
}

func StartAsyncProvisioningBodyString() string { return string(StartAsyncProvisioningBody()) }

func TestRequestResponseCallbackShapes(t *testing.T) {
	req := NewRequest(ActionIsIpamConfigured, "http://sut/ipam", "", IsIpamConfiguredBody())
	if req.Header.ReplyTo != WSAAnonymous || req.Header.MessageID == "" || !req.Header.ToMustUnderstand {
		t.Fatalf("request: %+v", req.Header)
	}
	resp := NewResponse(req, ActionIsIpamConfiguredResponse, BoolResponseBody("IsIpamConfigured", true))
	if resp.Header.RelatesTo != req.Header.MessageID || resp.Header.To != WSAAnonymous {
		t.Fatalf("response: %+v", resp.Header)
	}
	cb := NewCallback(ActionNotifyAsyncProvisionStart, "http://h/cb/1", NotifyStartBody(FamilyProvision))
	if cb.Header.MessageID != "" || cb.Header.To != "http://h/cb/1" || cb.Body.Name.Local != "NotifyAsyncProvisionStart" {
		t.Fatalf("callback: %+v", cb)
	}
	fr := NewFaultResponse(req, &Fault{Code: CodeSender, Reasons: []FaultText{{Text: "no"}}})
	got := mustParse(t, fr.Marshal())
	if got.Header.Action != WSAFaultAction || !got.Body.IsFault() {
		t.Fatalf("fault response: %+v", got)
	}
}
