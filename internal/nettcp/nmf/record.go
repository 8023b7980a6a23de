package nmf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// RecordType is the first octet of every record ([MC-NMF] §2.2.1).
type RecordType byte

// Record types. Values 0x0D-0xFF are reserved.
const (
	TypeVersion            RecordType = 0x00
	TypeMode               RecordType = 0x01
	TypeVia                RecordType = 0x02
	TypeKnownEncoding      RecordType = 0x03
	TypeExtensibleEncoding RecordType = 0x04
	TypeUnsizedEnvelope    RecordType = 0x05
	TypeSizedEnvelope      RecordType = 0x06
	TypeEnd                RecordType = 0x07
	TypeFault              RecordType = 0x08
	TypeUpgradeRequest     RecordType = 0x09
	TypeUpgradeResponse    RecordType = 0x0A
	TypePreambleAck        RecordType = 0x0B
	TypePreambleEnd        RecordType = 0x0C
)

var typeNames = [...]string{
	"Version", "Mode", "Via", "KnownEncoding", "ExtensibleEncoding",
	"UnsizedEnvelope", "SizedEnvelope", "End", "Fault", "UpgradeRequest",
	"UpgradeResponse", "PreambleAck", "PreambleEnd",
}

func (t RecordType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t] + "Record"
	}
	return fmt.Sprintf("reserved record type %#02x", byte(t))
}

// Mode is the communication mode of a Mode record (§2.2.3.2).
type Mode byte

// Modes.
const (
	ModeSingletonUnsized Mode = 0x01
	ModeDuplex           Mode = 0x02
	ModeSimplex          Mode = 0x03
	ModeSingletonSized   Mode = 0x04
)

func (m Mode) String() string {
	switch m {
	case ModeSingletonUnsized:
		return "Singleton-Unsized"
	case ModeDuplex:
		return "Duplex"
	case ModeSimplex:
		return "Simplex"
	case ModeSingletonSized:
		return "Singleton-Sized"
	}
	return fmt.Sprintf("invalid mode %#02x", byte(m))
}

// Known encodings (§2.2.3.4.1). Values 0x09-0xFF are reserved.
const (
	EncodingSOAP11UTF8      byte = 0x00
	EncodingSOAP11UTF16     byte = 0x01
	EncodingSOAP11UnicodeLE byte = 0x02
	EncodingSOAP12UTF8      byte = 0x03
	EncodingSOAP12UTF16     byte = 0x04
	EncodingSOAP12UnicodeLE byte = 0x05
	EncodingSOAP12MTOM      byte = 0x06
	// EncodingBinary is MC-NBFS without an in-band dictionary.
	EncodingBinary byte = 0x07
	// EncodingBinarySession is MC-NBFSE: MC-NBFS with an in-band
	// dictionary, what NetTcpBinding uses.
	EncodingBinarySession byte = 0x08
)

// Upgrade protocol names (§2.2.3.5).
const (
	UpgradeSSLTLS    = "application/ssl-tls"
	UpgradeNegotiate = "application/negotiate"
)

// Limits bound the variable-sized records ReadRecord accepts. Zero fields
// take the defaults.
type Limits struct {
	// MaxEnvelope bounds the payload of a Sized Envelope record and the
	// total payload of an Unsized Envelope record (default 64 MiB).
	MaxEnvelope int
	// MaxVia bounds a Via (default 2048, WCF's MaxViaSize, <11>).
	MaxVia int
	// MaxContentType bounds an Extensible Encoding record (default 256,
	// WCF's MaxContentTypeSize, <14>).
	MaxContentType int
	// MaxUpgrade bounds an Upgrade Request protocol name (default 256,
	// <17>).
	MaxUpgrade int
	// MaxFault bounds a Fault URI (default 2048).
	MaxFault int
}

// Default limits.
const (
	DefaultMaxEnvelope    = 64 << 20
	DefaultMaxVia         = 2048
	DefaultMaxContentType = 256
	DefaultMaxUpgrade     = 256
	DefaultMaxFault       = 2048
)

// WithDefaults returns l with zero (or negative) fields set to the
// defaults.
func (l Limits) WithDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxEnvelope, DefaultMaxEnvelope)
	def(&l.MaxVia, DefaultMaxVia)
	def(&l.MaxContentType, DefaultMaxContentType)
	def(&l.MaxUpgrade, DefaultMaxUpgrade)
	def(&l.MaxFault, DefaultMaxFault)
	return l
}

// ErrTooLarge is wrapped when a record's declared size exceeds a limit.
var ErrTooLarge = errors.New("nmf: record too large")

// ErrUnexpectedRecord is wrapped when a well-formed record arrives where
// the protocol does not allow it.
var ErrUnexpectedRecord = errors.New("nmf: unexpected record")

// Record is one MC-NMF record. The concrete types are the *Record structs
// of this package (values, not pointers).
type Record interface {
	// Type returns the record type octet.
	Type() RecordType
	appendTo(b []byte) ([]byte, error)
}

// VersionRecord (§2.2.3.1). Conforming peers send 1.0.
type VersionRecord struct{ Major, Minor byte }

// ModeRecord (§2.2.3.2).
type ModeRecord struct{ Mode Mode }

// ViaRecord (§2.2.3.3): the URI the messages are bound for.
type ViaRecord struct{ Via string }

// KnownEncodingRecord (§2.2.3.4.1).
type KnownEncodingRecord struct{ Encoding byte }

// ExtensibleEncodingRecord (§2.2.3.4.2): a MIME content type.
type ExtensibleEncodingRecord struct{ ContentType string }

// UnsizedEnvelopeRecord (§2.2.4.3): one message as data chunks ending with
// a 0x00 terminator.
type UnsizedEnvelopeRecord struct {
	// Payload is the message, the chunks concatenated.
	Payload []byte
	// ChunkSizes are the sizes of the chunks as received. When writing,
	// nil sends Payload as a single chunk; otherwise the sizes must be
	// positive and add up to len(Payload).
	ChunkSizes []int
}

// SizedEnvelopeRecord (§2.2.4.1): one message.
type SizedEnvelopeRecord struct{ Payload []byte }

// EndRecord (§2.2.3.9).
type EndRecord struct {
	// EOF is set by ReadRecord when the stream ended cleanly at a record
	// boundary instead of carrying an End record; it is ignored when
	// writing.
	EOF bool
}

// FaultRecord (§2.2.5). ReadRecord never returns one: it returns a
// *FaultError instead. Fault is a URI; WriteRecord sends it as is.
type FaultRecord struct{ Fault string }

// UpgradeRequestRecord (§2.2.3.5).
type UpgradeRequestRecord struct{ Protocol string }

// UpgradeResponseRecord (§2.2.3.6).
type UpgradeResponseRecord struct{}

// PreambleAckRecord (§2.2.3.8).
type PreambleAckRecord struct{}

// PreambleEndRecord (§2.2.3.7).
type PreambleEndRecord struct{}

func (VersionRecord) Type() RecordType            { return TypeVersion }
func (ModeRecord) Type() RecordType               { return TypeMode }
func (ViaRecord) Type() RecordType                { return TypeVia }
func (KnownEncodingRecord) Type() RecordType      { return TypeKnownEncoding }
func (ExtensibleEncodingRecord) Type() RecordType { return TypeExtensibleEncoding }
func (UnsizedEnvelopeRecord) Type() RecordType    { return TypeUnsizedEnvelope }
func (SizedEnvelopeRecord) Type() RecordType      { return TypeSizedEnvelope }
func (EndRecord) Type() RecordType                { return TypeEnd }
func (FaultRecord) Type() RecordType              { return TypeFault }
func (UpgradeRequestRecord) Type() RecordType     { return TypeUpgradeRequest }
func (UpgradeResponseRecord) Type() RecordType    { return TypeUpgradeResponse }
func (PreambleAckRecord) Type() RecordType        { return TypePreambleAck }
func (PreambleEndRecord) Type() RecordType        { return TypePreambleEnd }

// appendSized appends t, the size of data and data; data must not be
// empty (every variable-sized record forbids a zero size).
func appendSized(b []byte, t RecordType, what string, data []byte) ([]byte, error) {
	if len(data) == 0 {
		return b, fmt.Errorf("nmf: %s must not be empty", what)
	}
	out := append(b, byte(t))
	out, err := AppendMB32(out, len(data))
	if err != nil {
		return b, err
	}
	return append(out, data...), nil
}

func (r VersionRecord) appendTo(b []byte) ([]byte, error) {
	return append(b, byte(TypeVersion), r.Major, r.Minor), nil
}
func (r ModeRecord) appendTo(b []byte) ([]byte, error) {
	return append(b, byte(TypeMode), byte(r.Mode)), nil
}
func (r ViaRecord) appendTo(b []byte) ([]byte, error) {
	return appendSized(b, TypeVia, "Via", []byte(r.Via))
}
func (r KnownEncodingRecord) appendTo(b []byte) ([]byte, error) {
	return append(b, byte(TypeKnownEncoding), r.Encoding), nil
}
func (r ExtensibleEncodingRecord) appendTo(b []byte) ([]byte, error) {
	return appendSized(b, TypeExtensibleEncoding, "extensible encoding content type", []byte(r.ContentType))
}
func (r SizedEnvelopeRecord) appendTo(b []byte) ([]byte, error) {
	return appendSized(b, TypeSizedEnvelope, "envelope payload", r.Payload)
}
func (r UnsizedEnvelopeRecord) appendTo(b []byte) ([]byte, error) {
	if len(r.Payload) == 0 {
		return b, errors.New("nmf: envelope payload must not be empty")
	}
	sizes := r.ChunkSizes
	if sizes == nil {
		sizes = []int{len(r.Payload)}
	}
	out := append(b, byte(TypeUnsizedEnvelope))
	rest := r.Payload
	var err error
	for _, n := range sizes {
		if n <= 0 || n > len(rest) {
			return b, fmt.Errorf("nmf: chunk size %d does not fit the remaining %d payload bytes", n, len(rest))
		}
		if out, err = AppendMB32(out, n); err != nil {
			return b, err
		}
		out = append(out, rest[:n]...)
		rest = rest[n:]
	}
	if len(rest) != 0 {
		return b, fmt.Errorf("nmf: chunk sizes cover %d of %d payload bytes", len(r.Payload)-len(rest), len(r.Payload))
	}
	return append(out, 0x00), nil
}
func (EndRecord) appendTo(b []byte) ([]byte, error) { return append(b, byte(TypeEnd)), nil }
func (r FaultRecord) appendTo(b []byte) ([]byte, error) {
	return appendSized(b, TypeFault, "fault", []byte(r.Fault))
}
func (r UpgradeRequestRecord) appendTo(b []byte) ([]byte, error) {
	return appendSized(b, TypeUpgradeRequest, "upgrade protocol", []byte(r.Protocol))
}
func (UpgradeResponseRecord) appendTo(b []byte) ([]byte, error) {
	return append(b, byte(TypeUpgradeResponse)), nil
}
func (PreambleAckRecord) appendTo(b []byte) ([]byte, error) {
	return append(b, byte(TypePreambleAck)), nil
}
func (PreambleEndRecord) appendTo(b []byte) ([]byte, error) {
	return append(b, byte(TypePreambleEnd)), nil
}

// AppendRecord appends the encoding of rec to b. It fails (leaving b as
// it was) on an empty variable-sized field, a size above MaxMB32 or
// inconsistent chunk sizes; it does not otherwise validate (a Version
// record 9.9 or an unknown encoding octet is written as given, so that
// peers can be tested with invalid preambles).
func AppendRecord(b []byte, rec Record) ([]byte, error) {
	if rec == nil {
		return b, errors.New("nmf: nil record")
	}
	return rec.appendTo(b)
}

// WriteRecord writes rec to w in a single Write call.
func WriteRecord(w io.Writer, rec Record) error {
	b, err := AppendRecord(nil, rec)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// ReadRecord reads one record from r with the default Limits. See
// ReadRecordLimits.
func ReadRecord(r io.Reader) (Record, error) { return ReadRecordLimits(r, Limits{}) }

// ReadRecordLimits reads exactly one record from r (it never reads past
// the record, so r may be an unbuffered connection) and returns it as one
// of the concrete *Record value types. Special cases:
//
//   - A clean end of stream before the first octet returns
//     EndRecord{EOF: true} and a nil error: EOF is accepted in place of an
//     End record. An end of stream inside a record is an error wrapping
//     io.ErrUnexpectedEOF.
//   - A Fault record returns a nil Record and a *FaultError.
//   - A reserved record type (0x0D-0xFF), a zero or malformed size, a size
//     above lim (ErrTooLarge), or a Via, content type, upgrade protocol or
//     fault that is not UTF-8 returns an error wrapping ErrMalformed or
//     ErrTooLarge.
//
// Other read errors are returned wrapped.
func ReadRecordLimits(r io.Reader, lim Limits) (Record, error) {
	lim = lim.WithDefaults()
	var one [1]byte
	if _, err := io.ReadFull(r, one[:]); err != nil {
		if err == io.EOF {
			return EndRecord{EOF: true}, nil
		}
		return nil, fmt.Errorf("nmf: reading record type: %w", err)
	}
	t := RecordType(one[0])
	switch t {
	case TypeVersion:
		var v [2]byte
		if err := readFull(r, v[:], t); err != nil {
			return nil, err
		}
		return VersionRecord{Major: v[0], Minor: v[1]}, nil
	case TypeMode:
		if err := readFull(r, one[:], t); err != nil {
			return nil, err
		}
		return ModeRecord{Mode: Mode(one[0])}, nil
	case TypeVia:
		s, err := readString(r, t, lim.MaxVia)
		if err != nil {
			return nil, err
		}
		return ViaRecord{Via: s}, nil
	case TypeKnownEncoding:
		if err := readFull(r, one[:], t); err != nil {
			return nil, err
		}
		return KnownEncodingRecord{Encoding: one[0]}, nil
	case TypeExtensibleEncoding:
		s, err := readString(r, t, lim.MaxContentType)
		if err != nil {
			return nil, err
		}
		return ExtensibleEncodingRecord{ContentType: s}, nil
	case TypeUnsizedEnvelope:
		return readUnsized(r, lim.MaxEnvelope)
	case TypeSizedEnvelope:
		p, err := readSized(r, t, lim.MaxEnvelope)
		if err != nil {
			return nil, err
		}
		return SizedEnvelopeRecord{Payload: p}, nil
	case TypeEnd:
		return EndRecord{}, nil
	case TypeFault:
		s, err := readString(r, t, lim.MaxFault)
		if err != nil {
			return nil, err
		}
		return nil, newFaultError(s)
	case TypeUpgradeRequest:
		s, err := readString(r, t, lim.MaxUpgrade)
		if err != nil {
			return nil, err
		}
		return UpgradeRequestRecord{Protocol: s}, nil
	case TypeUpgradeResponse:
		return UpgradeResponseRecord{}, nil
	case TypePreambleAck:
		return PreambleAckRecord{}, nil
	case TypePreambleEnd:
		return PreambleEndRecord{}, nil
	}
	return nil, fmt.Errorf("%w: reserved record type %#02x", ErrMalformed, one[0])
}

func readFull(r io.Reader, p []byte, t RecordType) error {
	if _, err := io.ReadFull(r, p); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("nmf: reading %v: %w", t, err)
	}
	return nil
}

// readSized reads a size (non-zero, at most max) and that many octets.
func readSized(r io.Reader, t RecordType, max int) ([]byte, error) {
	n, err := ReadMB32(r)
	if err != nil {
		return nil, fmt.Errorf("nmf: %v: %w", t, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: %v with size 0", ErrMalformed, t)
	}
	if n > max {
		return nil, fmt.Errorf("%w: %v of %d bytes, limit %d", ErrTooLarge, t, n, max)
	}
	return readN(r, nil, n, t)
}

// readN appends n octets from r to dst. Large sizes are read
// incrementally, so a peer announcing a big record without sending it
// costs no more memory than it actually sent.
func readN(r io.Reader, dst []byte, n int, t RecordType) ([]byte, error) {
	if n <= 64<<10 {
		start := len(dst)
		dst = append(dst, make([]byte, n)...)
		if err := readFull(r, dst[start:], t); err != nil {
			return nil, err
		}
		return dst, nil
	}
	buf := bytes.NewBuffer(dst)
	if _, err := io.CopyN(buf, r, int64(n)); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("nmf: reading %v: %w", t, err)
	}
	return buf.Bytes(), nil
}

func readString(r io.Reader, t RecordType, max int) (string, error) {
	p, err := readSized(r, t, max)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(p) {
		return "", fmt.Errorf("%w: %v is not UTF-8", ErrMalformed, t)
	}
	return string(p), nil
}

func readUnsized(r io.Reader, max int) (Record, error) {
	var rec UnsizedEnvelopeRecord
	for {
		n, err := ReadMB32(r)
		if err != nil {
			return nil, fmt.Errorf("nmf: %v chunk: %w", TypeUnsizedEnvelope, err)
		}
		if n == 0 {
			if len(rec.ChunkSizes) == 0 {
				return nil, fmt.Errorf("%w: %v without any data chunk", ErrMalformed, TypeUnsizedEnvelope)
			}
			return rec, nil
		}
		if n > max-len(rec.Payload) {
			return nil, fmt.Errorf("%w: %v of more than %d bytes", ErrTooLarge, TypeUnsizedEnvelope, max)
		}
		if rec.Payload, err = readN(r, rec.Payload, n, TypeUnsizedEnvelope); err != nil {
			return nil, err
		}
		rec.ChunkSizes = append(rec.ChunkSizes, n)
	}
}
