package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits bound the resources spent on one message. Zero fields take the
// defaults.
type Limits struct {
	// MaxBytes is the largest message accepted, in bytes (default 1 MiB).
	MaxBytes int64
	// MaxDepth is the deepest element nesting accepted, counting the root
	// element as depth 1 (default 64).
	MaxDepth int
}

// Default limits.
const (
	DefaultMaxBytes = 1 << 20
	DefaultMaxDepth = 64
)

// WithDefaults returns l with zero (or negative) fields replaced by the
// defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// Parse errors. Every error returned by Parse, ParseFault and the IPAM
// parsers wraps one of these (test with errors.Is) and is a single line.
var (
	ErrNotXML               = errors.New("soap: not XML")
	ErrSOAP11               = errors.New("soap: SOAP 1.1 envelope (namespace " + NSSoap11 + "); SOAP 1.2 (" + NSSoap12 + ") is required")
	ErrNotEnvelope          = errors.New("soap: root element is not a SOAP 1.2 Envelope")
	ErrNoBody               = errors.New("soap: Envelope has no Body")
	ErrMultipleBodyChildren = errors.New("soap: Body has more than one child element")
	ErrTooDeep              = errors.New("soap: document nested too deeply")
	ErrTooLarge             = errors.New("soap: message too large")
	ErrTrailingData         = errors.New("soap: trailing data after the root element")
	ErrMalformed            = errors.New("soap: malformed message")
)

// oneLine makes s safe to print on one line and bounds its length.
func oneLine(s string) string {
	const max = 400
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n >= max {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
		n++
	}
	return b.String()
}

func errf(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", kind, oneLine(fmt.Sprintf(format, args...)))
}

// fmtName renders an element name for error messages.
func fmtName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return "{" + n.Space + "}" + n.Local
}

// tokReader wraps an xml.Decoder over an in-memory document. It reads raw
// tokens and does namespace processing itself, so that it can reject
// undeclared prefixes (which would make raw element bytes change meaning
// when moved), enforce the depth limit as tokens arrive (memory therefore
// never grows past MaxDepth open elements), reject DTDs, and track the
// declarations in scope so raw element bytes can be made self-contained.
type tokReader struct {
	d     *xml.Decoder
	data  []byte
	max   int
	depth int
	scope [][]xml.Attr // namespace declarations of each open element
	open  []xml.Name   // raw (prefix, local) names of the open elements
}

func newTokReader(data []byte, lim Limits) *tokReader {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	return &tokReader{d: d, data: data, max: lim.MaxDepth}
}

// lookupNS resolves a prefix ("" for the default namespace) in the current
// scope.
func (r *tokReader) lookupNS(prefix string) (string, bool) {
	if prefix == "xml" {
		return NSXML, true
	}
	for i := len(r.scope) - 1; i >= 0; i-- {
		if uri, ok := lookupDecl(r.scope[i], prefix); ok {
			return uri, true
		}
	}
	if prefix == "" {
		return "", true
	}
	return "", false
}

// next returns the next token (copied, names resolved to namespace URIs),
// the input offset at which it starts, and an error. io.EOF is returned
// unwrapped at the end of input.
func (r *tokReader) next() (xml.Token, int64, error) {
	off := r.d.InputOffset()
	tok, err := r.d.RawToken()
	if err != nil {
		if err == io.EOF {
			return nil, off, io.EOF
		}
		return nil, off, errf(ErrNotXML, "%v", err)
	}
	switch t := tok.(type) {
	case xml.StartElement:
		if r.depth+1 > r.max {
			return nil, off, errf(ErrTooDeep, "more than %d nested elements (at byte %d)", r.max, off)
		}
		decls := nsDecls(t.Attr)
		for _, d := range decls {
			if d.Name.Space == "xmlns" && d.Value == "" {
				return nil, off, errf(ErrMalformed, "empty namespace declaration for prefix %q (at byte %d)", d.Name.Local, off)
			}
		}
		raw := t.Name
		r.depth++
		r.scope = append(r.scope, decls)
		r.open = append(r.open, raw)
		if raw.Space == "xmlns" {
			return nil, off, errf(ErrMalformed, "element name %s:%s uses the xmlns prefix (at byte %d)", raw.Space, raw.Local, off)
		}
		uri, ok := r.lookupNS(raw.Space)
		if !ok {
			return nil, off, errf(ErrMalformed, "undeclared namespace prefix %q on element %s (at byte %d)", raw.Space, raw.Local, off)
		}
		out := xml.StartElement{Name: xml.Name{Space: uri, Local: raw.Local}, Attr: make([]xml.Attr, 0, len(t.Attr))}
		for _, a := range t.Attr {
			switch {
			case a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns"):
				// Declarations are kept as written.
			case a.Name.Space == "":
			default:
				uri, ok := r.lookupNS(a.Name.Space)
				if !ok {
					return nil, off, errf(ErrMalformed, "undeclared namespace prefix %q on attribute %s (at byte %d)", a.Name.Space, a.Name.Local, off)
				}
				a.Name.Space = uri
			}
			out.Attr = append(out.Attr, a)
		}
		return out, off, nil
	case xml.EndElement:
		if len(r.open) == 0 {
			return nil, off, errf(ErrNotXML, "unexpected end element </%s> (at byte %d)", rawName(t.Name), off)
		}
		want := r.open[len(r.open)-1]
		if t.Name != want {
			return nil, off, errf(ErrNotXML, "element <%s> closed by </%s> (at byte %d)", rawName(want), rawName(t.Name), off)
		}
		uri, _ := r.lookupNS(want.Space)
		r.depth--
		r.scope = r.scope[:len(r.scope)-1]
		r.open = r.open[:len(r.open)-1]
		return xml.EndElement{Name: xml.Name{Space: uri, Local: want.Local}}, off, nil
	case xml.Directive:
		return nil, off, errf(ErrMalformed, "document type declarations and other directives are not allowed in SOAP messages (at byte %d)", off)
	default:
		return xml.CopyToken(tok), off, nil
	}
}

func rawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// nsDecls returns the namespace declarations among attrs.
func nsDecls(attrs []xml.Attr) []xml.Attr {
	var out []xml.Attr
	for _, a := range attrs {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			out = append(out, a)
		}
	}
	return out
}

// outerScope returns the declarations in scope for the innermost open
// element's children *excluding* that element's own declarations; i.e. what
// the element inherited from its ancestors.
func (r *tokReader) outerScope() []xml.Attr {
	if len(r.scope) == 0 {
		return nil
	}
	var out []xml.Attr
	for _, fr := range r.scope[:len(r.scope)-1] {
		out = append(out, fr...)
	}
	return out
}

// offset returns the current input offset.
func (r *tokReader) offset() int64 { return r.d.InputOffset() }

// skip consumes tokens up to and including the end of the element whose
// start was just read, returning the offset after its end tag.
func (r *tokReader) skip() (int64, error) {
	target := r.depth - 1
	for {
		tok, _, err := r.next()
		if err != nil {
			if err == io.EOF {
				return 0, errf(ErrNotXML, "unexpected end of document")
			}
			return 0, err
		}
		if _, ok := tok.(xml.EndElement); ok && r.depth == target {
			return r.offset(), nil
		}
	}
}

// node is a bounded element tree used for small parts of a message
// (header blocks, faults, IPAM bodies). Its depth is bounded by the
// tokReader's depth limit and its size by the message size limit.
type node struct {
	Name       xml.Name
	Attr       []xml.Attr
	Text       string
	Kids       []*node
	start, end int64
	decls      []xml.Attr // declarations on this element
	inherited  []xml.Attr // only on a tree root: declarations inherited from outside the tree
	parent     *node
}

// attr returns the value of the attribute with the given name.
func (n *node) attr(space, local string) (string, bool) {
	for _, a := range n.Attr {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// isNil reports whether the element carries xsi:nil="true".
func (n *node) isNil() bool {
	v, ok := n.attr(NSXSI, "nil")
	v = strings.TrimSpace(v)
	return ok && (v == "true" || v == "1")
}

// resolve maps a QName prefix in scope at n to its namespace URI.
func (n *node) resolve(prefix string) (string, bool) {
	for m := n; m != nil; m = m.parent {
		if uri, ok := lookupDecl(m.decls, prefix); ok {
			return uri, true
		}
		if m.parent == nil {
			return lookupDecl(reverse(m.inherited), prefix)
		}
	}
	return "", false
}

func reverse(a []xml.Attr) []xml.Attr {
	out := make([]xml.Attr, len(a))
	for i := range a {
		out[len(a)-1-i] = a[i]
	}
	return out
}

func lookupDecl(decls []xml.Attr, prefix string) (string, bool) {
	for _, d := range decls {
		if prefix == "" && d.Name.Space == "" && d.Name.Local == "xmlns" {
			return d.Value, true
		}
		if prefix != "" && d.Name.Space == "xmlns" && d.Name.Local == prefix {
			return d.Value, true
		}
	}
	return "", false
}

// resolveQName resolves a QName-valued text ("s:Sender") in scope at n.
func (n *node) resolveQName(text string) (xml.Name, error) {
	text = strings.TrimSpace(text)
	prefix, local, ok := strings.Cut(text, ":")
	if !ok {
		local, prefix = prefix, ""
	}
	if local == "" || strings.ContainsAny(local, " :") {
		return xml.Name{}, errf(ErrMalformed, "invalid QName %q", text)
	}
	uri, found := n.resolve(prefix)
	if !found && prefix != "" {
		return xml.Name{}, errf(ErrMalformed, "undeclared prefix %q in QName %q", prefix, text)
	}
	return xml.Name{Space: uri, Local: local}, nil
}

// child returns the first child with the given local name (any namespace).
func (n *node) child(local string) *node {
	for _, k := range n.Kids {
		if k.Name.Local == local {
			return k
		}
	}
	return nil
}

// readTree reads the element whose start token se (at offset start) was
// just returned by r, and everything inside it, into a node tree.
func (r *tokReader) readTree(se xml.StartElement, start int64) (*node, error) {
	root := &node{Name: se.Name, Attr: se.Attr, start: start, decls: nsDecls(se.Attr), inherited: r.outerScope()}
	cur := root
	var text []byte
	var texts [][]byte // text accumulators of the open ancestors
	for {
		tok, off, err := r.next()
		if err != nil {
			if err == io.EOF {
				return nil, errf(ErrNotXML, "unexpected end of document inside %s", fmtName(cur.Name))
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			k := &node{Name: t.Name, Attr: t.Attr, start: off, decls: nsDecls(t.Attr), parent: cur}
			cur.Kids = append(cur.Kids, k)
			texts = append(texts, text)
			text = nil
			cur = k
		case xml.EndElement:
			cur.Text = string(text)
			cur.end = r.offset()
			if cur == root {
				return root, nil
			}
			text = texts[len(texts)-1]
			texts = texts[:len(texts)-1]
			cur = cur.parent
		case xml.CharData:
			text = append(text, t...)
		}
	}
}

// raw returns the bytes of n as they appear in data, with every namespace
// declaration n inherits (and does not redeclare itself) copied onto its
// start tag, so the result parses on its own.
func (n *node) raw(data []byte) []byte {
	var inherited []xml.Attr
	var chain []*node
	for m := n.parent; m != nil; m = m.parent {
		chain = append(chain, m)
	}
	if len(chain) > 0 {
		inherited = append(inherited, chain[len(chain)-1].inherited...)
	} else {
		inherited = append(inherited, n.inherited...)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		inherited = append(inherited, chain[i].decls...)
	}
	return withDecls(data[n.start:n.end], inherited, n.decls)
}

// withDecls inserts the declarations of inherited (later entries override
// earlier ones) that own does not redeclare into the start tag of el.
func withDecls(el []byte, inherited, own []xml.Attr) []byte {
	key := func(a xml.Attr) string {
		if a.Name.Space == "" {
			return "" // default namespace
		}
		return a.Name.Local
	}
	skip := map[string]bool{}
	for _, a := range own {
		skip[key(a)] = true
	}
	final := map[string]string{}
	var order []string
	for _, a := range inherited {
		k := key(a)
		if skip[k] {
			continue
		}
		if _, seen := final[k]; !seen {
			order = append(order, k)
		}
		final[k] = a.Value
	}
	if len(order) == 0 {
		return bytes.Clone(el)
	}
	// End of the element name: first whitespace, '/' or '>' after '<'.
	i := 1
	for i < len(el) && !strings.ContainsRune(" \t\r\n/>", rune(el[i])) {
		i++
	}
	var b bytes.Buffer
	b.Grow(len(el) + 64*len(order))
	b.Write(el[:i])
	for _, k := range order {
		if k == "" {
			b.WriteString(` xmlns="`)
		} else {
			b.WriteString(` xmlns:` + k + `="`)
		}
		xml.EscapeText(&b, []byte(final[k]))
		b.WriteByte('"')
	}
	b.Write(el[i:])
	return b.Bytes()
}

// prolog consumes tokens up to the root start element.
func (r *tokReader) prolog() (xml.StartElement, int64, error) {
	for {
		tok, off, err := r.next()
		if err == io.EOF {
			return xml.StartElement{}, 0, errf(ErrNotXML, "no root element")
		}
		if err != nil {
			return xml.StartElement{}, 0, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, off, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return xml.StartElement{}, 0, errf(ErrNotXML, "text before the root element")
			}
		}
	}
}

// epilog consumes tokens after the root element: only whitespace, comments
// and processing instructions may follow.
func (r *tokReader) epilog() error {
	for {
		tok, off, err := r.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errf(ErrTrailingData, "at byte %d: %v", off, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return errf(ErrTrailingData, "second root element %s at byte %d", fmtName(t.Name), off)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errf(ErrTrailingData, "text at byte %d", off)
			}
		}
	}
}

// prepare applies the size limit, strips a UTF-8 byte order mark and
// rejects empty input.
func prepare(data []byte, lim Limits) ([]byte, error) {
	if int64(len(data)) > lim.MaxBytes {
		return nil, errf(ErrTooLarge, "%d bytes, limit %d", len(data), lim.MaxBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errf(ErrNotXML, "empty document")
	}
	return data, nil
}

// parseElement parses a standalone document consisting of one element into
// a node tree, with the limits applied.
func parseElement(data []byte, lim Limits) (*node, []byte, error) {
	lim = lim.WithDefaults()
	data, err := prepare(data, lim)
	if err != nil {
		return nil, nil, err
	}
	r := newTokReader(data, lim)
	se, off, err := r.prolog()
	if err != nil {
		return nil, nil, err
	}
	n, err := r.readTree(se, off)
	if err != nil {
		return nil, nil, err
	}
	if err := r.epilog(); err != nil {
		return nil, nil, err
	}
	return n, data, nil
}

// ReadLimited reads all of rd, failing with ErrTooLarge as soon as more
// than max bytes arrive (so at most max+1 bytes are ever buffered).
func ReadLimited(rd io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rd, max+1))
	if err != nil {
		return data, err
	}
	if int64(len(data)) > max {
		return data[:max], errf(ErrTooLarge, "more than %d bytes", max)
	}
	return data, nil
}

// ParseReader reads at most lim.MaxBytes from rd and parses the envelope.
func ParseReader(rd io.Reader, lim Limits) (*Envelope, error) {
	lim = lim.WithDefaults()
	data, err := ReadLimited(rd, lim.MaxBytes)
	if err != nil {
		return nil, err
	}
	return Parse(data, lim)
}

// Parse parses a SOAP 1.2 envelope. It fails, with a one-line error
// wrapping one of the Err* values, on input that is not XML, a SOAP 1.1
// envelope, a root other than Envelope, a missing Body, more than one Body
// child, nesting deeper than lim.MaxDepth, more than lim.MaxBytes, trailing
// data, or a structural violation of SOAP 1.2 / WS-Addressing (elements
// other than Header and Body, Header after Body, duplicate WS-Addressing
// headers, an invalid mustUnderstand value, a ReplyTo without Address).
func Parse(data []byte, lim Limits) (*Envelope, error) {
	lim = lim.WithDefaults()
	data, err := prepare(data, lim)
	if err != nil {
		return nil, err
	}
	r := newTokReader(data, lim)
	root, _, err := r.prolog()
	if err != nil {
		return nil, err
	}
	switch {
	case root.Name.Space == NSSoap11:
		return nil, ErrSOAP11
	case root.Name.Local == "Envelope" && root.Name.Space == NSSoap12:
	case root.Name.Local == "Envelope":
		return nil, errf(ErrNotEnvelope, "root element is Envelope in namespace %q, want %s", root.Name.Space, NSSoap12)
	default:
		return nil, errf(ErrNotEnvelope, "root element is %s", fmtName(root.Name))
	}

	env := &Envelope{}
	var sawHeader, sawBody bool
	for {
		tok, off, err := r.next()
		if err == io.EOF {
			return nil, errf(ErrNotXML, "unexpected end of document inside Envelope")
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, errf(ErrMalformed, "text directly inside Envelope")
			}
			continue
		case xml.StartElement:
			switch {
			case t.Name.Space == NSSoap12 && t.Name.Local == "Header":
				if sawHeader {
					return nil, errf(ErrMalformed, "more than one Header")
				}
				if sawBody {
					return nil, errf(ErrMalformed, "Header after Body")
				}
				sawHeader = true
				if err := parseHeader(r, data, &env.Header); err != nil {
					return nil, err
				}
			case t.Name.Space == NSSoap12 && t.Name.Local == "Body":
				if sawBody {
					return nil, errf(ErrMalformed, "more than one Body")
				}
				sawBody = true
				if err := parseBody(r, data, &env.Body); err != nil {
					return nil, err
				}
			case sawBody:
				return nil, errf(ErrMalformed, "element %s after Body", fmtName(t.Name))
			default:
				return nil, errf(ErrMalformed, "unexpected element %s in Envelope (at byte %d)", fmtName(t.Name), off)
			}
			continue
		case xml.EndElement:
			// End of Envelope.
		default:
			continue
		}
		break
	}
	if !sawBody {
		return nil, ErrNoBody
	}
	if err := r.epilog(); err != nil {
		return nil, err
	}
	return env, nil
}

func parseMustUnderstand(n *node) (bool, error) {
	v, ok := n.attr(NSSoap12, "mustUnderstand")
	if !ok {
		return false, nil
	}
	switch strings.TrimSpace(v) {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, errf(ErrMalformed, "invalid mustUnderstand value %q on %s", v, fmtName(n.Name))
}

// relationshipReply is the WS-Addressing 1.0 default RelatesTo type.
const relationshipReply = NSWSA + "/reply"

func parseHeader(r *tokReader, data []byte, h *Header) error {
	seen := map[string]bool{}
	for {
		tok, off, err := r.next()
		if err == io.EOF {
			return errf(ErrNotXML, "unexpected end of document inside Header")
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errf(ErrMalformed, "text directly inside Header")
			}
		case xml.StartElement:
			n, err := r.readTree(t, off)
			if err != nil {
				return err
			}
			mu, err := parseMustUnderstand(n)
			if err != nil {
				return err
			}
			if err := headerBlock(n, mu, data, h, seen); err != nil {
				return err
			}
		}
	}
}

func headerBlock(n *node, mu bool, data []byte, h *Header, seen map[string]bool) error {
	unknown := func() {
		h.Unknown = append(h.Unknown, UnknownHeader{Name: n.Name, MustUnderstand: mu, Raw: n.raw(data)})
	}
	if n.Name.Space != NSWSA {
		unknown()
		return nil
	}
	local := n.Name.Local
	switch local {
	case "Action", "MessageID", "To", "ReplyTo", "FaultTo":
		if seen[local] {
			return errf(ErrMalformed, "more than one wsa:%s header", local)
		}
		seen[local] = true
	case "RelatesTo":
		rt, _ := n.attr("", "RelationshipType")
		rt = strings.TrimSpace(rt)
		if seen[local] || (rt != "" && rt != relationshipReply) {
			unknown()
			return nil
		}
		seen[local] = true
	default:
		unknown()
		return nil
	}
	text := strings.TrimSpace(n.Text)
	switch local {
	case "Action":
		h.Action, h.ActionMustUnderstand = text, mu
	case "MessageID":
		h.MessageID = text
	case "RelatesTo":
		h.RelatesTo = text
	case "To":
		h.To, h.ToMustUnderstand = text, mu
	case "ReplyTo", "FaultTo":
		var addr *node
		for _, k := range n.Kids {
			if k.Name.Space == NSWSA && k.Name.Local == "Address" {
				addr = k
				break
			}
		}
		if addr == nil {
			return errf(ErrMalformed, "wsa:%s without wsa:Address", local)
		}
		if local == "ReplyTo" {
			h.ReplyTo = strings.TrimSpace(addr.Text)
		} else {
			h.FaultTo = strings.TrimSpace(addr.Text)
		}
	}
	return nil
}

func parseBody(r *tokReader, data []byte, b *Body) error {
	for {
		tok, off, err := r.next()
		if err == io.EOF {
			return errf(ErrNotXML, "unexpected end of document inside Body")
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errf(ErrMalformed, "text directly inside Body")
			}
		case xml.StartElement:
			if b.Name.Local != "" {
				return errf(ErrMultipleBodyChildren, "%s after %s", fmtName(t.Name), fmtName(b.Name))
			}
			inherited, own := r.outerScope(), nsDecls(t.Attr)
			end, err := r.skip()
			if err != nil {
				return err
			}
			b.Name = t.Name
			b.Inner = withDecls(data[off:end], inherited, own)
		}
	}
}
