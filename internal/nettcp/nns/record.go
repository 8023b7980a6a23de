package nns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MessageID is the first octet of a handshake message ([MS-NNS] §2.2.1).
type MessageID byte

// The handshake message ids of [MS-NNS] §2.2.1.
const (
	HandshakeDone       MessageID = 0x14
	HandshakeError      MessageID = 0x15
	HandshakeInProgress MessageID = 0x16
)

func (m MessageID) String() string {
	switch m {
	case HandshakeDone:
		return "HandshakeDone"
	case HandshakeError:
		return "HandshakeError"
	case HandshakeInProgress:
		return "HandshakeInProgress"
	}
	return fmt.Sprintf("MessageId(%#02x)", byte(m))
}

// Sizes of [MS-NNS] §2.2.1 and §2.2.2.
const (
	// HandshakeHeaderSize is the handshake message header: MessageId,
	// MajorVersion, MinorVersion, PayloadSize (16 bits, big-endian).
	HandshakeHeaderSize = 5
	// MaxHandshakePayload is the largest handshake payload the 16-bit
	// size can carry.
	MaxHandshakePayload = 0xFFFF
	// DataHeaderSize is the data message header: PayloadSize (32 bits,
	// little-endian).
	DataHeaderSize = 4
	// MaxDataPayload is the largest data message payload this package
	// writes ([MS-NNS] §2.2.2: at most 0xFC30 octets).
	MaxDataPayload = 0xFC30
	// MaxDataPlaintext is how much plaintext one data message carries at
	// most (.NET's NegotiateStream uses the same 0xFC00), which leaves
	// 0x30 octets for the wrap token's overhead.
	MaxDataPlaintext = 0xFC00
	// MaxReadDataPayload is the largest data message payload accepted
	// (64 KiB, as .NET's NegotiateStream reader).
	MaxReadDataPayload = 0x10000
)

// ErrMalformed is wrapped by every error about octets that do not form a
// valid NNS message.
var ErrMalformed = errors.New("malformed NNS message")

// Handshake is one handshake message ([MS-NNS] §2.2.1).
type Handshake struct {
	ID           MessageID
	Major, Minor byte
	Payload      []byte
}

// AppendHandshake appends the message (version 1.0 when Major and Minor
// are both zero).
func AppendHandshake(b []byte, h Handshake) ([]byte, error) {
	if len(h.Payload) > MaxHandshakePayload {
		return b, fmt.Errorf("nns: %v payload of %d octets exceeds %d", h.ID, len(h.Payload), MaxHandshakePayload)
	}
	maj, mnr := h.Major, h.Minor
	if maj == 0 && mnr == 0 {
		maj = 1
	}
	b = append(b, byte(h.ID), maj, mnr)
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.Payload)))
	return append(b, h.Payload...), nil
}

// ParseHandshakeHeader checks a 5-octet handshake header and returns the
// message id and payload size. Only version 1.0 and the three defined
// ids are accepted.
func ParseHandshakeHeader(hdr []byte) (MessageID, int, error) {
	if len(hdr) < HandshakeHeaderSize {
		return 0, 0, fmt.Errorf("nns: %w: handshake header of %d octets", ErrMalformed, len(hdr))
	}
	id := MessageID(hdr[0])
	switch id {
	case HandshakeDone, HandshakeError, HandshakeInProgress:
	default:
		return 0, 0, fmt.Errorf("nns: %w: handshake message id %#02x (header % x)", ErrMalformed, hdr[0], hdr[:HandshakeHeaderSize])
	}
	if hdr[1] != 1 || hdr[2] != 0 {
		return 0, 0, fmt.Errorf("nns: %w: %v version %d.%d, want 1.0", ErrMalformed, id, hdr[1], hdr[2])
	}
	return id, int(binary.BigEndian.Uint16(hdr[3:])), nil
}

// ParseHandshake parses one handshake message from the front of b and
// returns it and the octets after it.
func ParseHandshake(b []byte) (Handshake, []byte, error) {
	id, n, err := ParseHandshakeHeader(b)
	if err != nil {
		return Handshake{}, nil, err
	}
	if len(b)-HandshakeHeaderSize < n {
		return Handshake{}, nil, fmt.Errorf("nns: %w: %v payload of %d octets, %d present", ErrMalformed, id, n, len(b)-HandshakeHeaderSize)
	}
	end := HandshakeHeaderSize + n
	return Handshake{ID: id, Major: 1, Payload: b[HandshakeHeaderSize:end:end]}, b[end:], nil
}

// ReadHandshake reads exactly one handshake message from r (never
// reading ahead).
func ReadHandshake(r io.Reader) (Handshake, error) {
	var hdr [HandshakeHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Handshake{}, fmt.Errorf("nns: reading a handshake message: %w", eofIsUnexpected(err))
	}
	id, n, err := ParseHandshakeHeader(hdr[:])
	if err != nil {
		return Handshake{}, err
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return Handshake{}, fmt.Errorf("nns: reading a %d-octet %v payload: %w", n, id, eofIsUnexpected(err))
	}
	return Handshake{ID: id, Major: 1, Payload: p}, nil
}

// AppendData appends one data message ([MS-NNS] §2.2.2).
func AppendData(b, payload []byte) ([]byte, error) {
	if len(payload) > MaxDataPayload {
		return b, fmt.Errorf("nns: data payload of %d octets exceeds %d", len(payload), MaxDataPayload)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...), nil
}

// ParseDataHeader returns the payload size of a data message header,
// refusing zero and sizes above MaxReadDataPayload.
func ParseDataHeader(hdr []byte) (int, error) {
	if len(hdr) < DataHeaderSize {
		return 0, fmt.Errorf("nns: %w: data header of %d octets", ErrMalformed, len(hdr))
	}
	n := binary.LittleEndian.Uint32(hdr)
	if n == 0 || n > MaxReadDataPayload {
		return 0, fmt.Errorf("nns: %w: data message payload size %d (want 1..%d)", ErrMalformed, n, MaxReadDataPayload)
	}
	return int(n), nil
}

// ParseData parses one data message from the front of b and returns its
// payload and the octets after it.
func ParseData(b []byte) ([]byte, []byte, error) {
	n, err := ParseDataHeader(b)
	if err != nil {
		return nil, nil, err
	}
	if len(b)-DataHeaderSize < n {
		return nil, nil, fmt.Errorf("nns: %w: data payload of %d octets, %d present", ErrMalformed, n, len(b)-DataHeaderSize)
	}
	end := DataHeaderSize + n
	return b[DataHeaderSize:end:end], b[end:], nil
}

// ReadData reads exactly one data message from r. A clean end of stream
// before the header returns io.EOF.
func ReadData(r io.Reader) ([]byte, error) {
	var hdr [DataHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("nns: reading a data message header: %w", err)
	}
	n, err := ParseDataHeader(hdr[:])
	if err != nil {
		return nil, err
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, fmt.Errorf("nns: reading a %d-octet data payload: %w", n, eofIsUnexpected(err))
	}
	return p, nil
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
