package ntlm

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
)

// AvID identifies an AV_PAIR ([MS-NLMP] §2.2.2.1).
type AvID uint16

// The AV_PAIR identifiers of [MS-NLMP] §2.2.2.1.
const (
	AvEOL             AvID = 0
	AvNbComputerName  AvID = 1
	AvNbDomainName    AvID = 2
	AvDNSComputerName AvID = 3
	AvDNSDomainName   AvID = 4
	AvDNSTreeName     AvID = 5
	AvFlags           AvID = 6
	AvTimestamp       AvID = 7
	AvSingleHost      AvID = 8
	AvTargetName      AvID = 9
	AvChannelBindings AvID = 10
)

// AvFlagMIC is the MsvAvFlags bit saying the AUTHENTICATE message carries
// a MIC ([MS-NLMP] §2.2.2.1).
const AvFlagMIC = 0x00000002

// AvPair is one attribute of a TargetInfo list.
type AvPair struct {
	ID    AvID
	Value []byte
}

// AvPairs is a TargetInfo list without its terminating MsvAvEOL.
type AvPairs []AvPair

// maxAvPairs bounds how many pairs ParseAvPairs accepts.
const maxAvPairs = 64

// ParseAvPairs parses a TargetInfo field: AV_PAIRs up to and including
// MsvAvEOL ([MS-NLMP] §2.2.2.1). A list without MsvAvEOL, a pair running
// past the end, or more than 64 pairs is an error. Octets after MsvAvEOL
// are ignored (the NTLMv2 temp has Z(4) padding there).
func ParseAvPairs(b []byte) (AvPairs, error) {
	var out AvPairs
	for off := 0; ; {
		if len(b)-off < 4 {
			return nil, fmt.Errorf("ntlm: target info: %w: AV_PAIR header past the end at offset %d", ErrMalformed, off)
		}
		id := AvID(binary.LittleEndian.Uint16(b[off:]))
		n := int(binary.LittleEndian.Uint16(b[off+2:]))
		off += 4
		if id == AvEOL {
			return out, nil
		}
		if len(b)-off < n {
			return nil, fmt.Errorf("ntlm: target info: %w: AV_PAIR %d of %d octets past the end", ErrMalformed, id, n)
		}
		if len(out) == maxAvPairs {
			return nil, fmt.Errorf("ntlm: target info: %w: more than %d AV_PAIRs", ErrMalformed, maxAvPairs)
		}
		out = append(out, AvPair{ID: id, Value: b[off : off+n : off+n]})
		off += n
	}
}

// Marshal encodes the list followed by MsvAvEOL.
func (p AvPairs) Marshal() []byte {
	var b []byte
	for _, a := range p {
		b = binary.LittleEndian.AppendUint16(b, uint16(a.ID))
		b = binary.LittleEndian.AppendUint16(b, uint16(len(a.Value)))
		b = append(b, a.Value...)
	}
	return append(b, 0, 0, 0, 0)
}

// Get returns the value of the first pair with the given id.
func (p AvPairs) Get(id AvID) ([]byte, bool) {
	for _, a := range p {
		if a.ID == id {
			return a.Value, true
		}
	}
	return nil, false
}

// Set replaces the value of the first pair with the given id, or appends
// the pair.
func (p AvPairs) Set(id AvID, v []byte) AvPairs {
	for i := range p {
		if p[i].ID == id {
			out := append(AvPairs(nil), p...)
			out[i].Value = v
			return out
		}
	}
	return append(append(AvPairs(nil), p...), AvPair{ID: id, Value: v})
}

// utf16le encodes s as UTF-16 little-endian, the Unicode form of every
// NTLM string ([MS-NLMP] §2.2).
func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// fromUTF16le decodes UTF-16 little-endian (an odd final octet is
// dropped).
func fromUTF16le(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}
