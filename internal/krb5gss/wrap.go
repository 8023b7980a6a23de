package krb5gss

import (
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
)

// Wrap token flags ([RFC 4121] §4.2.2).
const (
	flagSentByAcceptor = 0x01
	flagSealed         = 0x02
	flagAcceptorSubkey = 0x04
	wrapHeaderSize     = 16
)

// ErrIntegrity is wrapped when a wrap token does not verify.
var ErrIntegrity = errors.New("krb5: wrap token failed verification")

func (x *Initiator) header(flags byte, ec, rrc uint16, seq uint64) []byte {
	h := []byte{0x05, 0x04, flags, 0xff}
	h = binary.BigEndian.AppendUint16(h, ec)
	h = binary.BigEndian.AppendUint16(h, rrc)
	return binary.BigEndian.AppendUint64(h, seq)
}

// Wrap seals msg ([RFC 4121] §4.2.6.2): header (RRC 0, EC 0), then
// E(msg || header) with key usage 24 under the acceptor subkey (or the
// session key).
func (x *Initiator) Wrap(msg []byte) ([]byte, error) {
	if !x.done {
		return nil, errors.New("krb5: the security context is not established")
	}
	f := byte(flagSealed)
	if x.acceptorSK {
		f |= flagAcceptorSubkey
	}
	h := x.header(f, 0, 0, x.sendSeq)
	et, err := crypto.GetEtype(x.key.KeyType)
	if err != nil {
		return nil, fmt.Errorf("krb5: %w", err)
	}
	plain := append(append([]byte(nil), msg...), h...)
	_, ct, err := et.EncryptMessage(x.key.KeyValue, plain, keyusage.GSSAPI_INITIATOR_SEAL)
	if err != nil {
		return nil, fmt.Errorf("krb5: sealing: %w", err)
	}
	x.sendSeq++
	return append(h, ct...), nil
}

// Unwrap verifies and unseals a token from the acceptor: TOK_ID 05 04,
// SentByAcceptor and Sealed set, RRC rotation undone, decryption with key
// usage 22 (which checks the HMAC), the encrypted header copy equal to
// the header, and the expected sequence number.
func (x *Initiator) Unwrap(tok []byte) ([]byte, error) {
	if !x.done {
		return nil, errors.New("krb5: the security context is not established")
	}
	if len(tok) < wrapHeaderSize || tok[0] != 0x05 || tok[1] != 0x04 || tok[3] != 0xff {
		return nil, fmt.Errorf("%w: not an RFC 4121 wrap token (% x)", ErrIntegrity, tok[:min(len(tok), 4)])
	}
	f := tok[2]
	if f&flagSentByAcceptor == 0 {
		return nil, fmt.Errorf("%w: token not sent by the acceptor (a reflection)", ErrIntegrity)
	}
	if f&flagSealed == 0 {
		return nil, fmt.Errorf("%w: unsealed wrap token under EncryptAndSign", ErrIntegrity)
	}
	ec := int(binary.BigEndian.Uint16(tok[4:]))
	rrc := int(binary.BigEndian.Uint16(tok[6:]))
	seq := binary.BigEndian.Uint64(tok[8:])
	data := append([]byte(nil), tok[wrapHeaderSize:]...)
	if len(data) > 0 {
		r := rrc % len(data)
		data = append(data[r:], data[:r]...)
	}
	key := x.key
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, fmt.Errorf("krb5: %w", err)
	}
	// gokrb5's DecryptMessage panics on input shorter than its confounder
	// and checksum (found by FuzzUnwrap), so the length is checked first.
	if minLen := et.GetConfounderByteSize() + et.GetHMACBitLength()/8 + wrapHeaderSize; len(data) < minLen {
		return nil, fmt.Errorf("%w: sealed part of %d octets, shorter than %d", ErrIntegrity, len(data), minLen)
	}
	plain, err := et.DecryptMessage(key.KeyValue, data, keyusage.GSSAPI_ACCEPTOR_SEAL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIntegrity, err)
	}
	if len(plain) < wrapHeaderSize+ec {
		return nil, fmt.Errorf("%w: sealed part of %d octets", ErrIntegrity, len(plain))
	}
	inner := plain[len(plain)-wrapHeaderSize:]
	want := x.header(f, uint16(ec), 0, seq)
	if !hmac.Equal(inner, want) {
		return nil, fmt.Errorf("%w: the encrypted header copy differs", ErrIntegrity)
	}
	if seq != x.recvSeq {
		return nil, fmt.Errorf("%w: sequence number %d, want %d", ErrIntegrity, seq, x.recvSeq)
	}
	x.recvSeq++
	return plain[:len(plain)-wrapHeaderSize-ec], nil
}

// WrapSizeLimit returns the largest message whose sealed wrap token fits
// in maxToken octets: the token adds the 16-octet header, the encrypted
// header copy, the confounder and the checksum ([RFC 4121] §4.2.4, the
// enctype's sizes from [RFC 3962]).
func (x *Initiator) WrapSizeLimit(maxToken int) int {
	et, err := crypto.GetEtype(x.key.KeyType)
	if err != nil {
		return 0
	}
	return maxToken - 2*wrapHeaderSize - et.GetConfounderByteSize() - et.GetHMACBitLength()/8
}
