package spnego

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrMalformed is wrapped by every parse error of this package.
var ErrMalformed = errors.New("malformed SPNEGO token")

// DER tags used by [RFC 4178] and [RFC 2743] §3.1.
const (
	tagEnumerated  = 0x0a
	tagOctetString = 0x04
	tagOID         = 0x06
	tagSequence    = 0x30
	tagBitString   = 0x03
	tagApplication = 0x60 // [APPLICATION 0] constructed
)

func tagContext(n int) byte { return 0xa0 | byte(n) } // [n] constructed

// appendTLV appends a DER tag, definite length and content.
func appendTLV(b []byte, tag byte, content []byte) []byte {
	b = append(b, tag)
	n := len(content)
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n <= 0xff:
		b = append(b, 0x81, byte(n))
	case n <= 0xffff:
		b = append(b, 0x82, byte(n>>8), byte(n))
	default:
		b = append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, content...)
}

// maxLen bounds the length of any element (three length octets at most).
const maxLen = 1 << 24

// readTLV splits the first DER element off b.
func readTLV(b []byte) (tag byte, content, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, fmt.Errorf("%w: element of %d octets", ErrMalformed, len(b))
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, fmt.Errorf("%w: high tag number form (tag %#02x)", ErrMalformed, tag)
	}
	n, off := int(b[1]), 2
	if n >= 0x80 {
		k := n & 0x7f
		if k == 0 {
			return 0, nil, nil, fmt.Errorf("%w: indefinite length (tag %#02x)", ErrMalformed, tag)
		}
		if k > 3 || len(b) < 2+k {
			return 0, nil, nil, fmt.Errorf("%w: length of %d octets (tag %#02x)", ErrMalformed, k, tag)
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		if n < 0x80 || b[2] == 0 {
			return 0, nil, nil, fmt.Errorf("%w: non-minimal length (tag %#02x)", ErrMalformed, tag)
		}
		off += k
	}
	if n > maxLen || len(b)-off < n {
		return 0, nil, nil, fmt.Errorf("%w: tag %#02x claims %d octets, %d present", ErrMalformed, tag, n, len(b)-off)
	}
	return tag, b[off : off+n : off+n], b[off+n:], nil
}

// expect reads one element with the given tag.
func expect(b []byte, tag byte, what string) (content, rest []byte, err error) {
	t, c, r, err := readTLV(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	if t != tag {
		return nil, nil, fmt.Errorf("%w: %s: tag %#02x, want %#02x", ErrMalformed, what, t, tag)
	}
	return c, r, nil
}

// OID is an object identifier as its DER content octets.
type OID string

// Mechanism OIDs.
var (
	OIDSPNEGO   = mustOID("1.3.6.1.5.5.2")
	OIDNTLM     = mustOID("1.3.6.1.4.1.311.2.2.10")
	OIDKerberos = mustOID("1.2.840.113554.1.2.2")
	OIDMSKrb5   = mustOID("1.2.840.48018.1.2.2")
	OIDNegoEx   = mustOID("1.3.6.1.4.1.311.2.2.30")
)

// ParseOID encodes a dotted OID.
func ParseOID(dotted string) (OID, error) {
	parts := strings.Split(dotted, ".")
	if len(parts) < 2 {
		return "", fmt.Errorf("spnego: OID %q has fewer than two arcs", dotted)
	}
	arcs := make([]uint64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return "", fmt.Errorf("spnego: OID %q: %w", dotted, err)
		}
		arcs[i] = v
	}
	if arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39) {
		return "", fmt.Errorf("spnego: OID %q: bad first arcs", dotted)
	}
	var b []byte
	b = appendBase128(b, arcs[0]*40+arcs[1])
	for _, a := range arcs[2:] {
		b = appendBase128(b, a)
	}
	return OID(b), nil
}

func mustOID(s string) OID {
	o, err := ParseOID(s)
	if err != nil {
		panic(err)
	}
	return o
}

func appendBase128(b []byte, v uint64) []byte {
	var tmp [10]byte
	i := len(tmp) - 1
	tmp[i] = byte(v & 0x7f)
	for v >>= 7; v > 0; v >>= 7 {
		i--
		tmp[i] = byte(v&0x7f) | 0x80
	}
	return append(b, tmp[i:]...)
}

// String returns the dotted form (or the hex octets when invalid).
func (o OID) String() string {
	var arcs []string
	var v uint64
	for i := 0; i < len(o); i++ {
		c := o[i]
		if v == 0 && c == 0x80 || v > 1<<56 {
			return fmt.Sprintf("OID(% x)", []byte(o))
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			continue
		}
		if len(arcs) == 0 {
			first := min(v/40, 2)
			arcs = append(arcs, strconv.FormatUint(first, 10), strconv.FormatUint(v-first*40, 10))
		} else {
			arcs = append(arcs, strconv.FormatUint(v, 10))
		}
		v = 0
	}
	if len(o) == 0 || o[len(o)-1]&0x80 != 0 {
		return fmt.Sprintf("OID(% x)", []byte(o))
	}
	return strings.Join(arcs, ".")
}
