package nbfx

import (
	"bytes"
	"encoding/xml"
	"strings"
	"unicode/utf8"
)

// Namespaces with reserved prefixes (Namespaces in XML 1.0 §3).
const (
	nsXML   = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS = "http://www.w3.org/2000/xmlns/"
)

// isNCName reports whether s is a non-empty XML name without colons that
// encoding/xml (and therefore internal/soap) accepts. ASCII names are
// checked directly; others are checked by encoding/xml itself, so the
// decoder never produces a name the parser downstream rejects.
func isNCName(s string) bool {
	if s == "" || strings.IndexByte(s, ':') >= 0 {
		return false
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			ascii = false
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	if ascii {
		return true
	}
	if !utf8.ValidString(s) {
		return false
	}
	d := xml.NewDecoder(strings.NewReader("<" + s + "/>"))
	d.Strict = true
	tok, err := d.RawToken()
	if err != nil {
		return false
	}
	se, ok := tok.(xml.StartElement)
	return ok && se.Name.Space == "" && se.Name.Local == s
}

// isXMLChar reports whether r may appear in an XML 1.0 document (as
// encoding/xml checks it).
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// badChar returns the first rune of s that is not allowed in XML (or
// utf8.RuneError for invalid UTF-8) and whether there is one.
func badChar(s string) (rune, bool) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return utf8.RuneError, true
		}
		if !isXMLChar(r) {
			return r, true
		}
		i += n
	}
	return 0, false
}

// appendEscaped appends s escaped exactly as encoding/xml.EscapeText
// escapes it (which is what internal/soap.Envelope.Marshal uses); s must
// already be checked with badChar.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

// isXMLSpace reports whether s is only XML white space.
func isXMLSpace(s []byte) bool {
	return len(bytes.Trim(s, " \t\r\n")) == 0
}
