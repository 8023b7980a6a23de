package ntlm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every parse error of this package.
var ErrMalformed = errors.New("malformed NTLM message")

// signature opens every NTLM message ([MS-NLMP] §2.2.1).
var signature = []byte("NTLMSSP\x00")

// Message types ([MS-NLMP] §2.2.1).
const (
	typeNegotiate    = 1
	typeChallenge    = 2
	typeAuthenticate = 3
)

// MaxMessage bounds the size of a message the parsers accept.
const MaxMessage = 64 << 10

// Version is the VERSION structure ([MS-NLMP] §2.2.2.10).
type Version [8]byte

// DefaultVersion is what this package sends: Windows 10.0 build 20348,
// NTLMSSP_REVISION_W2K3 (15).
var DefaultVersion = Version{10, 0, 0x4c, 0x4f, 0, 0, 0, 15}

// Negotiate is the NEGOTIATE_MESSAGE ([MS-NLMP] §2.2.1.1).
type Negotiate struct {
	Flags       Flags
	Domain      string // OEM, sent only with FlagOEMDomainSupplied
	Workstation string // OEM, sent only with FlagOEMWorkstationSupplied
	Version     Version
}

// Challenge is the CHALLENGE_MESSAGE ([MS-NLMP] §2.2.1.2).
type Challenge struct {
	Flags           Flags
	TargetName      string
	ServerChallenge [8]byte
	TargetInfo      AvPairs
	Version         Version
}

// Authenticate is the AUTHENTICATE_MESSAGE ([MS-NLMP] §2.2.1.3).
type Authenticate struct {
	Flags               Flags
	LmResponse          []byte
	NtResponse          []byte
	Domain, User        string
	Workstation         string
	EncryptedSessionKey []byte
	Version             Version
	// MIC is the message integrity code; HasMIC says whether the message
	// has room for it (the payload starts at offset 88 rather than 72).
	MIC    [16]byte
	HasMIC bool
}

// payload collects the variable fields of a message, laid out after a
// fixed header of headerLen octets.
type payload struct {
	headerLen int
	data      []byte
}

// field appends v to the payload and returns its 8-octet descriptor
// (Len, MaxLen, BufferOffset).
func (p *payload) field(v []byte) []byte {
	d := make([]byte, 8)
	binary.LittleEndian.PutUint16(d[0:], uint16(len(v)))
	binary.LittleEndian.PutUint16(d[2:], uint16(len(v)))
	binary.LittleEndian.PutUint32(d[4:], uint32(p.headerLen+len(p.data)))
	p.data = append(p.data, v...)
	return d
}

func header(t uint32) []byte {
	b := append([]byte(nil), signature...)
	return binary.LittleEndian.AppendUint32(b, t)
}

// Marshal encodes the message. The version field is written only with
// FlagVersion.
func (m *Negotiate) Marshal() []byte {
	p := payload{headerLen: 40}
	b := header(typeNegotiate)
	b = binary.LittleEndian.AppendUint32(b, uint32(m.Flags))
	var dom, ws []byte
	if m.Flags.Has(FlagOEMDomainSupplied) {
		dom = []byte(m.Domain)
	}
	if m.Flags.Has(FlagOEMWorkstationSupplied) {
		ws = []byte(m.Workstation)
	}
	b = append(b, p.field(dom)...)
	b = append(b, p.field(ws)...)
	b = append(b, m.versionOrZero()...)
	return append(b, p.data...)
}

func (m *Negotiate) versionOrZero() []byte {
	if m.Flags.Has(FlagVersion) {
		return m.Version[:]
	}
	return make([]byte, 8)
}

// Marshal encodes the message (strings in Unicode).
func (m *Challenge) Marshal() []byte {
	p := payload{headerLen: 56}
	b := header(typeChallenge)
	b = append(b, p.field(utf16le(m.TargetName))...)
	b = binary.LittleEndian.AppendUint32(b, uint32(m.Flags))
	b = append(b, m.ServerChallenge[:]...)
	b = append(b, make([]byte, 8)...)
	var ti []byte
	if m.TargetInfo != nil || m.Flags.Has(FlagTargetInfo) {
		ti = m.TargetInfo.Marshal()
	}
	b = append(b, p.field(ti)...)
	if m.Flags.Has(FlagVersion) {
		b = append(b, m.Version[:]...)
	} else {
		b = append(b, make([]byte, 8)...)
	}
	return append(b, p.data...)
}

// Marshal encodes the message (strings in Unicode). With HasMIC the header
// has the 16-octet MIC field; a zero MIC is written as given, which is how
// the MIC is computed (§3.1.5.1.2).
func (m *Authenticate) Marshal() []byte {
	hl := 72
	if m.HasMIC {
		hl = 88
	}
	p := payload{headerLen: hl}
	b := header(typeAuthenticate)
	// The payload order is the one Windows uses: domain, user,
	// workstation, LM, NT, session key.
	dom, user, ws := utf16le(m.Domain), utf16le(m.User), utf16le(m.Workstation)
	fDom, fUser, fWs := p.field(dom), p.field(user), p.field(ws)
	fLM, fNT, fKey := p.field(m.LmResponse), p.field(m.NtResponse), p.field(m.EncryptedSessionKey)
	b = append(b, fLM...)
	b = append(b, fNT...)
	b = append(b, fDom...)
	b = append(b, fUser...)
	b = append(b, fWs...)
	b = append(b, fKey...)
	b = binary.LittleEndian.AppendUint32(b, uint32(m.Flags))
	b = append(b, m.Version[:]...)
	if m.HasMIC {
		b = append(b, m.MIC[:]...)
	}
	return append(b, p.data...)
}

// micOffset is where the MIC sits in an AUTHENTICATE message.
const micOffset = 72

// reader checks and slices a received message.
type reader struct {
	b    []byte
	what string
	min  int // lowest payload offset seen
}

func newReader(b []byte, t uint32, what string, fixed int) (*reader, error) {
	if len(b) > MaxMessage {
		return nil, fmt.Errorf("ntlm: %s: %w: %d octets (limit %d)", what, ErrMalformed, len(b), MaxMessage)
	}
	if len(b) < fixed {
		return nil, fmt.Errorf("ntlm: %s: %w: %d octets, shorter than its %d-octet header", what, ErrMalformed, len(b), fixed)
	}
	if !bytes.Equal(b[:8], signature) {
		return nil, fmt.Errorf("ntlm: %s: %w: no NTLMSSP signature", what, ErrMalformed)
	}
	if got := binary.LittleEndian.Uint32(b[8:]); got != t {
		return nil, fmt.Errorf("ntlm: %s: %w: message type %d, want %d", what, ErrMalformed, got, t)
	}
	return &reader{b: b, what: what, min: len(b)}, nil
}

// field returns the bytes a descriptor at off points to.
func (r *reader) field(off int, name string) ([]byte, error) {
	n := int(binary.LittleEndian.Uint16(r.b[off:]))
	at := int(binary.LittleEndian.Uint32(r.b[off+4:]))
	if n == 0 {
		return nil, nil
	}
	if at < 0 || at > len(r.b) || len(r.b)-at < n {
		return nil, fmt.Errorf("ntlm: %s: %w: %s (%d octets at %d) runs past the end (%d octets)", r.what, ErrMalformed, name, n, at, len(r.b))
	}
	r.min = min(r.min, at)
	return r.b[at : at+n : at+n], nil
}

func (r *reader) u32(off int) uint32 { return binary.LittleEndian.Uint32(r.b[off:]) }

// ParseNegotiate parses a NEGOTIATE_MESSAGE.
func ParseNegotiate(b []byte) (*Negotiate, error) {
	r, err := newReader(b, typeNegotiate, "NEGOTIATE", 32)
	if err != nil {
		return nil, err
	}
	m := &Negotiate{Flags: Flags(r.u32(12))}
	dom, err := r.field(16, "DomainName")
	if err != nil {
		return nil, err
	}
	ws, err := r.field(24, "Workstation")
	if err != nil {
		return nil, err
	}
	m.Domain, m.Workstation = string(dom), string(ws)
	if m.Flags.Has(FlagVersion) && len(b) >= 40 && r.min >= 40 {
		copy(m.Version[:], b[32:40])
	}
	return m, nil
}

// ParseChallenge parses a CHALLENGE_MESSAGE. Strings are decoded as
// Unicode when FlagUnicode is set, else as OEM (bytes).
func ParseChallenge(b []byte) (*Challenge, error) {
	r, err := newReader(b, typeChallenge, "CHALLENGE", 48)
	if err != nil {
		return nil, err
	}
	m := &Challenge{Flags: Flags(r.u32(20))}
	name, err := r.field(12, "TargetName")
	if err != nil {
		return nil, err
	}
	if m.Flags.Has(FlagUnicode) {
		m.TargetName = fromUTF16le(name)
	} else {
		m.TargetName = string(name)
	}
	copy(m.ServerChallenge[:], b[24:32])
	ti, err := r.field(40, "TargetInfo")
	if err != nil {
		return nil, err
	}
	if len(ti) > 0 {
		if m.TargetInfo, err = ParseAvPairs(ti); err != nil {
			return nil, fmt.Errorf("ntlm: CHALLENGE: %w", err)
		}
	}
	if m.Flags.Has(FlagVersion) && len(b) >= 56 && r.min >= 56 {
		copy(m.Version[:], b[48:56])
	}
	return m, nil
}

// ParseAuthenticate parses an AUTHENTICATE_MESSAGE. HasMIC is set when
// the payload leaves room for the MIC field (offset 88 or more).
func ParseAuthenticate(b []byte) (*Authenticate, error) {
	r, err := newReader(b, typeAuthenticate, "AUTHENTICATE", 64)
	if err != nil {
		return nil, err
	}
	m := &Authenticate{Flags: Flags(r.u32(60))}
	var dom, user, ws []byte
	for _, f := range []struct {
		off  int
		name string
		dst  *[]byte
	}{
		{12, "LmChallengeResponse", &m.LmResponse},
		{20, "NtChallengeResponse", &m.NtResponse},
		{28, "DomainName", &dom},
		{36, "UserName", &user},
		{44, "Workstation", &ws},
		{52, "EncryptedRandomSessionKey", &m.EncryptedSessionKey},
	} {
		if *f.dst, err = r.field(f.off, f.name); err != nil {
			return nil, err
		}
	}
	if m.Flags.Has(FlagUnicode) {
		m.Domain, m.User, m.Workstation = fromUTF16le(dom), fromUTF16le(user), fromUTF16le(ws)
	} else {
		m.Domain, m.User, m.Workstation = string(dom), string(user), string(ws)
	}
	if r.min >= 72 && len(b) >= 72 {
		copy(m.Version[:], b[64:72])
	}
	if r.min >= 88 && len(b) >= 88 {
		m.HasMIC = true
		copy(m.MIC[:], b[micOffset:micOffset+16])
	}
	return m, nil
}
