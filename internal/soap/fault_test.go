package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseSpecFaultExample(t *testing.T) {
	env := mustParse(t, readFile(t, "testdata/spec/2.2.2.1-fault.xml"))
	if !env.Body.IsFault() {
		t.Fatalf("body %v", env.Body.Name)
	}
	f, err := ParseFault(env.Body.Inner)
	if err != nil {
		t.Fatal(err)
	}
	if f.Code != CodeSender || len(f.Subcodes) != 0 {
		t.Fatalf("code %v %v", f.Code, f.Subcodes)
	}
	if len(f.Reasons) != 1 || f.Reasons[0].Lang != "en-US" ||
		f.Reason() != "The creator of this fault did not specify a Reason." {
		t.Fatalf("reasons %+v", f.Reasons)
	}
	if !f.HasDetail {
		t.Fatalf("detail not seen")
	}
	// The spec's Detail holds the placeholder text "[IpamException]": no element.
	exc, err := f.IpamException()
	if err != nil || exc != nil {
		t.Fatalf("IpamException() = %v, %v", exc, err)
	}
	if got := f.Error(); got != "soap fault Sender: The creator of this fault did not specify a Reason." {
		t.Fatalf("Error() = %q", got)
	}
}

func TestSpecIpamExceptionFormat(t *testing.T) {
	// §2.2.4.247 literally is a sketch, not namespace-well-formed: the ser:
	// prefix is undeclared. It is rejected with a clear error...
	literal := readFile(t, "testdata/spec/2.2.4.247-IpamException.xml")
	_, err := ParseIpamException(literal)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), `undeclared namespace prefix "ser"`) {
		t.Fatalf("literal sketch: %v", err)
	}
	// ...and parses once ser is declared, placeholders included.
	fixed := bytes.Replace(literal, []byte("<IpamException "), []byte(`<IpamException xmlns:ser="`+NSSer+`" `), 1)
	e, err := ParseIpamException(fixed)
	if err != nil {
		t.Fatal(err)
	}
	if e.Nil || e.DataType != "ipam:IpamExceptionData" || e.Inner == nil || !e.IsSet() {
		t.Fatalf("%+v", e)
	}
}

func TestFaultWithNestedIpamException(t *testing.T) {
	exc := &IpamException{
		ExceptionID:      "IpamApiProvisioningAlreadyInProgress",
		ExceptionMessage: "The provisioning of the IPAM server is already in progress <&>",
		Inner: &IpamException{
			ExceptionID:      "IpamApiUnabletoProvisionIpam",
			ExceptionMessage: "inner",
			Inner:            &IpamException{ExceptionID: "IpamApiAccessDenied"},
		},
	}
	body := BuildFault(CodeSender, "already in progress", MarshalIpamException(exc), SubcodeActionNotSupported, xml.Name{Space: "urn:vendor", Local: "Busy"})
	env := mustParse(t, (&Envelope{Header: Header{Action: WSAFaultAction}, Body: NewBody(body)}).Marshal())
	f, err := ParseFault(env.Body.Inner)
	if err != nil {
		t.Fatal(err)
	}
	if f.Code != CodeSender || !reflect.DeepEqual(f.Subcodes, []xml.Name{SubcodeActionNotSupported, {Space: "urn:vendor", Local: "Busy"}}) {
		t.Fatalf("codes %v %v", f.Code, f.Subcodes)
	}
	got, err := f.IpamException()
	if err != nil {
		t.Fatal(err)
	}
	clearDataType(got)
	if !reflect.DeepEqual(got, exc) {
		t.Fatalf("exception chain:\n got %s\nwant %s", got.Error(), exc.Error())
	}
	if !strings.Contains(f.Error(), "Sender/wsa:ActionNotSupported/{urn:vendor}Busy: already in progress") {
		t.Fatalf("Error() = %q", f.Error())
	}

	// The literal exchange example decodes too.
	env = mustParse(t, readFile(t, "testdata/exchange/8-fault-response.xml"))
	f, err = ParseFault(env.Body.Inner)
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.IpamException()
	if err != nil || e.ExceptionID != "IpamApiCallsAreNotAllowedUntilProvisioningIsDone" || e.Inner != nil {
		t.Fatalf("%+v %v", e, err)
	}
}

func clearDataType(e *IpamException) {
	for ; e != nil; e = e.Inner {
		e.DataType = ""
	}
}

func TestFaultMarshalRoundTrip(t *testing.T) {
	f := &Fault{
		Code:     CodeReceiver,
		Subcodes: []xml.Name{{Space: "urn:a", Local: "One"}, {Space: "urn:b", Local: "Two"}},
		Reasons:  []FaultText{{Lang: "de", Text: "Fehler"}, {Lang: "en", Text: "error"}},
		Node:     "http://node", Role: "http://role",
		HasDetail: true,
	}
	g, err := ParseFault(f.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f, g) {
		t.Fatalf("\n got %+v\nwant %+v", g, f)
	}
	if g.Reason() != "error" {
		t.Fatalf("reason preference: %q", g.Reason())
	}
	// Zero fault marshals to a valid one.
	if _, err := ParseFault((&Fault{}).Marshal()); err != nil {
		t.Fatal(err)
	}
}

func TestParseFaultErrors(t *testing.T) {
	s := `xmlns:s="` + NSSoap12 + `"`
	cases := []struct {
		name, in string
		want     error
	}{
		{"not xml", "nope", ErrNotXML},
		{"not fault", `<x/>`, ErrMalformed},
		{"soap11 fault", `<f:Fault xmlns:f="` + NSSoap11 + `"/>`, ErrSOAP11},
		{"no code", `<s:Fault ` + s + `><s:Reason><s:Text>x</s:Text></s:Reason></s:Fault>`, ErrMalformed},
		{"no reason", `<s:Fault ` + s + `><s:Code><s:Value>s:Sender</s:Value></s:Code></s:Fault>`, ErrMalformed},
		{"empty reason", `<s:Fault ` + s + `><s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason/></s:Fault>`, ErrMalformed},
		{"no value", `<s:Fault ` + s + `><s:Code/><s:Reason><s:Text>x</s:Text></s:Reason></s:Fault>`, ErrMalformed},
		{"undeclared prefix", `<s:Fault ` + s + `><s:Code><s:Value>q:Sender</s:Value></s:Code><s:Reason><s:Text>x</s:Text></s:Reason></s:Fault>`, ErrMalformed},
		{"bad qname", `<s:Fault ` + s + `><s:Code><s:Value>s:</s:Value></s:Code><s:Reason><s:Text>x</s:Text></s:Reason></s:Fault>`, ErrMalformed},
		{"foreign child", `<s:Fault ` + s + `><x/></s:Fault>`, ErrMalformed},
		{"two codes", `<s:Fault ` + s + `><s:Code><s:Value>s:Sender</s:Value></s:Code><s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason><s:Text>x</s:Text></s:Reason></s:Fault>`, ErrMalformed},
		{"trailing", `<s:Fault ` + s + `/>x`, ErrTrailingData},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseFault([]byte(c.in))
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			checkOneLine(t, err)
		})
	}
}

func TestIpamExceptionVariants(t *testing.T) {
	ns := `xmlns="` + NSIpam + `" xmlns:i="` + NSXSI + `"`
	cases := []struct {
		name string
		in   string
		want *IpamException
	}{
		{"nil", `<exception i:nil="true" ` + ns + `/>`, &IpamException{Nil: true}},
		{"nil 1", `<exception i:nil="1" ` + ns + `/>`, &IpamException{Nil: true}},
		{"empty set", `<exception ` + ns + `/>`, &IpamException{}},
		{"unqualified data children", `<exception ` + ns + `><IpamExceptionData xmlns=""><ExceptionId>A</ExceptionId><ExceptionMessage>m</ExceptionMessage></IpamExceptionData></exception>`,
			&IpamException{ExceptionID: "A", ExceptionMessage: "m"}},
		{"nil message and nil inner", `<exception ` + ns + `><IpamExceptionData xmlns=""><ExceptionId> A </ExceptionId><ExceptionMessage i:nil="true"/></IpamExceptionData><InnerIpamException xmlns="" i:nil="true"/></exception>`,
			&IpamException{ExceptionID: "A"}},
		{"system exception message", `<exception ` + ns + `><ClassName xmlns="">X</ClassName><Message xmlns="">boom</Message></exception>`,
			&IpamException{ExceptionMessage: "boom"}},
		{"derived data type", `<exception ` + ns + `><IpamExceptionData xmlns="" i:type="ConflictingIPAddressFailureIpamExceptionData"><ExceptionId>C</ExceptionId></IpamExceptionData></exception>`,
			&IpamException{ExceptionID: "C", DataType: "ConflictingIPAddressFailureIpamExceptionData"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseIpamException([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
	var nilExc *IpamException
	if nilExc.IsSet() || nilExc.Error() != "<no exception>" {
		t.Fatal("nil receiver")
	}
	nilMarshal, err := ParseIpamException(MarshalIpamException(nil))
	if err != nil || !nilMarshal.Nil {
		t.Fatalf("%+v %v", nilMarshal, err)
	}
}
