package nbfx

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits bound the work done for one message. Zero fields take the
// defaults.
type Limits struct {
	// MaxDepth is the deepest element nesting accepted, the root element
	// being depth 1 (default 64, as internal/soap).
	MaxDepth int
	// MaxXMLBytes bounds the textual XML: the output of Decode and the
	// input of Encode (default 4 MiB).
	MaxXMLBytes int
	// MaxSessionStrings and MaxSessionBytes bound a session's string
	// table: the number of strings and the sum of their UTF-8 lengths
	// (defaults 4096 and 1 MiB). Decode fails when a message would grow
	// the table past them; Encode writes names inline instead.
	MaxSessionStrings int
	MaxSessionBytes   int
}

// Default limits.
const (
	DefaultMaxDepth          = 64
	DefaultMaxXMLBytes       = 4 << 20
	DefaultMaxSessionStrings = 4096
	DefaultMaxSessionBytes   = 1 << 20
)

// WithDefaults returns l with zero (or negative) fields set to the
// defaults.
func (l Limits) WithDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxDepth, DefaultMaxDepth)
	def(&l.MaxXMLBytes, DefaultMaxXMLBytes)
	def(&l.MaxSessionStrings, DefaultMaxSessionStrings)
	def(&l.MaxSessionBytes, DefaultMaxSessionBytes)
	return l
}

// Errors. Every error of this package wraps one of them and is one line.
var (
	// ErrMalformed: the binary input breaks MC-NBFX/NBFS/NBFSE, or would
	// decode to XML that is not namespace-well-formed.
	ErrMalformed = errors.New("nbfx: malformed binary XML")
	// ErrTooDeep: elements nested deeper than Limits.MaxDepth.
	ErrTooDeep = errors.New("nbfx: nesting too deep")
	// ErrTooLarge: XML or session table over Limits.
	ErrTooLarge = errors.New("nbfx: too large")
	// ErrNotEncodable: Encode's input is not XML that MC-NBFX can carry.
	ErrNotEncodable = errors.New("nbfx: XML cannot be encoded")
	// ErrMixedUse: a Session was used both to Decode and to Encode. Each
	// direction needs its own Session.
	ErrMixedUse = errors.New("nbfx: session used for both directions")
)

// Record types ([MC-NBFX] §2.2; the same values as .NET's
// XmlBinaryNodeType).
const (
	recEndElement                    = 0x01
	recComment                       = 0x02
	recArray                         = 0x03
	recShortAttribute                = 0x04
	recAttribute                     = 0x05
	recShortDictionaryAttribute      = 0x06
	recDictionaryAttribute           = 0x07
	recShortXmlnsAttribute           = 0x08
	recXmlnsAttribute                = 0x09
	recShortDictionaryXmlnsAttribute = 0x0A
	recDictionaryXmlnsAttribute      = 0x0B
	recPrefixDictionaryAttributeA    = 0x0C // ... Z = 0x25
	recPrefixAttributeA              = 0x26 // ... Z = 0x3F
	recShortElement                  = 0x40
	recElement                       = 0x41
	recShortDictionaryElement        = 0x42
	recDictionaryElement             = 0x43
	recPrefixDictionaryElementA      = 0x44 // ... Z = 0x5D
	recPrefixElementA                = 0x5E // ... Z = 0x77

	// Text records; +1 is the WithEndElement variant.
	recZeroText            = 0x80
	recOneText             = 0x82
	recFalseText           = 0x84
	recTrueText            = 0x86
	recInt8Text            = 0x88
	recInt16Text           = 0x8A
	recInt32Text           = 0x8C
	recInt64Text           = 0x8E
	recFloatText           = 0x90
	recDoubleText          = 0x92
	recDecimalText         = 0x94
	recDateTimeText        = 0x96
	recChars8Text          = 0x98
	recChars16Text         = 0x9A
	recChars32Text         = 0x9C
	recBytes8Text          = 0x9E
	recBytes16Text         = 0xA0
	recBytes32Text         = 0xA2
	recStartListText       = 0xA4
	recEndListText         = 0xA6
	recEmptyText           = 0xA8
	recDictionaryText      = 0xAA
	recUniqueIdText        = 0xAC
	recTimeSpanText        = 0xAE
	recUuidText            = 0xB0
	recUInt64Text          = 0xB2
	recBoolText            = 0xB4
	recUnicodeChars8Text   = 0xB6
	recUnicodeChars16Text  = 0xB8
	recUnicodeChars32Text  = 0xBA
	recQNameDictionaryText = 0xBC
	recMaxText             = 0xBD
)

// recordName names a record type for error messages.
func recordName(t byte) string {
	switch {
	case t == recEndElement:
		return "EndElement"
	case t == recComment:
		return "Comment"
	case t == recArray:
		return "Array"
	case t >= recShortAttribute && t <= recDictionaryXmlnsAttribute:
		return [...]string{"ShortAttribute", "Attribute", "ShortDictionaryAttribute", "DictionaryAttribute",
			"ShortXmlnsAttribute", "XmlnsAttribute", "ShortDictionaryXmlnsAttribute", "DictionaryXmlnsAttribute"}[t-recShortAttribute]
	case t >= recPrefixDictionaryAttributeA && t < recPrefixAttributeA:
		return "PrefixDictionaryAttribute" + string(rune('A'+t-recPrefixDictionaryAttributeA))
	case t >= recPrefixAttributeA && t < recShortElement:
		return "PrefixAttribute" + string(rune('A'+t-recPrefixAttributeA))
	case t >= recShortElement && t <= recDictionaryElement:
		return [...]string{"ShortElement", "Element", "ShortDictionaryElement", "DictionaryElement"}[t-recShortElement]
	case t >= recPrefixDictionaryElementA && t < recPrefixElementA:
		return "PrefixDictionaryElement" + string(rune('A'+t-recPrefixDictionaryElementA))
	case t >= recPrefixElementA && t <= recPrefixElementA+25:
		return "PrefixElement" + string(rune('A'+t-recPrefixElementA))
	case t >= recZeroText && t <= recMaxText:
		names := [...]string{"Zero", "One", "False", "True", "Int8", "Int16", "Int32", "Int64", "Float", "Double",
			"Decimal", "DateTime", "Chars8", "Chars16", "Chars32", "Bytes8", "Bytes16", "Bytes32", "StartList",
			"EndList", "Empty", "Dictionary", "UniqueId", "TimeSpan", "Uuid", "UInt64", "Bool", "UnicodeChars8",
			"UnicodeChars16", "UnicodeChars32", "QNameDictionary"}
		n := names[(t-recZeroText)/2] + "Text"
		if t&1 == 1 {
			n += "WithEndElement"
		}
		return n
	}
	return fmt.Sprintf("reserved record type %#02x", t)
}

// oneLine makes s safe to print on one line (control characters become
// '?') and bounds its length.
func oneLine(s string) string {
	const max = 400
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n >= max {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
