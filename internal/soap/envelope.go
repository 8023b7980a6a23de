package soap

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"strings"
)

// Namespaces (MS-IPAMM2 §2.2.1).
const (
	NSSoap12 = "http://www.w3.org/2003/05/soap-envelope"
	NSSoap11 = "http://schemas.xmlsoap.org/soap/envelope/"
	NSWSA    = "http://www.w3.org/2005/08/addressing"
	NSIpam   = "http://Microsoft.Windows.Ipam"
	NSIpam1  = "http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam"
	NSXSI    = "http://www.w3.org/2001/XMLSchema-instance"
	NSSer    = "http://schemas.microsoft.com/2003/10/Serialization/"
	NSXML    = "http://www.w3.org/XML/1998/namespace"
)

// Well-known WS-Addressing values.
const (
	WSAAnonymous = NSWSA + "/anonymous"
	WSANone      = NSWSA + "/none"
	// WSAFaultAction is the Action WS-Addressing 1.0 SOAP Binding §6
	// defines for SOAP faults without a more specific Action.
	WSAFaultAction = NSWSA + "/soap/fault"
)

// Envelope is a SOAP 1.2 envelope reduced to what the harness needs: the
// WS-Addressing headers, any other header blocks, and the Body's single
// child element kept as raw bytes.
type Envelope struct {
	Header Header
	Body   Body
}

// Header holds the WS-Addressing 1.0 message addressing properties. Empty
// strings mean "absent".
type Header struct {
	Action               string
	ActionMustUnderstand bool
	MessageID            string
	// RelatesTo is the first wsa:RelatesTo whose RelationshipType is absent
	// or the reply type; others are kept in Unknown.
	RelatesTo        string
	To               string
	ToMustUnderstand bool
	// ReplyTo and FaultTo are the wsa:Address of the endpoint references.
	ReplyTo, FaultTo string
	// Unknown are all other header blocks (including other WS-Addressing
	// headers such as wsa:From), in document order.
	Unknown []UnknownHeader
}

// UnknownHeader is a header block the codec does not interpret.
type UnknownHeader struct {
	Name           xml.Name
	MustUnderstand bool
	// Raw is the block's XML, self-contained (in-scope namespace
	// declarations are copied onto its start tag). When marshaling, a
	// non-empty Raw is written verbatim and Name/MustUnderstand are
	// ignored; an empty Raw writes an empty element named Name.
	Raw []byte
}

// Body is the SOAP Body. SOAP 1.2 allows it to be empty (Name zero, Inner
// nil) or to hold one element; this codec rejects more than one.
type Body struct {
	// Name is the name of the first child element.
	Name xml.Name
	// Inner is the child element's XML, including its own tags, as
	// received, with the namespace declarations it inherits from Envelope
	// and Body copied onto its start tag so that it parses on its own.
	// Marshal writes Inner verbatim.
	Inner []byte
}

// NewBody returns a Body holding inner, with Name taken from inner's root
// element on a best-effort basis (Name stays zero when inner does not parse;
// Inner is kept verbatim in any case, so malformed bodies can be sent).
func NewBody(inner []byte) Body {
	b := Body{Inner: inner}
	if len(bytes.TrimSpace(inner)) == 0 {
		return b
	}
	r := newTokReader(inner, Limits{}.WithDefaults())
	if se, _, err := r.prolog(); err == nil {
		b.Name = se.Name
	}
	return b
}

// IsFault reports whether the body is a SOAP 1.2 Fault.
func (b Body) IsFault() bool {
	return b.Name.Space == NSSoap12 && b.Name.Local == "Fault"
}

func (h *Header) empty() bool {
	return h.Action == "" && !h.ActionMustUnderstand && h.MessageID == "" && h.RelatesTo == "" &&
		h.To == "" && !h.ToMustUnderstand &&
		h.ReplyTo == "" && h.FaultTo == "" && len(h.Unknown) == 0
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

const envelopeOpen = `<s:Envelope xmlns:s="` + NSSoap12 + `" xmlns:a="` + NSWSA + `">`

// Marshal encodes the envelope with the literal prefixes s: (SOAP 1.2) and
// a: (WS-Addressing), as WCF does. Headers are written in the order Action,
// MessageID, RelatesTo, ReplyTo, FaultTo, To, then Unknown; an empty
// string field is omitted unless its MustUnderstand flag is set (then an
// empty element is written). The Header element is omitted when no header
// is set; an empty Body is written as
// <s:Body/>. Marshal never validates: what the fields say is what is sent.
func (e *Envelope) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(envelopeOpen)
	h := &e.Header
	if !h.empty() {
		b.WriteString("<s:Header>")
		mu := func(on bool) string {
			if on {
				return ` s:mustUnderstand="1"`
			}
			return ""
		}
		if h.Action != "" || h.ActionMustUnderstand {
			b.WriteString(`<a:Action` + mu(h.ActionMustUnderstand) + `>` + esc(h.Action) + `</a:Action>`)
		}
		if h.MessageID != "" {
			b.WriteString(`<a:MessageID>` + esc(h.MessageID) + `</a:MessageID>`)
		}
		if h.RelatesTo != "" {
			b.WriteString(`<a:RelatesTo>` + esc(h.RelatesTo) + `</a:RelatesTo>`)
		}
		if h.ReplyTo != "" {
			b.WriteString(`<a:ReplyTo><a:Address>` + esc(h.ReplyTo) + `</a:Address></a:ReplyTo>`)
		}
		if h.FaultTo != "" {
			b.WriteString(`<a:FaultTo><a:Address>` + esc(h.FaultTo) + `</a:Address></a:FaultTo>`)
		}
		if h.To != "" || h.ToMustUnderstand {
			b.WriteString(`<a:To` + mu(h.ToMustUnderstand) + `>` + esc(h.To) + `</a:To>`)
		}
		for _, u := range h.Unknown {
			if len(u.Raw) > 0 {
				b.Write(u.Raw)
				continue
			}
			if u.Name.Space == "" {
				b.WriteString(`<` + u.Name.Local + mu(u.MustUnderstand) + `/>`)
			} else {
				b.WriteString(`<h:` + u.Name.Local + ` xmlns:h="` + esc(u.Name.Space) + `"` + mu(u.MustUnderstand) + `/>`)
			}
		}
		b.WriteString("</s:Header>")
	}
	if len(e.Body.Inner) == 0 {
		b.WriteString("<s:Body/>")
	} else {
		b.WriteString("<s:Body>")
		b.Write(e.Body.Inner)
		b.WriteString("</s:Body>")
	}
	b.WriteString("</s:Envelope>")
	return b.Bytes()
}

// RawEnvelope builds an envelope from literal parts, for sending malformed
// messages on purpose: envNS is the namespace bound to the prefix s (use
// NSSoap11 for a SOAP 1.1 envelope), a is bound to WS-Addressing, header
// is written inside <s:Header> (omitted when empty) and body inside
// <s:Body>. Nothing is escaped or checked.
func RawEnvelope(envNS, header, body string) []byte {
	var b bytes.Buffer
	b.WriteString(`<s:Envelope xmlns:s="` + envNS + `" xmlns:a="` + NSWSA + `">`)
	if header != "" {
		b.WriteString("<s:Header>" + header + "</s:Header>")
	}
	b.WriteString("<s:Body>" + body + "</s:Body></s:Envelope>")
	return b.Bytes()
}

// NewMessageID returns a fresh "urn:uuid:" message id (random UUID v4).
func NewMessageID() string {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		panic("soap: crypto/rand failed: " + err.Error())
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return "urn:uuid:" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// NewRequest builds a client→server message the way the documented HTTP
// binding sends it: Action with mustUnderstand, a fresh MessageID, ReplyTo
// (replyTo, or the anonymous address when empty) and To with
// mustUnderstand when to is non-empty. It serves request/response and
// one-way operations alike.
func NewRequest(action, to, replyTo string, body []byte) *Envelope {
	if replyTo == "" {
		replyTo = WSAAnonymous
	}
	return &Envelope{
		Header: Header{
			Action: action, ActionMustUnderstand: true,
			MessageID:        NewMessageID(),
			ReplyTo:          replyTo,
			To:               to,
			ToMustUnderstand: to != "",
		},
		Body: NewBody(body),
	}
}

// NewResponse builds the response to req: Action with mustUnderstand,
// RelatesTo req's MessageID, and To anonymous with mustUnderstand (the
// shape of the MS-IPAMM2 §4 response examples).
func NewResponse(req *Envelope, action string, body []byte) *Envelope {
	e := &Envelope{
		Header: Header{
			Action: action, ActionMustUnderstand: true,
			To: WSAAnonymous, ToMustUnderstand: true,
		},
		Body: NewBody(body),
	}
	if req != nil {
		e.Header.RelatesTo = req.Header.MessageID
	}
	return e
}

// NewCallback builds a server→client callback: Action with mustUnderstand
// and To (the callback URL) with mustUnderstand, no MessageID (the shape of
// the MS-IPAMM2 §4.3 callback examples).
func NewCallback(action, to string, body []byte) *Envelope {
	return &Envelope{
		Header: Header{
			Action: action, ActionMustUnderstand: true,
			To: to, ToMustUnderstand: to != "",
		},
		Body: NewBody(body),
	}
}

// NewFaultResponse builds an envelope carrying fault f in reply to req
// (which may be nil), with the WS-Addressing fault Action.
func NewFaultResponse(req *Envelope, f *Fault) *Envelope {
	return NewResponse(req, WSAFaultAction, f.Marshal())
}
