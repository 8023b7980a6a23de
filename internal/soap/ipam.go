package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
)

// Action URIs (MS-IPAMM2 §3.3, §3.11, §3.13, §3.15, §3.17 and the WSDL of
// Appendix A).
const (
	actionBase = "http://Microsoft.Windows.Ipam/"

	// IIpamAsyncProvision (server port type).
	ActionInitializeAsyncProvisioning         = actionBase + "IIpamAsyncProvision/InitializeAsyncProvisioning"
	ActionInitializeAsyncProvisioningResponse = actionBase + "IIpamAsyncProvision/InitializeAsyncProvisioningResponse"
	ActionStartAsyncProvisioning              = actionBase + "IIpamAsyncProvision/StartAsyncProvisioning"
	ActionNotifyAsyncProvisionStart           = actionBase + "IIpamAsyncProvision/NotifyAsyncProvisionStart"
	ActionNotifyAsyncProvisionCheckpoint      = actionBase + "IIpamAsyncProvision/NotifyAsyncProvisionCheckpoint"
	ActionNotifyAsyncProvisionComplete        = actionBase + "IIpamAsyncProvision/NotifyAsyncProvisionComplete"

	// IIpamAsyncProvisionCallback (callback port type, client-hosted).
	ActionCallbackNotifyAsyncProvisionStart      = actionBase + "IIpamAsyncProvisionCallback/NotifyAsyncProvisionStart"
	ActionCallbackNotifyAsyncProvisionCheckpoint = actionBase + "IIpamAsyncProvisionCallback/NotifyAsyncProvisionCheckpoint"
	ActionCallbackNotifyAsyncProvisionComplete   = actionBase + "IIpamAsyncProvisionCallback/NotifyAsyncProvisionComplete"

	// IIpamAsyncSchemaConversion (server port type).
	ActionInitializeAsyncSchemaConversion         = actionBase + "IIpamAsyncSchemaConversion/InitializeAsyncSchemaConversion"
	ActionInitializeAsyncSchemaConversionResponse = actionBase + "IIpamAsyncSchemaConversion/InitializeAsyncSchemaConversionResponse"
	ActionStartAsyncSchemaConversion              = actionBase + "IIpamAsyncSchemaConversion/StartAsyncSchemaConversion"
	ActionNotifyAsyncSchemaConversionStart        = actionBase + "IIpamAsyncSchemaConversion/NotifyAsyncSchemaConversionStart"
	ActionNotifyAsyncSchemaConversionCheckpoint   = actionBase + "IIpamAsyncSchemaConversion/NotifyAsyncSchemaConversionCheckpoint"
	ActionNotifyAsyncSchemaConversionComplete     = actionBase + "IIpamAsyncSchemaConversion/NotifyAsyncSchemaConversionComplete"

	// IIpamAsyncSchemaCallback (callback port type, client-hosted).
	ActionCallbackNotifyAsyncSchemaConversionStart      = actionBase + "IIpamAsyncSchemaCallback/NotifyAsyncSchemaConversionStart"
	ActionCallbackNotifyAsyncSchemaConversionCheckpoint = actionBase + "IIpamAsyncSchemaCallback/NotifyAsyncSchemaConversionCheckpoint"
	ActionCallbackNotifyAsyncSchemaConversionComplete   = actionBase + "IIpamAsyncSchemaCallback/NotifyAsyncSchemaConversionComplete"

	// IIpamServer queries exposing the ADM variables (§3.3.4.114, .116, .117).
	ActionIsSchemaConversionRequired           = actionBase + "IIpamServer/IsSchemaConversionRequired"
	ActionIsSchemaConversionRequiredResponse   = actionBase + "IIpamServer/IsSchemaConversionRequiredResponse"
	ActionIsSchemaConversionInProgress         = actionBase + "IIpamServer/IsSchemaConversionInProgress"
	ActionIsSchemaConversionInProgressResponse = actionBase + "IIpamServer/IsSchemaConversionInProgressResponse"
	ActionIsIpamConfigured                     = actionBase + "IIpamServer/IsIpamConfigured"
	ActionIsIpamConfiguredResponse             = actionBase + "IIpamServer/IsIpamConfiguredResponse"

	// ActionKeepalive is the §2.2.2.2 keepalive Action (not a URI); its
	// body is empty.
	ActionKeepalive = "Microsoft.WindowsServerSolutions.Common.ProviderFramework.Keepalive"
)

// Port type names.
const (
	PortIIpamAsyncProvision         = "IIpamAsyncProvision"
	PortIIpamAsyncProvisionCallback = "IIpamAsyncProvisionCallback"
	PortIIpamAsyncSchemaConversion  = "IIpamAsyncSchemaConversion"
	PortIIpamAsyncSchemaCallback    = "IIpamAsyncSchemaCallback"
	PortIIpamServer                 = "IIpamServer"
)

// Callback families, kinds and Action prefixes (CallbackInfo).
const (
	FamilyProvision = "provision"
	FamilySchema    = "schema"

	KindStart      = "start"
	KindCheckpoint = "checkpoint"
	KindComplete   = "complete"

	// PrefixServerPort: the Action uses the server port type
	// (…/IIpamAsyncProvision/…, …/IIpamAsyncSchemaConversion/…), as the
	// Appendix A binding and the §4.3 wire example do.
	PrefixServerPort = "server-port"
	// PrefixCallbackPort: the Action uses the callback port type
	// (…/IIpamAsyncProvisionCallback/…, …/IIpamAsyncSchemaCallback/…), as
	// §3.13.4.x.1.1 / §3.17.4.x.1.1 say the message "MUST be sent with".
	PrefixCallbackPort = "callback-port"
)

// MessageRole says what an Action is used for.
type MessageRole string

// Message roles.
const (
	RoleRequest   MessageRole = "request"
	RoleResponse  MessageRole = "response"
	RoleCallback  MessageRole = "callback"
	RoleKeepalive MessageRole = "keepalive"
)

// ActionInfo describes one known Action.
type ActionInfo struct {
	Action    string
	PortType  string
	Operation string
	// Element is the local name of the body element (namespace NSIpam);
	// empty for the keepalive, whose body is empty.
	Element string
	Role    MessageRole
	// OneWay is set for one-way requests (StartAsync*) and callbacks.
	OneWay bool
	// Family is FamilyProvision or FamilySchema for the async port types,
	// empty otherwise.
	Family string
	// Callback is set for the twelve callback Actions.
	Callback *CallbackInfo
}

// CallbackInfo classifies a callback Action. MS-IPAMM2 gives the callback
// Actions two prefixes (the port-type sections and the WSDL disagree:
// ambiguity IPAM-E16).
type CallbackInfo struct {
	Family string // FamilyProvision or FamilySchema
	Kind   string // KindStart, KindCheckpoint or KindComplete
	Prefix string // PrefixServerPort or PrefixCallbackPort
	// Element is the body element the Action requires, e.g.
	// "NotifyAsyncProvisionStart".
	Element string
}

var actionTable = func() map[string]ActionInfo {
	m := map[string]ActionInfo{}
	add := func(a ActionInfo) { m[a.Action] = a }
	for _, fam := range []struct {
		family, server, callback, init, start, notify string
	}{
		{FamilyProvision, PortIIpamAsyncProvision, PortIIpamAsyncProvisionCallback, "InitializeAsyncProvisioning", "StartAsyncProvisioning", "NotifyAsyncProvision"},
		{FamilySchema, PortIIpamAsyncSchemaConversion, PortIIpamAsyncSchemaCallback, "InitializeAsyncSchemaConversion", "StartAsyncSchemaConversion", "NotifyAsyncSchemaConversion"},
	} {
		add(ActionInfo{Action: actionBase + fam.server + "/" + fam.init, PortType: fam.server, Operation: fam.init, Element: fam.init, Role: RoleRequest, Family: fam.family})
		add(ActionInfo{Action: actionBase + fam.server + "/" + fam.init + "Response", PortType: fam.server, Operation: fam.init, Element: fam.init + "Response", Role: RoleResponse, Family: fam.family})
		add(ActionInfo{Action: actionBase + fam.server + "/" + fam.start, PortType: fam.server, Operation: fam.start, Element: fam.start, Role: RoleRequest, OneWay: true, Family: fam.family})
		for _, k := range []struct{ kind, suffix string }{{KindStart, "Start"}, {KindCheckpoint, "Checkpoint"}, {KindComplete, "Complete"}} {
			op := fam.notify + k.suffix
			for _, p := range []struct{ port, prefix string }{{fam.server, PrefixServerPort}, {fam.callback, PrefixCallbackPort}} {
				add(ActionInfo{
					Action: actionBase + p.port + "/" + op, PortType: p.port, Operation: op, Element: op,
					Role: RoleCallback, OneWay: true, Family: fam.family,
					Callback: &CallbackInfo{Family: fam.family, Kind: k.kind, Prefix: p.prefix, Element: op},
				})
			}
		}
	}
	for _, op := range []string{"IsSchemaConversionRequired", "IsSchemaConversionInProgress", "IsIpamConfigured"} {
		add(ActionInfo{Action: actionBase + PortIIpamServer + "/" + op, PortType: PortIIpamServer, Operation: op, Element: op, Role: RoleRequest})
		add(ActionInfo{Action: actionBase + PortIIpamServer + "/" + op + "Response", PortType: PortIIpamServer, Operation: op, Element: op + "Response", Role: RoleResponse})
	}
	add(ActionInfo{Action: ActionKeepalive, Operation: "Keepalive", Role: RoleKeepalive, OneWay: true})
	return m
}()

// LookupAction returns what the package knows about an Action URI. The
// match is exact (no trimming, case-sensitive).
func LookupAction(action string) (ActionInfo, bool) {
	a, ok := actionTable[action]
	if ok && a.Callback != nil {
		c := *a.Callback
		a.Callback = &c
	}
	return a, ok
}

// Actions returns every known Action URI (in no particular order).
func Actions() []string {
	out := make([]string, 0, len(actionTable))
	for a := range actionTable {
		out = append(out, a)
	}
	return out
}

// ClassifyCallback classifies a callback Action. Both Action prefixes are
// recognised (E16); which one was used is reported in Prefix.
func ClassifyCallback(action string) (CallbackInfo, bool) {
	a, ok := actionTable[action]
	if !ok || a.Callback == nil {
		return CallbackInfo{}, false
	}
	return *a.Callback, true
}

// CallbackAction returns the Action for a callback family, kind and
// prefix; ok is false for unknown values.
func CallbackAction(family, kind, prefix string) (string, bool) {
	for a, info := range actionTable {
		if c := info.Callback; c != nil && c.Family == family && c.Kind == kind && c.Prefix == prefix {
			return a, true
		}
	}
	return "", false
}

// ---------------------------------------------------------------------------
// IpamException

// IpamException is the MS-IPAMM2 §2.2.4.247 fault information, as carried
// in Notify*Complete.exception and in a SOAP fault Detail.
type IpamException struct {
	// ExceptionID is IpamExceptionData/ExceptionId, an IpamExceptionId
	// enumeration value such as "IpamSchemaConversionNotRequired".
	ExceptionID string
	// ExceptionMessage is IpamExceptionData/ExceptionMessage.
	ExceptionMessage string
	// Inner is InnerIpamException (nil when absent or nil).
	Inner *IpamException
	// Nil is set when the element carried xsi:nil="true": the NULL that
	// signals success in Notify*Complete.exception.
	Nil bool
	// DataType is the xsi:type of IpamExceptionData as written (e.g.
	// "ipam:IpamExceptionData" or a derived *IpamExceptionData type);
	// informational, ignored by MarshalIpamException.
	DataType string
}

// IsSet reports whether e denotes a fault: present and not nil. Per
// §3.13.4.3 / §3.17.4.3, an absent or nil exception means success.
func (e *IpamException) IsSet() bool { return e != nil && !e.Nil }

// Error renders the exception chain on one line.
func (e *IpamException) Error() string {
	if e == nil {
		return "<no exception>"
	}
	if e.Nil {
		return "<nil exception>"
	}
	var b strings.Builder
	for i, x := 0, e; x != nil; i, x = i+1, x.Inner {
		if i > 0 {
			b.WriteString(" <- ")
		}
		id := x.ExceptionID
		if id == "" {
			id = "(no ExceptionId)"
		}
		b.WriteString(id)
		if x.ExceptionMessage != "" {
			b.WriteString(": " + x.ExceptionMessage)
		}
	}
	return oneLine(b.String())
}

// ParseIpamException decodes one element holding an IpamException (an
// "exception" element, an "IpamException" detail entry, or any element of
// that type) with default limits. Children are matched by local name, in
// any namespace: IpamExceptionData/{ExceptionId,ExceptionMessage} and
// InnerIpamException (recursively). Without IpamExceptionData, a
// System.Exception "Message" child is used as ExceptionMessage. Unknown
// children are ignored.
func ParseIpamException(data []byte) (*IpamException, error) {
	n, _, err := parseElement(data, Limits{})
	if err != nil {
		return nil, err
	}
	return ipamExceptionFromNode(n), nil
}

func ipamExceptionFromNode(n *node) *IpamException {
	if n.isNil() {
		return &IpamException{Nil: true}
	}
	e := &IpamException{}
	if d := n.child("IpamExceptionData"); d != nil && !d.isNil() {
		e.DataType, _ = d.attr(NSXSI, "type")
		if c := d.child("ExceptionId"); c != nil {
			e.ExceptionID = strings.TrimSpace(c.Text)
		}
		if c := d.child("ExceptionMessage"); c != nil && !c.isNil() {
			e.ExceptionMessage = c.Text
		}
	} else if m := n.child("Message"); m != nil && !m.isNil() {
		e.ExceptionMessage = m.Text
	}
	if in := n.child("InnerIpamException"); in != nil && !in.isNil() {
		e.Inner = ipamExceptionFromNode(in)
	}
	return e
}

// exceptionDecls are the declarations written on an IpamException element.
const exceptionDecls = ` xmlns:i="` + NSXSI + `" xmlns:ipam="` + NSIpam + `" xmlns:ipam1="` + NSIpam1 + `" xmlns:ser="` + NSSer + `"`

// writeExceptionContent writes the children of an IpamException:
//
//	<IpamExceptionData xmlns="" ser:Id="iN" i:type="ipam:IpamExceptionData">
//	  <ipam:ExceptionId>…</ipam:ExceptionId><ipam:ExceptionMessage>…</ipam:ExceptionMessage>
//	</IpamExceptionData>
//	<InnerIpamException xmlns="" i:type="ipam1:IpamException">…</InnerIpamException>
//
// The prefixes i, ipam, ipam1 and ser must be in scope.
func writeExceptionContent(b *bytes.Buffer, e *IpamException, id *int) {
	*id++
	b.WriteString(`<IpamExceptionData xmlns="" ser:Id="i` + strconv.Itoa(*id) + `" i:type="ipam:IpamExceptionData">`)
	if e.ExceptionID != "" {
		b.WriteString(`<ipam:ExceptionId>` + esc(e.ExceptionID) + `</ipam:ExceptionId>`)
	}
	if e.ExceptionMessage != "" {
		b.WriteString(`<ipam:ExceptionMessage>` + esc(e.ExceptionMessage) + `</ipam:ExceptionMessage>`)
	}
	b.WriteString(`</IpamExceptionData>`)
	if e.Inner.IsSet() {
		b.WriteString(`<InnerIpamException xmlns="" i:type="ipam1:IpamException">`)
		writeExceptionContent(b, e.Inner, id)
		b.WriteString(`</InnerIpamException>`)
	}
}

// MarshalIpamException encodes e as a standalone IpamException element in
// the ipam1 namespace, the §2.2.2.1 fault Detail entry. A nil e (or
// e.Nil) gives <IpamException i:nil="true" …/>.
func MarshalIpamException(e *IpamException) []byte {
	return marshalExceptionElement("IpamException", ` xmlns="`+NSIpam1+`"`, e)
}

func marshalExceptionElement(name, extra string, e *IpamException) []byte {
	var b bytes.Buffer
	if !e.IsSet() {
		b.WriteString(`<` + name + ` i:nil="true" xmlns:i="` + NSXSI + `"` + extra + `/>`)
		return b.Bytes()
	}
	b.WriteString(`<` + name + exceptionDecls + extra + `>`)
	id := 0
	writeExceptionContent(&b, e, &id)
	b.WriteString(`</` + name + `>`)
	return b.Bytes()
}

// ---------------------------------------------------------------------------
// Body builders

// EnumerationParameters is the optional InitializeAsync*.parameters element
// (ipam:EnumerationParametersBase, §2.2.4.229). The processing rules never
// read it; its content is not specified beyond the ObjectType hint.
type EnumerationParameters struct {
	// Nil writes <parameters i:nil="true"/> and ignores the other fields.
	Nil bool
	// Type, when non-empty, is written as i:type (e.g.
	// "EnumerationParametersBase").
	Type                     string
	FetchAllData             bool
	IncludeCustomFieldValues bool
	// ObjectType defaults to "AsyncProvision" / "AsyncSchemaConversion".
	ObjectType string
}

func ipamElem(local, content string) []byte {
	if content == "" {
		return []byte(`<` + local + ` xmlns="` + NSIpam + `"/>`)
	}
	return []byte(`<` + local + ` xmlns="` + NSIpam + `">` + content + `</` + local + `>`)
}

// EmptyBody returns <local xmlns="http://Microsoft.Windows.Ipam"/>.
func EmptyBody(local string) []byte { return ipamElem(local, "") }

func initializeBody(local, defObjectType string, p *EnumerationParameters) []byte {
	if p == nil {
		return ipamElem(local, "")
	}
	if p.Nil {
		return ipamElem(local, `<parameters i:nil="true" xmlns:i="`+NSXSI+`"/>`)
	}
	ot := p.ObjectType
	if ot == "" {
		ot = defObjectType
	}
	var b strings.Builder
	b.WriteString(`<parameters xmlns:i="` + NSXSI + `"`)
	if p.Type != "" {
		b.WriteString(` i:type="` + esc(p.Type) + `"`)
	}
	b.WriteString(`><FetchAllData>` + strconv.FormatBool(p.FetchAllData) + `</FetchAllData>`)
	b.WriteString(`<IncludeCustomFieldValues>` + strconv.FormatBool(p.IncludeCustomFieldValues) + `</IncludeCustomFieldValues>`)
	b.WriteString(`<ObjectType>` + esc(ot) + `</ObjectType></parameters>`)
	return ipamElem(local, b.String())
}

// InitializeAsyncProvisioningBody builds the §3.11.4.3 request body; p nil
// omits parameters (minOccurs=0).
func InitializeAsyncProvisioningBody(p *EnumerationParameters) []byte {
	return initializeBody("InitializeAsyncProvisioning", "AsyncProvision", p)
}

// InitializeAsyncSchemaConversionBody builds the §3.15.4.3 request body; p
// nil omits parameters.
func InitializeAsyncSchemaConversionBody(p *EnumerationParameters) []byte {
	return initializeBody("InitializeAsyncSchemaConversion", "AsyncSchemaConversion", p)
}

// StartAsyncProvisioningBody builds the §3.11.4.7 one-way request body.
func StartAsyncProvisioningBody() []byte { return EmptyBody("StartAsyncProvisioning") }

// StartAsyncSchemaConversionBody builds the §3.15.4.7 one-way request body.
func StartAsyncSchemaConversionBody() []byte { return EmptyBody("StartAsyncSchemaConversion") }

// IsSchemaConversionRequiredBody builds the §3.3.4.117 request body.
func IsSchemaConversionRequiredBody() []byte { return EmptyBody("IsSchemaConversionRequired") }

// IsSchemaConversionInProgressBody builds the §3.3.4.116 request body.
func IsSchemaConversionInProgressBody() []byte { return EmptyBody("IsSchemaConversionInProgress") }

// IsIpamConfiguredBody builds the §3.3.4.114 request body.
func IsIpamConfiguredBody() []byte { return EmptyBody("IsIpamConfigured") }

// InitializeResponseBody builds the empty InitializeAsync*Response body of
// a family.
func InitializeResponseBody(family string) []byte {
	if family == FamilySchema {
		return EmptyBody("InitializeAsyncSchemaConversionResponse")
	}
	return EmptyBody("InitializeAsyncProvisioningResponse")
}

// BoolResponseBody builds an IIpamServer Is* response, e.g.
// BoolResponseBody("IsIpamConfigured", true) gives
// <IsIpamConfiguredResponse xmlns="…"><IsIpamConfiguredResult>true</IsIpamConfiguredResult></IsIpamConfiguredResponse>.
func BoolResponseBody(operation string, v bool) []byte {
	res := operation + "Result"
	return ipamElem(operation+"Response", `<`+res+`>`+strconv.FormatBool(v)+`</`+res+`>`)
}

func notifyName(family, suffix string) string {
	if family == FamilySchema {
		return "NotifyAsyncSchemaConversion" + suffix
	}
	return "NotifyAsyncProvision" + suffix
}

// NotifyStartBody builds the empty Notify*Start callback body.
func NotifyStartBody(family string) []byte { return EmptyBody(notifyName(family, "Start")) }

// NotifyCheckpointBody builds a Notify*Checkpoint callback body. data nil
// writes <data i:nil="true"/>; otherwise data (raw IpamObject elements, may
// be empty) is written inside <data>.
func NotifyCheckpointBody(family string, data []byte) []byte {
	if data == nil {
		return ipamElem(notifyName(family, "Checkpoint"), `<data i:nil="true" xmlns:i="`+NSXSI+`"/>`)
	}
	return ipamElem(notifyName(family, "Checkpoint"), `<data xmlns:i="`+NSXSI+`">`+string(data)+`</data>`)
}

// NotifyCompleteBody builds a Notify*Complete callback body with result
// nil. When exc is not set (nil or Nil) exception is written as
// <exception i:nil="true"/> (success, the §4.3 shape); otherwise it carries
// the IpamException encoding (see writeExceptionContent).
func NotifyCompleteBody(family string, exc *IpamException) []byte {
	content := `<result i:nil="true" xmlns:i="` + NSXSI + `"/>` + string(marshalExceptionElement("exception", "", exc))
	return ipamElem(notifyName(family, "Complete"), content)
}

// ---------------------------------------------------------------------------
// Parsers

// Callback is a parsed Notify* callback.
type Callback struct {
	Info   CallbackInfo
	Action string

	// Checkpoint: the data element.
	DataPresent bool
	DataNil     bool
	DataItems   int    // element children of data
	Data        []byte // raw data element (self-contained), nil if absent

	// Complete: the result element.
	ResultPresent bool
	ResultNil     bool
	Result        []byte // raw result element, nil if absent

	// Exception is the Complete exception: nil when the element is absent
	// (minOccurs=0), Nil set for xsi:nil="true"; both mean success.
	Exception *IpamException

	// Deviations lists what in the body departs from the XSD without
	// preventing interpretation: unexpected, repeated or out-of-order
	// children, and known children in the wrong namespace (these are still
	// used, matched by local name). Empty for a conformant body.
	Deviations []string
}

// Faulted reports whether a Complete callback carries an exception.
func (c Callback) Faulted() bool { return c.Exception.IsSet() }

// ErrBodyMismatch is wrapped by ParseCallbackBody when the body element
// does not match the Action.
var ErrBodyMismatch = errors.New("soap: body element does not match the Action")

// ParseCallbackBody interprets env as a Notify* callback. It fails when the
// Action is not one of the twelve callback Actions, when the body element
// is not the one the Action requires (in namespace NSIpam), or when the
// body does not parse.
func ParseCallbackBody(env *Envelope) (Callback, error) {
	if env == nil {
		return Callback{}, errf(ErrMalformed, "nil envelope")
	}
	info, ok := ClassifyCallback(env.Header.Action)
	if !ok {
		return Callback{}, errf(ErrMalformed, "Action %q is not an IPAM callback Action", env.Header.Action)
	}
	cb := Callback{Info: info, Action: env.Header.Action}
	want := xml.Name{Space: NSIpam, Local: info.Element}
	if env.Body.Name != want {
		got := fmtName(env.Body.Name)
		if env.Body.Name.Local == "" {
			got = "empty Body"
		}
		return cb, errf(ErrBodyMismatch, "Action %s requires body %s, got %s", env.Header.Action, fmtName(want), got)
	}
	n, data, err := parseElement(env.Body.Inner, Limits{MaxBytes: int64(len(env.Body.Inner)) + 1})
	if err != nil {
		return cb, err
	}
	var allowed []string
	switch info.Kind {
	case KindCheckpoint:
		allowed = []string{"data"}
	case KindComplete:
		allowed = []string{"result", "exception"}
	}
	next := 0
	for _, k := range n.Kids {
		pos := -1
		for i := next; i < len(allowed); i++ {
			if allowed[i] == k.Name.Local {
				pos = i
				break
			}
		}
		if pos < 0 {
			cb.Deviations = append(cb.Deviations, "unexpected element "+fmtName(k.Name)+" in "+info.Element)
			continue
		}
		next = pos + 1
		if k.Name.Space != NSIpam {
			cb.Deviations = append(cb.Deviations, "element "+fmtName(k.Name)+" should be in namespace "+NSIpam)
		}
		switch k.Name.Local {
		case "data":
			cb.DataPresent, cb.DataNil, cb.Data = true, k.isNil(), k.raw(data)
			cb.DataItems = len(k.Kids)
		case "result":
			cb.ResultPresent, cb.ResultNil, cb.Result = true, k.isNil(), k.raw(data)
		case "exception":
			cb.Exception = ipamExceptionFromNode(k)
		}
	}
	return cb, nil
}

// ErrMissingResult is wrapped by ParseBoolResponse when the result element
// is absent or nil.
var ErrMissingResult = errors.New("soap: result element missing")

// ParseBoolResponse reads an IIpamServer boolean response: resultElem is
// e.g. "IsIpamConfiguredResult", and the body must be the matching
// "IsIpamConfiguredResponse" element in namespace NSIpam. A Fault body,
// another body element, an absent or nil result, or a value that is not an
// xs:boolean is an error.
func ParseBoolResponse(env *Envelope, resultElem string) (bool, error) {
	if env == nil {
		return false, errf(ErrMalformed, "nil envelope")
	}
	if env.Body.IsFault() {
		if f, err := ParseFault(env.Body.Inner); err == nil {
			return false, errf(ErrMalformed, "response is a fault: %s", f.Error())
		}
		return false, errf(ErrMalformed, "response is a malformed fault")
	}
	want := xml.Name{Space: NSIpam, Local: strings.TrimSuffix(resultElem, "Result") + "Response"}
	if env.Body.Name != want {
		return false, errf(ErrBodyMismatch, "want body %s, got %s", fmtName(want), fmtName(env.Body.Name))
	}
	n, _, err := parseElement(env.Body.Inner, Limits{MaxBytes: int64(len(env.Body.Inner)) + 1})
	if err != nil {
		return false, err
	}
	for _, k := range n.Kids {
		if k.Name.Local != resultElem {
			continue
		}
		if k.Name.Space != NSIpam {
			return false, errf(ErrMalformed, "%s is in namespace %q, want %s", resultElem, k.Name.Space, NSIpam)
		}
		if k.isNil() {
			return false, errf(ErrMissingResult, "%s is nil", resultElem)
		}
		switch strings.TrimSpace(k.Text) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return false, errf(ErrMalformed, "%s value %q is not an xs:boolean", resultElem, k.Text)
	}
	return false, errf(ErrMissingResult, "no %s in %s", resultElem, want.Local)
}

// ParseInitializeParameters reads the optional parameters of an
// InitializeAsync* request body: nil when absent, Nil set when nil. It is
// meant for reference servers; it does not check the body element name.
func ParseInitializeParameters(env *Envelope) (*EnumerationParameters, error) {
	if env == nil || len(env.Body.Inner) == 0 {
		return nil, errf(ErrMalformed, "empty body")
	}
	n, _, err := parseElement(env.Body.Inner, Limits{MaxBytes: int64(len(env.Body.Inner)) + 1})
	if err != nil {
		return nil, err
	}
	p := n.child("parameters")
	if p == nil {
		return nil, nil
	}
	if p.isNil() {
		return &EnumerationParameters{Nil: true}, nil
	}
	out := &EnumerationParameters{}
	out.Type, _ = p.attr(NSXSI, "type")
	b := func(name string) bool {
		c := p.child(name)
		if c == nil {
			return false
		}
		v := strings.TrimSpace(c.Text)
		return v == "true" || v == "1"
	}
	out.FetchAllData = b("FetchAllData")
	out.IncludeCustomFieldValues = b("IncludeCustomFieldValues")
	if c := p.child("ObjectType"); c != nil {
		out.ObjectType = strings.TrimSpace(c.Text)
	}
	return out, nil
}
