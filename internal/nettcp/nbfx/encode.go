package nbfx

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// encoder turns one textual XML document into MC-NBFX records.
type encoder struct {
	sess    *Session
	lim     Limits
	session bool // may use and add session strings

	added      []string       // strings this message adds to the session table
	addedIdx   map[string]int // → key
	addedBytes int

	out     []byte
	dec     *xml.Decoder
	stack   []encFrame
	scope   []nsDecl
	nBound  map[string]int // prefix → number of declarations in scope
	pending []byte         // character data not yet written
	root    bool           // the root element has ended
}

type encFrame struct {
	name   xml.Name // raw: Space is the prefix
	nDecls int
}

func (e *encoder) errf(kind error, format string, args ...any) error {
	off := int64(0)
	if e.dec != nil {
		off = e.dec.InputOffset()
	}
	return fmt.Errorf("%w (input offset %d): %s", kind, off, oneLine(fmt.Sprintf(format, args...)))
}

func (e *encoder) run(xmlText []byte) ([]byte, error) {
	if len(xmlText) > e.lim.MaxXMLBytes {
		return nil, fmt.Errorf("%w: XML of %d bytes, limit %d", ErrTooLarge, len(xmlText), e.lim.MaxXMLBytes)
	}
	data := bytes.TrimPrefix(xmlText, []byte("\xef\xbb\xbf"))
	e.dec = xml.NewDecoder(bytes.NewReader(data))
	e.dec.Strict = true
	for first := true; ; first = false {
		tok, err := e.dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, e.errf(ErrNotEncodable, "not XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target == "xml" && first {
				continue
			}
			return nil, e.errf(ErrNotEncodable, "processing instruction <?%s?> has no MC-NBFX record", t.Target)
		case xml.Directive:
			return nil, e.errf(ErrNotEncodable, "document type declarations and other directives have no MC-NBFX record")
		case xml.Comment:
			e.flushText(false)
			e.out = append(e.out, recComment)
			e.out = appendMB32(e.out, len(t))
			e.out = append(e.out, t...)
		case xml.CharData:
			if len(e.stack) == 0 {
				if !isXMLSpace(t) {
					return nil, e.errf(ErrNotEncodable, "text outside the root element")
				}
				continue
			}
			e.pending = append(e.pending, t...)
		case xml.StartElement:
			if e.root && len(e.stack) == 0 {
				return nil, e.errf(ErrNotEncodable, "second root element <%s>", rawQName(t.Name))
			}
			if len(e.stack) >= e.lim.MaxDepth {
				return nil, e.errf(ErrTooDeep, "more than %d nested elements", e.lim.MaxDepth)
			}
			e.flushText(false)
			if err := e.element(t); err != nil {
				return nil, err
			}
		case xml.EndElement:
			if len(e.stack) == 0 {
				return nil, e.errf(ErrNotEncodable, "end tag </%s> without start tag", rawQName(t.Name))
			}
			f := e.stack[len(e.stack)-1]
			if f.name != t.Name {
				return nil, e.errf(ErrNotEncodable, "<%s> closed by </%s>", rawQName(f.name), rawQName(t.Name))
			}
			if len(e.pending) > 0 {
				e.flushText(true)
			} else {
				e.out = append(e.out, recEndElement)
			}
			e.stack = e.stack[:len(e.stack)-1]
			for _, d := range e.scope[len(e.scope)-f.nDecls:] {
				e.nBound[d.prefix]--
			}
			e.scope = e.scope[:len(e.scope)-f.nDecls]
			if len(e.stack) == 0 {
				e.root = true
			}
		}
	}
	if len(e.stack) > 0 {
		return nil, e.errf(ErrNotEncodable, "unexpected end of XML inside <%s>", rawQName(e.stack[len(e.stack)-1].name))
	}
	if !e.root {
		return nil, e.errf(ErrNotEncodable, "no root element")
	}
	return e.out, nil
}

func rawQName(n xml.Name) string { return joinQName(n.Space, n.Local) }

// flushText writes the pending character data as one text record.
func (e *encoder) flushText(end bool) {
	if len(e.pending) == 0 {
		return
	}
	e.out = e.appendText(e.out, string(e.pending), end)
	e.pending = e.pending[:0]
}

// letter returns the index 0-25 of a one-letter lower-case prefix, or -1.
func letter(prefix string) int {
	if len(prefix) == 1 && prefix[0] >= 'a' && prefix[0] <= 'z' {
		return int(prefix[0] - 'a')
	}
	return -1
}

func appendName(b []byte, s string) []byte {
	b = appendMB32(b, len(s))
	return append(b, s...)
}

// nameID returns the dictionary id to write s with, if any: its static
// id, or a session id (adding s to this message's strings when the policy
// and the limits allow).
func (e *encoder) nameID(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	if id, ok := StaticID(s); ok {
		if e.sess.InlineStatic == nil || !e.sess.InlineStatic(s) {
			return id, true
		}
		return 0, false
	}
	if !e.session {
		return 0, false
	}
	if k, ok := e.sess.index[s]; ok {
		return 2*k + 1, true
	}
	if k, ok := e.addedIdx[s]; ok {
		return 2*k + 1, true
	}
	if e.sess.SessionName != nil && !e.sess.SessionName(s) {
		return 0, false
	}
	if len(e.sess.strs)+len(e.added)+1 > e.lim.MaxSessionStrings || e.sess.size+e.addedBytes+len(s) > e.lim.MaxSessionBytes {
		return 0, false
	}
	if e.addedIdx == nil {
		e.addedIdx = map[string]int{}
	}
	k := len(e.sess.strs) + len(e.added)
	e.addedIdx[s] = k
	e.added = append(e.added, s)
	e.addedBytes += len(s)
	return 2*k + 1, true
}

func (e *encoder) bound(prefix string, own map[string]bool) bool {
	return prefix == "" || prefix == "xml" || own["xmlns:"+prefix] || e.nBound[prefix] > 0
}

func (e *encoder) element(t xml.StartElement) error {
	prefix, local := t.Name.Space, t.Name.Local
	qname := rawQName(t.Name)
	if !isNCName(local) || (prefix != "" && !isNCName(prefix)) {
		return e.errf(ErrNotEncodable, "element name %q is not a namespace-valid XML name", qname)
	}
	if prefix == "xmlns" {
		return e.errf(ErrNotEncodable, "element <%s> uses the xmlns prefix", qname)
	}
	var decls []nsDecl
	seen := map[string]bool{}
	for _, a := range t.Attr {
		aq := rawQName(a.Name)
		if seen[aq] {
			return e.errf(ErrNotEncodable, "attribute %s appears twice on <%s>", aq, qname)
		}
		seen[aq] = true
		if !isNCName(a.Name.Local) || (a.Name.Space != "" && !isNCName(a.Name.Space)) {
			return e.errf(ErrNotEncodable, "attribute name %q is not a namespace-valid XML name", aq)
		}
		switch {
		case a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns"):
			p := ""
			if a.Name.Space == "xmlns" {
				p = a.Name.Local
			}
			switch {
			case p == "xmlns":
				return e.errf(ErrNotEncodable, "the xmlns prefix cannot be declared")
			case p == "xml" && a.Value != nsXML, p != "xml" && a.Value == nsXML:
				return e.errf(ErrNotEncodable, "the xml prefix and only it is bound to %s", nsXML)
			case a.Value == nsXMLNS:
				return e.errf(ErrNotEncodable, "%s cannot be declared", nsXMLNS)
			case p != "" && a.Value == "":
				return e.errf(ErrNotEncodable, "prefix %q declared with an empty namespace", p)
			}
			decls = append(decls, nsDecl{p, a.Value})
		}
	}
	if !e.bound(prefix, seen) {
		return e.errf(ErrNotEncodable, "element <%s> uses undeclared prefix %q", qname, prefix)
	}
	for _, a := range t.Attr {
		if a.Name.Space != "xmlns" && !e.bound(a.Name.Space, seen) {
			return e.errf(ErrNotEncodable, "attribute %s uses undeclared prefix %q", rawQName(a.Name), a.Name.Space)
		}
	}

	b := e.out
	id, dict := e.nameID(local)
	l := letter(prefix)
	switch {
	case prefix == "" && dict:
		b = appendMB32(append(b, recShortDictionaryElement), id)
	case prefix == "":
		b = appendName(append(b, recShortElement), local)
	case l >= 0 && dict:
		b = appendMB32(append(b, byte(recPrefixDictionaryElementA+l)), id)
	case l >= 0:
		b = appendName(append(b, byte(recPrefixElementA+l)), local)
	case dict:
		b = appendMB32(appendName(append(b, recDictionaryElement), prefix), id)
	default:
		b = appendName(appendName(append(b, recElement), prefix), local)
	}
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			if id, dict := e.nameID(a.Value); dict {
				b = appendMB32(append(b, recShortDictionaryXmlnsAttribute), id)
			} else {
				b = appendName(append(b, recShortXmlnsAttribute), a.Value)
			}
			continue
		case a.Name.Space == "xmlns":
			if id, dict := e.nameID(a.Value); dict {
				b = appendMB32(appendName(append(b, recDictionaryXmlnsAttribute), a.Name.Local), id)
			} else {
				b = appendName(appendName(append(b, recXmlnsAttribute), a.Name.Local), a.Value)
			}
			continue
		}
		p := a.Name.Space
		id, dict := e.nameID(a.Name.Local)
		l := letter(p)
		switch {
		case p == "" && dict:
			b = appendMB32(append(b, recShortDictionaryAttribute), id)
		case p == "":
			b = appendName(append(b, recShortAttribute), a.Name.Local)
		case l >= 0 && dict:
			b = appendMB32(append(b, byte(recPrefixDictionaryAttributeA+l)), id)
		case l >= 0:
			b = appendName(append(b, byte(recPrefixAttributeA+l)), a.Name.Local)
		case dict:
			b = appendMB32(appendName(append(b, recDictionaryAttribute), p), id)
		default:
			b = appendName(appendName(append(b, recAttribute), p), a.Name.Local)
		}
		b = e.appendText(b, a.Value, false)
	}
	e.out = b
	if e.nBound == nil {
		e.nBound = map[string]int{}
	}
	for _, d := range decls {
		e.nBound[d.prefix]++
	}
	e.scope = append(e.scope, decls...)
	e.stack = append(e.stack, encFrame{name: t.Name, nDecls: len(decls)})
	return nil
}

// appendText appends the text record for s (the WithEndElement variant
// when end is set), choosing the typed forms WCF writes where they decode
// back to exactly s.
func (e *encoder) appendText(b []byte, s string, end bool) []byte {
	var endBit byte
	if end {
		endBit = 1
	}
	switch s {
	case "":
		return append(b, recEmptyText|endBit)
	case "0":
		return append(b, recZeroText|endBit)
	case "1":
		return append(b, recOneText|endBit)
	case "false":
		return append(b, recFalseText|endBit)
	case "true":
		return append(b, recTrueText|endBit)
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(v, 10) == s {
		switch {
		case v >= -128 && v <= 127:
			return append(b, recInt8Text|endBit, byte(int8(v)))
		case v >= -32768 && v <= 32767:
			return binary.LittleEndian.AppendUint16(append(b, recInt16Text|endBit), uint16(int16(v)))
		case v >= -1<<31 && v <= 1<<31-1:
			return binary.LittleEndian.AppendUint32(append(b, recInt32Text|endBit), uint32(int32(v)))
		}
		return binary.LittleEndian.AppendUint64(append(b, recInt64Text|endBit), uint64(v))
	}
	if v, err := strconv.ParseUint(s, 10, 64); err == nil && strconv.FormatUint(v, 10) == s {
		return binary.LittleEndian.AppendUint64(append(b, recUInt64Text|endBit), v)
	}
	if rest, ok := strings.CutPrefix(s, "urn:uuid:"); ok {
		if g, ok := parseGUID(rest); ok {
			return append(append(b, recUniqueIdText|endBit), g...)
		}
	}
	if g, ok := parseGUID(s); ok {
		return append(append(b, recUuidText|endBit), g...)
	}
	if id, ok := StaticID(s); ok && (e.sess.InlineStatic == nil || !e.sess.InlineStatic(s)) {
		return appendMB32(append(b, recDictionaryText|endBit), id)
	}
	switch n := len(s); {
	case n < 1<<8:
		b = append(b, recChars8Text|endBit, byte(n))
	case n < 1<<16:
		b = binary.LittleEndian.AppendUint16(append(b, recChars16Text|endBit), uint16(n))
	default:
		b = binary.LittleEndian.AppendUint32(append(b, recChars32Text|endBit), uint32(n))
	}
	return append(b, s...)
}
