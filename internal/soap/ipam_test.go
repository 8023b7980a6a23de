package soap

import (
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestClassifyCallbackBothPrefixes(t *testing.T) {
	cases := []struct {
		action string
		want   CallbackInfo
	}{
		{ActionNotifyAsyncProvisionStart, CallbackInfo{FamilyProvision, KindStart, PrefixServerPort, "NotifyAsyncProvisionStart"}},
		{ActionNotifyAsyncProvisionCheckpoint, CallbackInfo{FamilyProvision, KindCheckpoint, PrefixServerPort, "NotifyAsyncProvisionCheckpoint"}},
		{ActionNotifyAsyncProvisionComplete, CallbackInfo{FamilyProvision, KindComplete, PrefixServerPort, "NotifyAsyncProvisionComplete"}},
		{ActionCallbackNotifyAsyncProvisionStart, CallbackInfo{FamilyProvision, KindStart, PrefixCallbackPort, "NotifyAsyncProvisionStart"}},
		{ActionCallbackNotifyAsyncProvisionCheckpoint, CallbackInfo{FamilyProvision, KindCheckpoint, PrefixCallbackPort, "NotifyAsyncProvisionCheckpoint"}},
		{ActionCallbackNotifyAsyncProvisionComplete, CallbackInfo{FamilyProvision, KindComplete, PrefixCallbackPort, "NotifyAsyncProvisionComplete"}},
		{ActionNotifyAsyncSchemaConversionStart, CallbackInfo{FamilySchema, KindStart, PrefixServerPort, "NotifyAsyncSchemaConversionStart"}},
		{ActionNotifyAsyncSchemaConversionCheckpoint, CallbackInfo{FamilySchema, KindCheckpoint, PrefixServerPort, "NotifyAsyncSchemaConversionCheckpoint"}},
		{ActionNotifyAsyncSchemaConversionComplete, CallbackInfo{FamilySchema, KindComplete, PrefixServerPort, "NotifyAsyncSchemaConversionComplete"}},
		{ActionCallbackNotifyAsyncSchemaConversionStart, CallbackInfo{FamilySchema, KindStart, PrefixCallbackPort, "NotifyAsyncSchemaConversionStart"}},
		{ActionCallbackNotifyAsyncSchemaConversionCheckpoint, CallbackInfo{FamilySchema, KindCheckpoint, PrefixCallbackPort, "NotifyAsyncSchemaConversionCheckpoint"}},
		{ActionCallbackNotifyAsyncSchemaConversionComplete, CallbackInfo{FamilySchema, KindComplete, PrefixCallbackPort, "NotifyAsyncSchemaConversionComplete"}},
	}
	for _, c := range cases {
		got, ok := ClassifyCallback(c.action)
		if !ok || got != c.want {
			t.Errorf("ClassifyCallback(%s) = %+v, %v; want %+v", c.action, got, ok, c.want)
		}
		back, ok := CallbackAction(got.Family, got.Kind, got.Prefix)
		if !ok || back != c.action {
			t.Errorf("CallbackAction(%+v) = %q", got, back)
		}
	}
	for _, a := range []string{
		"", ActionStartAsyncProvisioning, ActionInitializeAsyncSchemaConversionResponse,
		"http://Microsoft.Windows.Ipam/IIpamEnumerator/NotifyEnumerationStart",
		"http://Microsoft.Windows.Ipam/IIpamAsyncSchemaConversion/NotifyAsyncProvisionStart", // E1: wrong family name
		" " + ActionNotifyAsyncProvisionStart,
		strings.ToLower(ActionNotifyAsyncProvisionStart),
	} {
		if info, ok := ClassifyCallback(a); ok {
			t.Errorf("ClassifyCallback(%q) = %+v, want not a callback", a, info)
		}
	}
	if _, ok := CallbackAction("x", KindStart, PrefixServerPort); ok {
		t.Error("CallbackAction accepted an unknown family")
	}
}

func TestLookupAction(t *testing.T) {
	cases := []struct {
		action  string
		role    MessageRole
		oneWay  bool
		element string
		family  string
	}{
		{ActionInitializeAsyncProvisioning, RoleRequest, false, "InitializeAsyncProvisioning", FamilyProvision},
		{ActionInitializeAsyncProvisioningResponse, RoleResponse, false, "InitializeAsyncProvisioningResponse", FamilyProvision},
		{ActionStartAsyncProvisioning, RoleRequest, true, "StartAsyncProvisioning", FamilyProvision},
		{ActionInitializeAsyncSchemaConversion, RoleRequest, false, "InitializeAsyncSchemaConversion", FamilySchema},
		{ActionInitializeAsyncSchemaConversionResponse, RoleResponse, false, "InitializeAsyncSchemaConversionResponse", FamilySchema},
		{ActionStartAsyncSchemaConversion, RoleRequest, true, "StartAsyncSchemaConversion", FamilySchema},
		{ActionIsSchemaConversionRequired, RoleRequest, false, "IsSchemaConversionRequired", ""},
		{ActionIsSchemaConversionRequiredResponse, RoleResponse, false, "IsSchemaConversionRequiredResponse", ""},
		{ActionIsSchemaConversionInProgress, RoleRequest, false, "IsSchemaConversionInProgress", ""},
		{ActionIsSchemaConversionInProgressResponse, RoleResponse, false, "IsSchemaConversionInProgressResponse", ""},
		{ActionIsIpamConfigured, RoleRequest, false, "IsIpamConfigured", ""},
		{ActionIsIpamConfiguredResponse, RoleResponse, false, "IsIpamConfiguredResponse", ""},
		{ActionCallbackNotifyAsyncSchemaConversionComplete, RoleCallback, true, "NotifyAsyncSchemaConversionComplete", FamilySchema},
		{ActionKeepalive, RoleKeepalive, true, "", ""},
	}
	for _, c := range cases {
		info, ok := LookupAction(c.action)
		if !ok || info.Role != c.role || info.OneWay != c.oneWay || info.Element != c.element || info.Family != c.family || info.Action != c.action {
			t.Errorf("LookupAction(%s) = %+v, %v", c.action, info, ok)
		}
		if want := c.role == RoleCallback; (info.Callback != nil) != want {
			t.Errorf("%s: Callback = %v", c.action, info.Callback)
		}
	}
	if n := len(Actions()); n != 12+6+6+1 {
		t.Errorf("Actions() has %d entries", n)
	}
	// LookupAction hands out copies.
	a, _ := LookupAction(ActionNotifyAsyncProvisionStart)
	a.Callback.Kind = "mutated"
	if b, _ := LookupAction(ActionNotifyAsyncProvisionStart); b.Callback.Kind != KindStart {
		t.Error("LookupAction leaked its table")
	}
	// E18: the stray-space form is not the Action.
	if _, ok := LookupAction("http://Microsoft.Windows.Ipam/ IIpamServer /IsSchemaConversionRequired"); ok {
		t.Error("stray-space Action accepted")
	}
}

func TestRequestBodies(t *testing.T) {
	cases := []struct {
		body  []byte
		local string
	}{
		{InitializeAsyncProvisioningBody(nil), "InitializeAsyncProvisioning"},
		{InitializeAsyncSchemaConversionBody(nil), "InitializeAsyncSchemaConversion"},
		{StartAsyncProvisioningBody(), "StartAsyncProvisioning"},
		{StartAsyncSchemaConversionBody(), "StartAsyncSchemaConversion"},
		{IsSchemaConversionRequiredBody(), "IsSchemaConversionRequired"},
		{IsSchemaConversionInProgressBody(), "IsSchemaConversionInProgress"},
		{IsIpamConfiguredBody(), "IsIpamConfigured"},
		{InitializeResponseBody(FamilyProvision), "InitializeAsyncProvisioningResponse"},
		{InitializeResponseBody(FamilySchema), "InitializeAsyncSchemaConversionResponse"},
		{NotifyStartBody(FamilySchema), "NotifyAsyncSchemaConversionStart"},
		{NotifyCheckpointBody(FamilyProvision, nil), "NotifyAsyncProvisionCheckpoint"},
		{NotifyCompleteBody(FamilySchema, nil), "NotifyAsyncSchemaConversionComplete"},
	}
	for _, c := range cases {
		n, _, err := parseElement(c.body, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", c.local, err)
		}
		if n.Name != (xml.Name{Space: NSIpam, Local: c.local}) {
			t.Errorf("body %s, want %s", fmtName(n.Name), c.local)
		}
	}

	for _, p := range []*EnumerationParameters{
		nil,
		{Nil: true},
		{Type: "EnumerationParametersBase", FetchAllData: true, IncludeCustomFieldValues: true, ObjectType: "AsyncProvision"},
	} {
		env := NewRequest(ActionInitializeAsyncProvisioning, "", "", InitializeAsyncProvisioningBody(p))
		got, err := ParseInitializeParameters(mustParse(t, env.Marshal()))
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Errorf("parameters round trip: got %+v (%v), want %+v", got, err, p)
		}
	}
	// The default ObjectType follows the family.
	env := mustParse(t, NewRequest(ActionInitializeAsyncSchemaConversion, "", "", InitializeAsyncSchemaConversionBody(&EnumerationParameters{})).Marshal())
	if p, _ := ParseInitializeParameters(env); p.ObjectType != "AsyncSchemaConversion" {
		t.Errorf("ObjectType %q", p.ObjectType)
	}
}

func callbackEnv(t *testing.T, action string, body []byte) *Envelope {
	t.Helper()
	return mustParse(t, NewCallback(action, "http://h/cb/x", body).Marshal())
}

func TestParseCallbackBody(t *testing.T) {
	// Success: exception i:nil.
	cb, err := ParseCallbackBody(callbackEnv(t, ActionNotifyAsyncSchemaConversionComplete, NotifyCompleteBody(FamilySchema, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if cb.Faulted() || cb.Exception == nil || !cb.Exception.Nil || !cb.ResultPresent || !cb.ResultNil || len(cb.Deviations) != 0 {
		t.Fatalf("success: %+v", cb)
	}
	// Failure with a nested exception, callback-port prefix.
	exc := &IpamException{ExceptionID: "IpamSchemaConversionFailed", ExceptionMessage: "x", Inner: &IpamException{ExceptionID: "IpamSchemaConversionNotRequired"}}
	cb, err = ParseCallbackBody(callbackEnv(t, ActionCallbackNotifyAsyncSchemaConversionComplete, NotifyCompleteBody(FamilySchema, exc)))
	if err != nil {
		t.Fatal(err)
	}
	clearDataType(cb.Exception)
	if !cb.Faulted() || !reflect.DeepEqual(cb.Exception, exc) || cb.Info.Prefix != PrefixCallbackPort || len(cb.Deviations) != 0 {
		t.Fatalf("failure: %+v / %s", cb, cb.Exception.Error())
	}
	// Absent exception (minOccurs=0): success.
	cb, err = ParseCallbackBody(callbackEnv(t, ActionNotifyAsyncProvisionComplete, EmptyBody("NotifyAsyncProvisionComplete")))
	if err != nil || cb.Exception != nil || cb.Faulted() || cb.ResultPresent {
		t.Fatalf("absent: %+v %v", cb, err)
	}
	// Start.
	cb, err = ParseCallbackBody(callbackEnv(t, ActionNotifyAsyncProvisionStart, NotifyStartBody(FamilyProvision)))
	if err != nil || cb.Info.Kind != KindStart || cb.Info.Family != FamilyProvision {
		t.Fatalf("start: %+v %v", cb, err)
	}
	// Checkpoint with nil data and with items.
	cb, err = ParseCallbackBody(callbackEnv(t, ActionNotifyAsyncProvisionCheckpoint, NotifyCheckpointBody(FamilyProvision, nil)))
	if err != nil || !cb.DataPresent || !cb.DataNil || cb.DataItems != 0 {
		t.Fatalf("checkpoint nil: %+v %v", cb, err)
	}
	items := []byte(`<IpamObject z:Id="i1" xmlns:z="` + NSSer + `"/><IpamObject i:nil="true"/>`)
	cb, err = ParseCallbackBody(callbackEnv(t, ActionNotifyAsyncProvisionCheckpoint, NotifyCheckpointBody(FamilyProvision, items)))
	if err != nil || !cb.DataPresent || cb.DataNil || cb.DataItems != 2 {
		t.Fatalf("checkpoint items: %+v %v", cb, err)
	}
	// Every literal exchange callback parses.
	for _, f := range []string{"4-notify-start", "5-notify-checkpoint", "6-notify-complete-success", "7-notify-complete-fault"} {
		cb, err := ParseCallbackBody(mustParse(t, readFile(t, "testdata/exchange/"+f+".xml")))
		if err != nil || len(cb.Deviations) != 0 {
			t.Fatalf("%s: %+v %v", f, cb, err)
		}
		if f == "7-notify-complete-fault" {
			if cb.Exception.ExceptionID != "IpamSchemaConversionFailed" || cb.Exception.Inner == nil ||
				cb.Exception.Inner.ExceptionID != "IpamSchemaConversionCouldNotBeDoneForThisVersion" {
				t.Fatalf("fault example: %s", cb.Exception.Error())
			}
		}
	}
}

func TestParseCallbackBodyErrors(t *testing.T) {
	// Body element does not match the Action.
	_, err := ParseCallbackBody(callbackEnv(t, ActionNotifyAsyncProvisionStart, NotifyCompleteBody(FamilyProvision, nil)))
	if !errors.Is(err, ErrBodyMismatch) {
		t.Fatalf("mismatch: %v", err)
	}
	// Family mismatch (schema Action, provision body).
	_, err = ParseCallbackBody(callbackEnv(t, ActionNotifyAsyncSchemaConversionStart, NotifyStartBody(FamilyProvision)))
	if !errors.Is(err, ErrBodyMismatch) {
		t.Fatalf("family mismatch: %v", err)
	}
	// Right local name, wrong namespace.
	_, err = ParseCallbackBody(callbackEnv(t, ActionNotifyAsyncProvisionStart, []byte(`<NotifyAsyncProvisionStart xmlns="urn:wrong"/>`)))
	if !errors.Is(err, ErrBodyMismatch) {
		t.Fatalf("namespace mismatch: %v", err)
	}
	// Empty body.
	_, err = ParseCallbackBody(callbackEnv(t, ActionNotifyAsyncProvisionStart, nil))
	if !errors.Is(err, ErrBodyMismatch) || !strings.Contains(err.Error(), "empty Body") {
		t.Fatalf("empty: %v", err)
	}
	// Not a callback Action.
	_, err = ParseCallbackBody(callbackEnv(t, ActionStartAsyncProvisioning, StartAsyncProvisioningBody()))
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("not a callback: %v", err)
	}
	checkOneLine(t, err)
}

func TestParseCallbackBodyDeviations(t *testing.T) {
	// Unqualified exception (a common elementFormDefault mistake) is still
	// used, and reported.
	body := []byte(`<NotifyAsyncProvisionComplete xmlns="` + NSIpam + `"><exception xmlns=""><IpamExceptionData><ExceptionId>X</ExceptionId></IpamExceptionData></exception></NotifyAsyncProvisionComplete>`)
	cb, err := ParseCallbackBody(callbackEnv(t, ActionNotifyAsyncProvisionComplete, body))
	if err != nil || !cb.Faulted() || cb.Exception.ExceptionID != "X" || len(cb.Deviations) != 1 {
		t.Fatalf("unqualified: %+v %v", cb, err)
	}
	// Out of order and extra children.
	body = []byte(`<NotifyAsyncProvisionComplete xmlns="` + NSIpam + `" xmlns:i="` + NSXSI + `"><exception i:nil="true"/><result i:nil="true"/><extra/></NotifyAsyncProvisionComplete>`)
	cb, err = ParseCallbackBody(callbackEnv(t, ActionNotifyAsyncProvisionComplete, body))
	if err != nil || cb.Faulted() || cb.ResultPresent || len(cb.Deviations) != 2 {
		t.Fatalf("order: %+v %v", cb, err)
	}
	// Content in Start.
	body = []byte(`<NotifyAsyncProvisionStart xmlns="` + NSIpam + `"><data/></NotifyAsyncProvisionStart>`)
	cb, err = ParseCallbackBody(callbackEnv(t, ActionNotifyAsyncProvisionStart, body))
	if err != nil || len(cb.Deviations) != 1 {
		t.Fatalf("start content: %+v %v", cb, err)
	}
}

func TestParseBoolResponse(t *testing.T) {
	resp := func(body string) *Envelope {
		return mustParse(t, NewResponse(nil, ActionIsIpamConfiguredResponse, []byte(body)).Marshal())
	}
	ipam := `xmlns="` + NSIpam + `"`
	for _, v := range []bool{true, false} {
		got, err := ParseBoolResponse(resp(string(BoolResponseBody("IsIpamConfigured", v))), "IsIpamConfiguredResult")
		if err != nil || got != v {
			t.Fatalf("%v: %v %v", v, got, err)
		}
	}
	got, err := ParseBoolResponse(resp(`<IsSchemaConversionRequiredResponse `+ipam+`><IsSchemaConversionRequiredResult> 1 </IsSchemaConversionRequiredResult></IsSchemaConversionRequiredResponse>`), "IsSchemaConversionRequiredResult")
	if err != nil || !got {
		t.Fatalf("'1': %v %v", got, err)
	}
	errCases := []struct {
		name, body string
		want       error
	}{
		{"missing", `<IsIpamConfiguredResponse ` + ipam + `/>`, ErrMissingResult},
		{"nil", `<IsIpamConfiguredResponse ` + ipam + ` xmlns:i="` + NSXSI + `"><IsIpamConfiguredResult i:nil="true"/></IsIpamConfiguredResponse>`, ErrMissingResult},
		{"not boolean", `<IsIpamConfiguredResponse ` + ipam + `><IsIpamConfiguredResult>yes</IsIpamConfiguredResult></IsIpamConfiguredResponse>`, ErrMalformed},
		{"wrong result ns", `<IsIpamConfiguredResponse ` + ipam + `><IsIpamConfiguredResult xmlns="">true</IsIpamConfiguredResult></IsIpamConfiguredResponse>`, ErrMalformed},
		{"wrong body", `<IsSchemaConversionRequiredResponse ` + ipam + `><IsIpamConfiguredResult>true</IsIpamConfiguredResult></IsSchemaConversionRequiredResponse>`, ErrBodyMismatch},
		{"fault", string(BuildFault(CodeSender, "denied", nil)), ErrMalformed},
	}
	for _, c := range errCases {
		_, err := ParseBoolResponse(resp(c.body), "IsIpamConfiguredResult")
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		checkOneLine(t, err)
	}
}
