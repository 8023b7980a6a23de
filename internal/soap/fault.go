package soap

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
)

// SOAP 1.2 fault codes (SOAP 1.2 Part 1 §5.4.6).
var (
	CodeVersionMismatch           = xml.Name{Space: NSSoap12, Local: "VersionMismatch"}
	CodeMustUnderstand            = xml.Name{Space: NSSoap12, Local: "MustUnderstand"}
	CodeDataEncodingUnknown       = xml.Name{Space: NSSoap12, Local: "DataEncodingUnknown"}
	CodeSender                    = xml.Name{Space: NSSoap12, Local: "Sender"}
	CodeReceiver                  = xml.Name{Space: NSSoap12, Local: "Receiver"}
	SubcodeActionNotSupported     = xml.Name{Space: NSWSA, Local: "ActionNotSupported"}
	SubcodeDestinationUnreachable = xml.Name{Space: NSWSA, Local: "DestinationUnreachable"}
)

// Fault is a SOAP 1.2 Fault.
type Fault struct {
	// Code is the resolved QName of Code/Value, e.g. CodeSender.
	Code xml.Name
	// Subcodes is the chain Code/Subcode/Value, Code/Subcode/Subcode/Value…
	Subcodes []xml.Name
	// Reasons are the Reason/Text entries in document order.
	Reasons []FaultText
	// Node and Role are empty when absent.
	Node, Role string
	// HasDetail reports whether a Detail element was present; Detail holds
	// its element children, each self-contained (namespace declarations
	// copied onto it), concatenated. Text directly inside Detail is dropped.
	HasDetail bool
	Detail    []byte
}

// FaultText is one Reason/Text.
type FaultText struct {
	Lang string // xml:lang
	Text string
}

// Reason returns the first reason text (preferring an English one).
func (f *Fault) Reason() string {
	for _, r := range f.Reasons {
		if strings.HasPrefix(strings.ToLower(r.Lang), "en") {
			return r.Text
		}
	}
	if len(f.Reasons) > 0 {
		return f.Reasons[0].Text
	}
	return ""
}

// Error renders the fault on one line: "soap fault Sender/sub: reason".
func (f *Fault) Error() string {
	var b strings.Builder
	b.WriteString("soap fault ")
	b.WriteString(codeString(f.Code))
	for _, s := range f.Subcodes {
		b.WriteString("/" + codeString(s))
	}
	if r := f.Reason(); r != "" {
		b.WriteString(": " + strings.TrimSpace(r))
	}
	return oneLine(b.String())
}

func codeString(n xml.Name) string {
	switch n.Space {
	case NSSoap12:
		return n.Local
	case NSWSA:
		return "wsa:" + n.Local
	}
	return fmtName(n)
}

// IpamException decodes the first element child of Detail as an
// IpamException. It returns nil, nil when there is no Detail or it has no
// element child.
func (f *Fault) IpamException() (*IpamException, error) {
	if len(bytes.TrimSpace(f.Detail)) == 0 {
		return nil, nil
	}
	// Detail may hold several elements; wrap them so they parse as one.
	wrapped := append(append([]byte("<detail>"), f.Detail...), "</detail>"...)
	n, _, err := parseElement(wrapped, Limits{MaxBytes: int64(len(wrapped)) + 1})
	if err != nil {
		return nil, err
	}
	if len(n.Kids) == 0 {
		return nil, nil
	}
	return ipamExceptionFromNode(n.Kids[0]), nil
}

// ParseFault parses a SOAP 1.2 Fault element (typically Body.Inner) with
// default limits. It requires Code/Value and at least one Reason/Text and
// rejects elements SOAP 1.2 does not allow in a Fault.
func ParseFault(body []byte) (*Fault, error) {
	return ParseFaultLimits(body, Limits{})
}

// ParseFaultLimits is ParseFault with explicit limits.
func ParseFaultLimits(body []byte, lim Limits) (*Fault, error) {
	n, data, err := parseElement(body, lim)
	if err != nil {
		return nil, err
	}
	if n.Name.Space == NSSoap11 && n.Name.Local == "Fault" {
		return nil, errf(ErrSOAP11, "SOAP 1.1 Fault")
	}
	if n.Name.Space != NSSoap12 || n.Name.Local != "Fault" {
		return nil, errf(ErrMalformed, "element %s is not a SOAP 1.2 Fault", fmtName(n.Name))
	}
	f := &Fault{}
	var sawCode, sawReason bool
	for _, k := range n.Kids {
		if k.Name.Space != NSSoap12 {
			return nil, errf(ErrMalformed, "unexpected element %s in Fault", fmtName(k.Name))
		}
		switch k.Name.Local {
		case "Code":
			if sawCode {
				return nil, errf(ErrMalformed, "more than one Fault/Code")
			}
			sawCode = true
			if err := parseFaultCode(k, f); err != nil {
				return nil, err
			}
		case "Reason":
			if sawReason {
				return nil, errf(ErrMalformed, "more than one Fault/Reason")
			}
			sawReason = true
			for _, t := range k.Kids {
				if t.Name.Space != NSSoap12 || t.Name.Local != "Text" {
					return nil, errf(ErrMalformed, "unexpected element %s in Fault/Reason", fmtName(t.Name))
				}
				lang, _ := t.attr(NSXML, "lang")
				f.Reasons = append(f.Reasons, FaultText{Lang: lang, Text: t.Text})
			}
			if len(f.Reasons) == 0 {
				return nil, errf(ErrMalformed, "Fault/Reason without Text")
			}
		case "Node":
			f.Node = strings.TrimSpace(k.Text)
		case "Role":
			f.Role = strings.TrimSpace(k.Text)
		case "Detail":
			f.HasDetail = true
			var d bytes.Buffer
			for _, c := range k.Kids {
				d.Write(c.raw(data))
			}
			f.Detail = d.Bytes()
		default:
			return nil, errf(ErrMalformed, "unexpected element %s in Fault", fmtName(k.Name))
		}
	}
	if !sawCode {
		return nil, errf(ErrMalformed, "Fault without Code")
	}
	if !sawReason {
		return nil, errf(ErrMalformed, "Fault without Reason")
	}
	return f, nil
}

func parseFaultCode(code *node, f *Fault) error {
	first := true
	for cur := code; cur != nil; {
		var value *node
		var sub *node
		for _, k := range cur.Kids {
			switch {
			case k.Name.Space == NSSoap12 && k.Name.Local == "Value" && value == nil:
				value = k
			case k.Name.Space == NSSoap12 && k.Name.Local == "Subcode" && sub == nil:
				sub = k
			default:
				return errf(ErrMalformed, "unexpected element %s in %s", fmtName(k.Name), cur.Name.Local)
			}
		}
		if value == nil {
			return errf(ErrMalformed, "Fault/%s without Value", cur.Name.Local)
		}
		q, err := value.resolveQName(value.Text)
		if err != nil {
			return err
		}
		if first {
			f.Code = q
			first = false
		} else {
			f.Subcodes = append(f.Subcodes, q)
		}
		cur = sub
	}
	return nil
}

// Marshal encodes the fault as a Body child element (s:Fault with its own
// namespace declarations). Code and subcode namespaces are bound to the
// prefixes s (SOAP 1.2), a (WS-Addressing) and f1, f2… for others. A
// missing Code is written as s:Receiver and no Reasons as one empty English
// Text, so the result is always a valid Fault; Detail is written verbatim
// when HasDetail is set or Detail is non-empty.
func (f *Fault) Marshal() []byte {
	prefixes := map[string]string{NSSoap12: "s", NSWSA: "a"}
	var extra []string
	usedWSA := false
	qname := func(n xml.Name) string {
		if n.Space == "" {
			return esc(n.Local)
		}
		usedWSA = usedWSA || n.Space == NSWSA
		p, ok := prefixes[n.Space]
		if !ok {
			p = "f" + strconv.Itoa(len(extra)+1)
			prefixes[n.Space] = p
			extra = append(extra, n.Space)
		}
		return p + ":" + esc(n.Local)
	}
	code := f.Code
	if code.Local == "" {
		code = CodeReceiver
	}
	var inner bytes.Buffer
	inner.WriteString("<s:Code><s:Value>" + qname(code) + "</s:Value>")
	for _, s := range f.Subcodes {
		inner.WriteString("<s:Subcode><s:Value>" + qname(s) + "</s:Value>")
	}
	for range f.Subcodes {
		inner.WriteString("</s:Subcode>")
	}
	inner.WriteString("</s:Code><s:Reason>")
	reasons := f.Reasons
	if len(reasons) == 0 {
		reasons = []FaultText{{Lang: "en-US"}} // SOAP 1.2 requires a Reason
	}
	for _, r := range reasons {
		// An absent xml:lang stays absent: inventing one would change which
		// text Reason() picks (found by FuzzParseFault).
		if r.Lang == "" {
			inner.WriteString(`<s:Text>` + esc(r.Text) + `</s:Text>`)
			continue
		}
		inner.WriteString(`<s:Text xml:lang="` + esc(r.Lang) + `">` + esc(r.Text) + `</s:Text>`)
	}
	inner.WriteString("</s:Reason>")
	if f.Node != "" {
		inner.WriteString("<s:Node>" + esc(f.Node) + "</s:Node>")
	}
	if f.Role != "" {
		inner.WriteString("<s:Role>" + esc(f.Role) + "</s:Role>")
	}
	if f.HasDetail || len(f.Detail) > 0 {
		inner.WriteString("<s:Detail>")
		inner.Write(f.Detail)
		inner.WriteString("</s:Detail>")
	}
	var b bytes.Buffer
	b.WriteString(`<s:Fault xmlns:s="` + NSSoap12 + `"`)
	if usedWSA {
		b.WriteString(` xmlns:a="` + NSWSA + `"`)
	}
	for i, ns := range extra {
		b.WriteString(` xmlns:f` + strconv.Itoa(i+1) + `="` + esc(ns) + `"`)
	}
	b.WriteByte('>')
	b.Write(inner.Bytes())
	b.WriteString("</s:Fault>")
	return b.Bytes()
}

// BuildFault returns a Fault body element with the given code, English
// reason, optional detail (raw XML, written inside s:Detail when non-nil)
// and subcode chain. For the MS-IPAMM2 §2.2.2.1 shape use
// BuildFault(CodeSender, reason, MarshalIpamException(e)).
func BuildFault(code xml.Name, reason string, detail []byte, subcodes ...xml.Name) []byte {
	f := &Fault{
		Code:      code,
		Subcodes:  subcodes,
		Reasons:   []FaultText{{Lang: "en-US", Text: reason}},
		HasDetail: detail != nil,
		Detail:    detail,
	}
	return f.Marshal()
}
