package nmf

import (
	"errors"
	"fmt"
	"io"
)

// MaxMB32 is the largest value the record size encoding can carry: five
// octets, the last one limited to 0x01-0x07 ([MC-NMF] §3.1.1.2
// EncodedSize), i.e. 31 bits.
const MaxMB32 = 0x7FFFFFFF

// ErrMalformed is wrapped by every error about bytes that do not follow the
// MC-NMF grammar (bad size encodings, bad record contents, unknown record
// types).
var ErrMalformed = errors.New("nmf: malformed record")

// AppendMB32 appends the [MC-NMF] §2.2.2 encoding of v (0 ≤ v ≤ MaxMB32):
// seven bits per octet, least significant group first, the high bit set on
// every octet but the last.
func AppendMB32(b []byte, v int) ([]byte, error) {
	if v < 0 || v > MaxMB32 {
		return b, fmt.Errorf("nmf: size %d cannot be encoded (range 0..%#x)", v, MaxMB32)
	}
	u := uint32(v)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u)), nil
}

// DecodeMB32 decodes a size at the start of b and returns it with the
// number of octets used. It fails on a truncated encoding
// (io.ErrUnexpectedEOF is wrapped), on more than 31 bits, and on a
// non-minimal encoding (a final octet of zero after a continuation
// octet), which the MC-NMF grammar does not allow.
func DecodeMB32(b []byte) (int, int, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, fmt.Errorf("%w: size encoding truncated after %d octets: %w", ErrMalformed, i, io.ErrUnexpectedEOF)
		}
		c := b[i]
		if i == 4 {
			if c&0xF8 != 0 {
				return 0, 0, fmt.Errorf("%w: size encoding exceeds 31 bits (fifth octet %#02x)", ErrMalformed, c)
			}
		}
		v |= uint32(c&0x7F) << (7 * i)
		if c&0x80 == 0 {
			if c == 0 && i > 0 {
				return 0, 0, fmt.Errorf("%w: non-minimal size encoding % x", ErrMalformed, b[:i+1])
			}
			return int(v), i + 1, nil
		}
	}
	// Unreachable: the fifth octet has no continuation bit (checked above).
	return 0, 0, fmt.Errorf("%w: size encoding longer than 5 octets", ErrMalformed)
}

// ReadMB32 reads one size encoding from r, one octet at a time (it never
// reads past the encoding). Errors are those of DecodeMB32; an end of
// stream inside the encoding is reported as io.ErrUnexpectedEOF (wrapped).
func ReadMB32(r io.Reader) (int, error) {
	var buf [5]byte
	for i := 0; i < 5; i++ {
		if _, err := io.ReadFull(r, buf[i:i+1]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, fmt.Errorf("nmf: reading size: %w", err)
		}
		if buf[i]&0x80 == 0 || i == 4 {
			v, _, err := DecodeMB32(buf[:i+1])
			return v, err
		}
	}
	return 0, fmt.Errorf("%w: size encoding longer than 5 octets", ErrMalformed)
}
