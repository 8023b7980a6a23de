package nbfx

import (
	"fmt"
	"unicode/utf8"
)

// Session is one direction of an MC-NBFSE session: the string table that
// the in-band dictionary blocks of successive messages build up. String k
// (0-based, in the order added) has the odd dictionary id 2k+1.
//
// Use one Session per direction: Encode on the Session for what this side
// sends, Decode on another for what it receives. A Session refuses to do
// both (ErrMixedUse). The zero value is ready to use; a Session is not
// safe for concurrent use.
type Session struct {
	// Limits bound each message and the table (zero: defaults).
	Limits Limits

	// InlineStatic, when set, makes Encode write a string that is in the
	// static dictionary inline anyway when it returns true (Mono, for
	// one, writes wsa:Address and the anonymous URI inline, as seen in
	// captures of Mono 6.8 NetTcpBinding). It applies to names and text.
	InlineStatic func(s string) bool
	// SessionName, when set, decides which element and attribute local
	// names and namespace URIs that are not taken from the static
	// dictionary Encode puts in the session dictionary; the others are
	// written inline. When nil every such name goes to the session
	// dictionary (text is never put there).
	SessionName func(s string) bool

	strs  []string
	index map[string]int // encoder side: string → key
	size  int            // sum of len(strs[i])
	role  byte
}

const (
	roleNone byte = iota
	roleDecode
	roleEncode
)

// NewSession returns an empty Session with limits lim.
func NewSession(lim Limits) *Session { return &Session{Limits: lim} }

// Len returns the number of strings in the session table.
func (s *Session) Len() int { return len(s.strs) }

// Strings returns a copy of the session table; string i has id 2i+1.
func (s *Session) Strings() []string { return append([]string(nil), s.strs...) }

// Lookup resolves a dictionary id: even ids in the static dictionary,
// odd ids in the session table.
func (s *Session) Lookup(id int) (string, bool) {
	if id < 0 {
		return "", false
	}
	if id%2 == 0 {
		return StaticString(id)
	}
	if k := id / 2; k < len(s.strs) {
		return s.strs[k], true
	}
	return "", false
}

func (s *Session) use(role byte) error {
	if s.role != roleNone && s.role != role {
		return ErrMixedUse
	}
	s.role = role
	return nil
}

// Decode decodes one MC-NBFSE message payload (the content of a Sized
// Envelope record with known encoding 0x08): the in-band dictionary block
// (a MultiByteInt31 byte count, then that many bytes of length-prefixed
// UTF-8 strings, appended to the session table) followed by MC-NBFS
// binary XML, which is returned as textual XML.
//
// The strings of a well-formed dictionary block are added to the table
// even when the XML after it fails to decode (the peer has added them on
// its side); a malformed block adds none.
func (s *Session) Decode(payload []byte) ([]byte, error) {
	if err := s.use(roleDecode); err != nil {
		return nil, err
	}
	lim := s.Limits.WithDefaults()
	size, n, err := decodeMB32(payload)
	if err != nil {
		return nil, fmt.Errorf("%w at offset 0: dictionary block size: %v", ErrMalformed, err)
	}
	if size > len(payload)-n {
		return nil, fmt.Errorf("%w at offset 0: dictionary block of %d bytes, only %d follow", ErrMalformed, size, len(payload)-n)
	}
	block, body := payload[n:n+size], payload[n+size:]
	var added []string
	total := s.size
	for off := 0; off < len(block); {
		l, m, err := decodeMB32(block[off:])
		if err != nil {
			return nil, fmt.Errorf("%w at offset %d: dictionary string length: %v", ErrMalformed, n+off, err)
		}
		if l > len(block)-off-m {
			return nil, fmt.Errorf("%w at offset %d: dictionary string of %d bytes overruns the %d-byte block", ErrMalformed, n+off, l, size)
		}
		str := block[off+m : off+m+l]
		if !utf8.Valid(str) {
			return nil, fmt.Errorf("%w at offset %d: dictionary string is not UTF-8", ErrMalformed, n+off)
		}
		total += l
		if len(s.strs)+len(added)+1 > lim.MaxSessionStrings || total > lim.MaxSessionBytes {
			return nil, fmt.Errorf("%w: session dictionary would exceed %d strings or %d bytes", ErrTooLarge, lim.MaxSessionStrings, lim.MaxSessionBytes)
		}
		added = append(added, string(str))
		off += m + l
	}
	s.strs = append(s.strs, added...)
	s.size = total
	d := &decoder{data: body, lim: lim, session: s.strs}
	if err := d.run(); err != nil {
		return nil, fmt.Errorf("%w (binary XML starts at payload offset %d)", err, n+size)
	}
	return d.out, nil
}

// Encode encodes textual XML as one MC-NBFSE message payload: the
// dictionary block with the strings this message adds to the session
// table, then the binary XML. The table is only changed when Encode
// succeeds. See the package documentation for the forms chosen.
func (s *Session) Encode(xmlText []byte) ([]byte, error) {
	if err := s.use(roleEncode); err != nil {
		return nil, err
	}
	e := &encoder{sess: s, lim: s.Limits.WithDefaults(), session: true}
	body, err := e.run(xmlText)
	if err != nil {
		return nil, err
	}
	var block []byte
	for _, str := range e.added {
		block = appendMB32(block, len(str))
		block = append(block, str...)
	}
	out := appendMB32(make([]byte, 0, 5+len(block)+len(body)), len(block))
	out = append(out, block...)
	out = append(out, body...)
	if s.index == nil {
		s.index = map[string]int{}
	}
	for _, str := range e.added {
		s.index[str] = len(s.strs)
		s.strs = append(s.strs, str)
		s.size += len(str)
	}
	return out, nil
}

// DecodeNBFS decodes MC-NBFS binary XML without an in-band dictionary
// (MC-NMF known encoding 0x07): only static dictionary ids are defined.
func DecodeNBFS(data []byte, lim Limits) ([]byte, error) {
	d := &decoder{data: data, lim: lim.WithDefaults()}
	if err := d.run(); err != nil {
		return nil, err
	}
	return d.out, nil
}

// EncodeNBFS encodes textual XML as MC-NBFS binary XML without an in-band
// dictionary: static dictionary strings by id, everything else inline.
func EncodeNBFS(xmlText []byte, lim Limits) ([]byte, error) {
	e := &encoder{sess: &Session{}, lim: lim.WithDefaults()}
	return e.run(xmlText)
}
