package nbfx

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decoder turns one MC-NBFX document into textual XML.
type decoder struct {
	data    []byte
	pos     int
	lim     Limits
	session []string // session strings by key (id = 2*key+1)
	out     []byte

	stack    []frame
	scope    []nsDecl
	bound    map[string]int // prefix → number of declarations in scope
	open     bool           // the start tag of the top element still lacks its '>'
	rootSeen bool
	rootDone bool
}

type frame struct {
	qname  string
	nDecls int
}

type nsDecl struct{ prefix, uri string }

// attr is one attribute record of an element, in record order.
type attr struct {
	xmlns  bool // a namespace declaration: prefix is the declared prefix, value the URI
	prefix string
	local  string
	value  string
}

func (d *decoder) errf(kind error, format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", kind, d.pos, oneLine(fmt.Sprintf(format, args...)))
}

func (d *decoder) malformed(format string, args ...any) error {
	return d.errf(ErrMalformed, format, args...)
}

func (d *decoder) need(n int, what string) error {
	if n < 0 || n > len(d.data)-d.pos {
		return d.malformed("%s needs %d bytes, %d left", what, n, len(d.data)-d.pos)
	}
	return nil
}

func (d *decoder) u8(what string) (byte, error) {
	if err := d.need(1, what); err != nil {
		return 0, err
	}
	d.pos++
	return d.data[d.pos-1], nil
}

func (d *decoder) take(n int, what string) ([]byte, error) {
	if err := d.need(n, what); err != nil {
		return nil, err
	}
	d.pos += n
	return d.data[d.pos-n : d.pos], nil
}

// mb32 reads a MultiByteInt31 ([MC-NBFX] §2.1.2), rejecting truncated,
// overlong and non-minimal encodings.
func (d *decoder) mb32(what string) (int, error) {
	v, n, err := decodeMB32(d.data[d.pos:])
	if err != nil {
		return 0, d.malformed("%s: %v", what, err)
	}
	d.pos += n
	return v, nil
}

// decodeMB32 decodes a MultiByteInt31 at the start of b.
func decodeMB32(b []byte) (int, int, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, fmt.Errorf("truncated MultiByteInt31")
		}
		c := b[i]
		if i == 4 && c&0xF8 != 0 {
			return 0, 0, fmt.Errorf("MultiByteInt31 exceeds 31 bits")
		}
		v |= uint32(c&0x7F) << (7 * i)
		if c&0x80 == 0 {
			if c == 0 && i > 0 {
				return 0, 0, fmt.Errorf("non-minimal MultiByteInt31")
			}
			return int(v), i + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("MultiByteInt31 longer than 5 bytes")
}

// appendMB32 appends the MultiByteInt31 encoding of 0 ≤ v ≤ 0x7FFFFFFF.
func appendMB32(b []byte, v int) []byte {
	u := uint32(v)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

// name reads a String ([MC-NBFX] §2.1.3): MultiByteInt31 length, UTF-8.
func (d *decoder) name(what string) (string, error) {
	n, err := d.mb32(what + " length")
	if err != nil {
		return "", err
	}
	b, err := d.take(n, what)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", d.malformed("%s is not UTF-8", what)
	}
	return string(b), nil
}

// dict reads a DictionaryString ([MC-NBFX] §2.1.4): an even id names a
// static string ([MC-NBFS]), an odd one a session string ([MC-NBFSE]).
func (d *decoder) dict(what string) (string, error) {
	start := d.pos
	id, err := d.mb32(what + " dictionary id")
	if err != nil {
		return "", err
	}
	if id%2 == 0 {
		if s, ok := StaticString(id); ok {
			return s, nil
		}
		d.pos = start
		return "", d.malformed("%s: static dictionary id %#x is not defined (largest is %#x)", what, id, 2*(StaticCount-1))
	}
	if key := id / 2; key < len(d.session) {
		return d.session[key], nil
	}
	d.pos = start
	return "", d.malformed("%s: session dictionary id %d is not defined (%d session strings known)", what, id, len(d.session))
}

func (d *decoder) write(s string) error {
	d.out = append(d.out, s...)
	return d.checkSize()
}

func (d *decoder) checkSize() error {
	if len(d.out) > d.lim.MaxXMLBytes {
		return d.errf(ErrTooLarge, "decoded XML exceeds %d bytes", d.lim.MaxXMLBytes)
	}
	return nil
}

// closeStart finishes a pending start tag before content is written.
func (d *decoder) closeStart() {
	if d.open {
		d.out = append(d.out, '>')
		d.open = false
	}
}

// run decodes the whole input.
func (d *decoder) run() error {
	for d.pos < len(d.data) {
		t := d.data[d.pos]
		switch {
		case t == recEndElement:
			d.pos++
			if err := d.endElement(); err != nil {
				return err
			}
		case t == recComment:
			d.pos++
			if err := d.comment(); err != nil {
				return err
			}
		case t == recArray:
			d.pos++
			if err := d.array(); err != nil {
				return err
			}
		case t >= recShortAttribute && t <= recPrefixAttributeA+25:
			return d.malformed("%s record outside an element start", recordName(t))
		case t >= recShortElement && t <= recPrefixElementA+25:
			d.pos++
			if err := d.element(t); err != nil {
				return err
			}
		case t >= recZeroText && t <= recMaxText:
			if err := d.contentText(); err != nil {
				return err
			}
		default:
			return d.malformed("%s", recordName(t))
		}
	}
	if len(d.stack) > 0 {
		return d.malformed("end of data inside element <%s> (%d elements open)", d.stack[len(d.stack)-1].qname, len(d.stack))
	}
	if !d.rootSeen {
		return d.malformed("no root element")
	}
	return nil
}

// elementName reads the name part of element record t.
func (d *decoder) elementName(t byte) (prefix, local string, err error) {
	switch {
	case t == recShortElement:
		local, err = d.name("element name")
	case t == recElement:
		if prefix, err = d.name("element prefix"); err == nil {
			local, err = d.name("element name")
		}
	case t == recShortDictionaryElement:
		local, err = d.dict("element name")
	case t == recDictionaryElement:
		if prefix, err = d.name("element prefix"); err == nil {
			local, err = d.dict("element name")
		}
	case t >= recPrefixDictionaryElementA && t < recPrefixElementA:
		prefix = string(rune('a' + t - recPrefixDictionaryElementA))
		local, err = d.dict("element name")
	default:
		prefix = string(rune('a' + t - recPrefixElementA))
		local, err = d.name("element name")
	}
	return prefix, local, err
}

// attributes reads the attribute records following an element record.
func (d *decoder) attributes() ([]attr, error) {
	var attrs []attr
	size := len(d.out) // what the start tag will add to the output, roughly
	for d.pos < len(d.data) {
		t := d.data[d.pos]
		if t < recShortAttribute || t > recPrefixAttributeA+25 {
			break
		}
		d.pos++
		var a attr
		var err error
		switch {
		case t == recShortAttribute:
			a.local, err = d.name("attribute name")
		case t == recAttribute:
			if a.prefix, err = d.name("attribute prefix"); err == nil {
				a.local, err = d.name("attribute name")
			}
		case t == recShortDictionaryAttribute:
			a.local, err = d.dict("attribute name")
		case t == recDictionaryAttribute:
			if a.prefix, err = d.name("attribute prefix"); err == nil {
				a.local, err = d.dict("attribute name")
			}
		case t == recShortXmlnsAttribute:
			a.xmlns = true
			a.value, err = d.name("namespace")
		case t == recXmlnsAttribute:
			a.xmlns = true
			if a.prefix, err = d.name("namespace prefix"); err == nil {
				a.value, err = d.name("namespace")
			}
		case t == recShortDictionaryXmlnsAttribute:
			a.xmlns = true
			a.value, err = d.dict("namespace")
		case t == recDictionaryXmlnsAttribute:
			a.xmlns = true
			if a.prefix, err = d.name("namespace prefix"); err == nil {
				a.value, err = d.dict("namespace")
			}
		case t < recPrefixAttributeA:
			a.prefix = string(rune('a' + t - recPrefixDictionaryAttributeA))
			a.local, err = d.dict("attribute name")
		default:
			a.prefix = string(rune('a' + t - recPrefixAttributeA))
			a.local, err = d.name("attribute name")
		}
		if err != nil {
			return nil, err
		}
		if !a.xmlns {
			v, end, err := d.text(false)
			if err != nil {
				return nil, err
			}
			if end {
				return nil, d.malformed("attribute %s has a WithEndElement text record", joinQName(a.prefix, a.local))
			}
			a.value = v
		}
		size += len(a.prefix) + len(a.local) + len(a.value) + 10
		if size > d.lim.MaxXMLBytes {
			return nil, d.errf(ErrTooLarge, "decoded XML exceeds %d bytes", d.lim.MaxXMLBytes)
		}
		attrs = append(attrs, a)
	}
	return attrs, nil
}

func joinQName(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

// startTag validates an element and its attributes, pushes its namespace
// declarations and returns its start tag (without the closing '>') and
// qualified name. On error nothing is pushed.
func (d *decoder) startTag(prefix, local string, attrs []attr) (string, string, error) {
	qname := joinQName(prefix, local)
	if !isNCName(local) || (prefix != "" && !isNCName(prefix)) {
		return "", "", d.malformed("element name %q is not an XML name", qname)
	}
	if prefix == "xmlns" {
		return "", "", d.malformed("element <%s> uses the xmlns prefix", qname)
	}
	var decls []nsDecl
	seen := map[string]bool{}
	for _, a := range attrs {
		if a.xmlns {
			if a.prefix != "" && !isNCName(a.prefix) {
				return "", "", d.malformed("namespace prefix %q is not an XML name", a.prefix)
			}
			key := "xmlns:" + a.prefix
			if seen[key] {
				return "", "", d.malformed("prefix %q declared twice on <%s>", a.prefix, qname)
			}
			seen[key] = true
			switch {
			case a.prefix == "xmlns":
				return "", "", d.malformed("the xmlns prefix cannot be declared")
			case a.prefix == "xml" && a.value != nsXML, a.prefix != "xml" && a.value == nsXML:
				return "", "", d.malformed("the xml prefix and only it is bound to %s", nsXML)
			case a.value == nsXMLNS:
				return "", "", d.malformed("%s cannot be declared", nsXMLNS)
			case a.prefix != "" && a.value == "":
				return "", "", d.malformed("prefix %q declared with an empty namespace", a.prefix)
			}
			if r, bad := badChar(a.value); bad {
				return "", "", d.malformed("namespace %q contains %U, not allowed in XML", a.value, r)
			}
			decls = append(decls, nsDecl{a.prefix, a.value})
			continue
		}
		aq := joinQName(a.prefix, a.local)
		if !isNCName(a.local) || (a.prefix != "" && !isNCName(a.prefix)) {
			return "", "", d.malformed("attribute name %q is not an XML name", aq)
		}
		if a.prefix == "xmlns" || (a.prefix == "" && a.local == "xmlns") {
			return "", "", d.malformed("attribute %s must be written as an xmlns record", aq)
		}
		if seen[aq] {
			return "", "", d.malformed("attribute %s appears twice on <%s>", aq, qname)
		}
		seen[aq] = true
		if r, bad := badChar(a.value); bad {
			return "", "", d.malformed("attribute %s value contains %U, not allowed in XML", aq, r)
		}
	}
	bound := func(p string) bool {
		return p == "" || p == "xml" || seen["xmlns:"+p] || d.bound[p] > 0
	}
	if !bound(prefix) {
		return "", "", d.malformed("element <%s> uses undeclared prefix %q", qname, prefix)
	}
	for _, a := range attrs {
		if !a.xmlns && !bound(a.prefix) {
			return "", "", d.malformed("attribute %s uses undeclared prefix %q", joinQName(a.prefix, a.local), a.prefix)
		}
	}
	b := make([]byte, 0, 64)
	b = append(b, '<')
	b = append(b, qname...)
	for _, a := range attrs {
		b = append(b, ' ')
		if a.xmlns {
			b = append(b, "xmlns"...)
			if a.prefix != "" {
				b = append(b, ':')
				b = append(b, a.prefix...)
			}
		} else {
			b = append(b, joinQName(a.prefix, a.local)...)
		}
		b = append(b, '=', '"')
		b = appendEscaped(b, a.value)
		b = append(b, '"')
	}
	d.pushDecls(decls)
	return string(b), qname, nil
}

func (d *decoder) pushDecls(decls []nsDecl) {
	if d.bound == nil {
		d.bound = map[string]int{}
	}
	for _, dc := range decls {
		d.bound[dc.prefix]++
	}
	d.scope = append(d.scope, decls...)
}

// popDecls drops the last n declarations from the scope.
func (d *decoder) popDecls(n int) {
	for _, dc := range d.scope[len(d.scope)-n:] {
		d.bound[dc.prefix]--
	}
	d.scope = d.scope[:len(d.scope)-n]
}

// push starts an element after its start tag was built.
func (d *decoder) push(tag, qname string, nDecls int) error {
	if len(d.stack) >= d.lim.MaxDepth {
		return d.errf(ErrTooDeep, "more than %d nested elements", d.lim.MaxDepth)
	}
	if d.rootDone && len(d.stack) == 0 {
		return d.malformed("second root element <%s>", qname)
	}
	d.rootSeen = true
	d.closeStart()
	d.stack = append(d.stack, frame{qname: qname, nDecls: nDecls})
	d.open = true
	return d.write(tag)
}

func (d *decoder) element(t byte) error {
	prefix, local, err := d.elementName(t)
	if err != nil {
		return err
	}
	attrs, err := d.attributes()
	if err != nil {
		return err
	}
	before := len(d.scope)
	tag, qname, err := d.startTag(prefix, local, attrs)
	if err != nil {
		return err
	}
	return d.push(tag, qname, len(d.scope)-before)
}

func (d *decoder) endElement() error {
	if len(d.stack) == 0 {
		return d.malformed("EndElement record without an open element")
	}
	f := d.stack[len(d.stack)-1]
	d.stack = d.stack[:len(d.stack)-1]
	d.popDecls(f.nDecls)
	if d.open {
		d.open = false
		d.out = append(d.out, '/', '>')
	} else {
		d.out = append(d.out, "</"...)
		d.out = append(d.out, f.qname...)
		d.out = append(d.out, '>')
	}
	if len(d.stack) == 0 {
		d.rootDone = true
	}
	return d.checkSize()
}

func (d *decoder) comment() error {
	s, err := d.name("comment")
	if err != nil {
		return err
	}
	if r, bad := badChar(s); bad {
		return d.malformed("comment contains %U, not allowed in XML", r)
	}
	if strings.Contains(s, "--") || strings.HasSuffix(s, "-") {
		return d.malformed("comment text %q cannot be written in XML (contains \"--\" or ends with \"-\")", s)
	}
	d.closeStart()
	return d.write("<!--" + s + "-->")
}

// contentText reads a text record in element content (or between
// top-level nodes, where only white space is allowed and dropped).
func (d *decoder) contentText() error {
	start := d.pos
	s, end, err := d.text(true)
	if err != nil {
		return err
	}
	if len(d.stack) == 0 {
		if end {
			d.pos = start
			return d.malformed("%s outside any element", recordName(d.data[start]))
		}
		if !isXMLSpace([]byte(s)) {
			d.pos = start
			return d.malformed("text outside the root element")
		}
		return nil
	}
	if r, bad := badChar(s); bad {
		d.pos = start
		return d.malformed("text contains %U, not allowed in XML", r)
	}
	if s != "" {
		d.closeStart()
		d.out = appendEscaped(d.out, s)
		if err := d.checkSize(); err != nil {
			return err
		}
	}
	if end {
		return d.endElement()
	}
	return nil
}

// text reads one text record (a StartList … EndList list counts as one)
// and returns its string value and whether it is a WithEndElement
// variant. inContent allows EndListTextWithEndElement.
func (d *decoder) text(inContent bool) (string, bool, error) {
	t, err := d.u8("text record")
	if err != nil {
		return "", false, err
	}
	if t < recZeroText || t > recMaxText {
		d.pos--
		return "", false, d.malformed("%s where a text record is required", recordName(t))
	}
	base, end := t&^1, t&1 == 1
	switch base {
	case recStartListText:
		if end {
			d.pos--
			return "", false, d.malformed("StartListTextWithEndElement is not a valid record")
		}
		return d.list(inContent)
	case recEndListText:
		d.pos--
		return "", false, d.malformed("%s without StartListText", recordName(t))
	}
	s, err := d.atom(base)
	return s, end, err
}

// list reads the items of a list up to EndListText; items are joined by
// one space.
func (d *decoder) list(inContent bool) (string, bool, error) {
	var b strings.Builder
	for n := 0; ; n++ {
		t, err := d.u8("list item")
		if err != nil {
			return "", false, err
		}
		if t&^1 == recEndListText {
			end := t&1 == 1
			if end && !inContent {
				d.pos--
				return "", false, d.malformed("EndListTextWithEndElement in an attribute value")
			}
			return b.String(), end, nil
		}
		if t < recZeroText || t > recMaxText || t&1 == 1 || t == recStartListText {
			d.pos--
			return "", false, d.malformed("%s inside a list", recordName(t))
		}
		s, err := d.atom(t)
		if err != nil {
			return "", false, err
		}
		if n > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
		if b.Len() > d.lim.MaxXMLBytes {
			return "", false, d.errf(ErrTooLarge, "list text exceeds %d bytes", d.lim.MaxXMLBytes)
		}
	}
}

// atom decodes the value of text record type base (even, not a list).
func (d *decoder) atom(base byte) (string, error) {
	what := recordName(base)
	fixed := func(n int) ([]byte, error) { return d.take(n, what) }
	switch base {
	case recZeroText:
		return "0", nil
	case recOneText:
		return "1", nil
	case recFalseText:
		return "false", nil
	case recTrueText:
		return "true", nil
	case recEmptyText:
		return "", nil
	case recInt8Text:
		b, err := fixed(1)
		if err != nil {
			return "", err
		}
		return strconv.Itoa(int(int8(b[0]))), nil
	case recInt16Text:
		b, err := fixed(2)
		if err != nil {
			return "", err
		}
		return strconv.Itoa(int(int16(binary.LittleEndian.Uint16(b)))), nil
	case recInt32Text:
		b, err := fixed(4)
		if err != nil {
			return "", err
		}
		return strconv.Itoa(int(int32(binary.LittleEndian.Uint32(b)))), nil
	case recInt64Text:
		b, err := fixed(8)
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(int64(binary.LittleEndian.Uint64(b)), 10), nil
	case recUInt64Text:
		b, err := fixed(8)
		if err != nil {
			return "", err
		}
		return strconv.FormatUint(binary.LittleEndian.Uint64(b), 10), nil
	case recFloatText:
		b, err := fixed(4)
		if err != nil {
			return "", err
		}
		return formatFloat(float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), 32), nil
	case recDoubleText:
		b, err := fixed(8)
		if err != nil {
			return "", err
		}
		return formatFloat(math.Float64frombits(binary.LittleEndian.Uint64(b)), 64), nil
	case recDecimalText:
		b, err := fixed(16)
		if err != nil {
			return "", err
		}
		s, err := formatDecimal(b)
		if err != nil {
			d.pos -= 16
			return "", d.malformed("%v", err)
		}
		return s, nil
	case recDateTimeText:
		b, err := fixed(8)
		if err != nil {
			return "", err
		}
		s, err := formatDateTime(binary.LittleEndian.Uint64(b))
		if err != nil {
			d.pos -= 8
			return "", d.malformed("%v", err)
		}
		return s, nil
	case recTimeSpanText:
		b, err := fixed(8)
		if err != nil {
			return "", err
		}
		return formatTimeSpan(int64(binary.LittleEndian.Uint64(b))), nil
	case recUniqueIdText, recUuidText:
		b, err := fixed(16)
		if err != nil {
			return "", err
		}
		if base == recUniqueIdText {
			return "urn:uuid:" + formatGUID(b), nil
		}
		return formatGUID(b), nil
	case recBoolText:
		b, err := fixed(1)
		if err != nil {
			return "", err
		}
		switch b[0] {
		case 0:
			return "false", nil
		case 1:
			return "true", nil
		}
		d.pos--
		return "", d.malformed("BoolText value %#02x is neither 0 nor 1", b[0])
	case recChars8Text, recChars16Text, recChars32Text:
		b, err := d.counted(base-recChars8Text, what)
		if err != nil {
			return "", err
		}
		if !utf8.Valid(b) {
			d.pos -= len(b)
			return "", d.malformed("%s is not UTF-8", what)
		}
		return string(b), nil
	case recBytes8Text, recBytes16Text, recBytes32Text:
		b, err := d.counted(base-recBytes8Text, what)
		if err != nil {
			return "", err
		}
		if base64.StdEncoding.EncodedLen(len(b)) > d.lim.MaxXMLBytes {
			return "", d.errf(ErrTooLarge, "base64 text exceeds %d bytes", d.lim.MaxXMLBytes)
		}
		return base64.StdEncoding.EncodeToString(b), nil
	case recUnicodeChars8Text, recUnicodeChars16Text, recUnicodeChars32Text:
		b, err := d.counted(base-recUnicodeChars8Text, what)
		if err != nil {
			return "", err
		}
		if len(b)%2 != 0 {
			d.pos -= len(b)
			return "", d.malformed("%s has an odd byte count %d", what, len(b))
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
		// Lone surrogates have no UTF-8 form.
		for i := 0; i < len(u); i++ {
			c := u[i]
			if c >= 0xD800 && c < 0xDC00 && i+1 < len(u) && u[i+1] >= 0xDC00 && u[i+1] <= 0xDFFF {
				i++
				continue
			}
			if c >= 0xD800 && c <= 0xDFFF {
				d.pos -= len(b)
				return "", d.malformed("%s contains an unpaired surrogate", what)
			}
		}
		return string(utf16.Decode(u)), nil
	case recDictionaryText:
		return d.dict("text")
	case recQNameDictionaryText:
		p, err := fixed(1)
		if err != nil {
			return "", err
		}
		if p[0] > 25 {
			d.pos--
			return "", d.malformed("QNameDictionaryText prefix %d is not 0-25 (a-z)", p[0])
		}
		local, err := d.dict("qualified name")
		if err != nil {
			return "", err
		}
		return string(rune('a'+p[0])) + ":" + local, nil
	}
	return "", d.malformed("%s", what)
}

// counted reads the length (UInt8, UInt16 or Int32 little-endian for
// size 0, 1, 2: the 8/16/32 variants) and that many bytes.
func (d *decoder) counted(size byte, what string) ([]byte, error) {
	var n int
	switch size {
	case 0:
		b, err := d.take(1, what+" length")
		if err != nil {
			return nil, err
		}
		n = int(b[0])
	case 2:
		b, err := d.take(2, what+" length")
		if err != nil {
			return nil, err
		}
		n = int(binary.LittleEndian.Uint16(b))
	default:
		b, err := d.take(4, what+" length")
		if err != nil {
			return nil, err
		}
		v := int32(binary.LittleEndian.Uint32(b))
		if v < 0 {
			d.pos -= 4
			return nil, d.malformed("%s length %d is negative", what, v)
		}
		n = int(v)
	}
	return d.take(n, what)
}

// Array ([MC-NBFX] §2.2.3.31): an element record with its attributes, an
// EndElement record, a WithEndElement text record type, a MultiByteInt31
// count and count fixed-size values; it stands for count elements with
// the same name and attributes.
func (d *decoder) array() error {
	t, err := d.u8("array element")
	if err != nil {
		return err
	}
	if t < recShortElement || t > recPrefixElementA+25 {
		d.pos--
		return d.malformed("Array record followed by %s instead of an element record", recordName(t))
	}
	prefix, local, err := d.elementName(t)
	if err != nil {
		return err
	}
	attrs, err := d.attributes()
	if err != nil {
		return err
	}
	if e, err := d.u8("array EndElement"); err != nil {
		return err
	} else if e != recEndElement {
		d.pos--
		return d.malformed("Array element followed by %s instead of EndElement", recordName(e))
	}
	vt, err := d.u8("array value type")
	if err != nil {
		return err
	}
	var size int
	switch vt {
	case recBoolText + 1, recInt8Text + 1:
		size = 1
	case recInt16Text + 1:
		size = 2
	case recInt32Text + 1, recFloatText + 1:
		size = 4
	case recInt64Text + 1, recDoubleText + 1, recDateTimeText + 1, recTimeSpanText + 1:
		size = 8
	case recDecimalText + 1, recUuidText + 1:
		size = 16
	default:
		d.pos--
		return d.malformed("%s is not an array value type", recordName(vt))
	}
	count, err := d.mb32("array count")
	if err != nil {
		return err
	}
	if count == 0 {
		return d.malformed("array with zero items")
	}
	if count > (len(d.data)-d.pos)/size {
		return d.malformed("array of %d items of %d bytes needs more than the %d bytes left", count, size, len(d.data)-d.pos)
	}
	before := len(d.scope)
	tag, qname, err := d.startTag(prefix, local, attrs)
	if err != nil {
		return err
	}
	// The items have no children: their declarations go out of scope
	// at once.
	d.popDecls(len(d.scope) - before)
	for i := 0; i < count; i++ {
		v, err := d.atom(vt - 1)
		if err != nil {
			return err
		}
		if err := d.pushArrayItem(tag, qname, v); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) pushArrayItem(tag, qname, v string) error {
	if len(d.stack) >= d.lim.MaxDepth {
		return d.errf(ErrTooDeep, "more than %d nested elements", d.lim.MaxDepth)
	}
	if d.rootDone && len(d.stack) == 0 {
		return d.malformed("second root element <%s>", qname)
	}
	d.rootSeen = true
	d.closeStart()
	d.out = append(d.out, tag...)
	d.out = append(d.out, '>')
	d.out = appendEscaped(d.out, v)
	d.out = append(d.out, "</"...)
	d.out = append(d.out, qname...)
	d.out = append(d.out, '>')
	if len(d.stack) == 0 {
		d.rootDone = true
	}
	return d.checkSize()
}
