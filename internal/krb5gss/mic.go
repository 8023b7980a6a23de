package krb5gss

import (
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
)

// micHeader is the MIC token header of [RFC 4121] §4.2.6.1: TOK_ID 04 04,
// flags, five filler octets 0xff, SND_SEQ.
func micHeader(flags byte, seq uint64) []byte {
	h := []byte{0x04, 0x04, flags, 0xff, 0xff, 0xff, 0xff, 0xff}
	return binary.BigEndian.AppendUint64(h, seq)
}

// GetMIC returns a MIC token over msg: the header, then the checksum of
// msg || header with key usage 25 (KG-USAGE-INITIATOR-SIGN). It uses the
// next send sequence number.
func (x *Initiator) GetMIC(msg []byte) ([]byte, error) {
	if !x.done {
		return nil, errors.New("krb5: the security context is not established")
	}
	var f byte
	if x.acceptorSK {
		f = flagAcceptorSubkey
	}
	h := micHeader(f, x.sendSeq)
	et, err := crypto.GetEtype(x.key.KeyType)
	if err != nil {
		return nil, fmt.Errorf("krb5: %w", err)
	}
	sum, err := et.GetChecksumHash(x.key.KeyValue, append(append([]byte(nil), msg...), h...), keyusage.GSSAPI_INITIATOR_SIGN)
	if err != nil {
		return nil, fmt.Errorf("krb5: MIC: %w", err)
	}
	x.sendSeq++
	return append(h, sum...), nil
}

// VerifyMIC checks the acceptor's MIC token over msg (key usage 23) and
// its sequence number.
func (x *Initiator) VerifyMIC(msg, tok []byte) error {
	if !x.done {
		return errors.New("krb5: the security context is not established")
	}
	if len(tok) < wrapHeaderSize || tok[0] != 0x04 || tok[1] != 0x04 || tok[2]&flagSentByAcceptor == 0 {
		return fmt.Errorf("%w: not an acceptor's RFC 4121 MIC token", ErrIntegrity)
	}
	et, err := crypto.GetEtype(x.key.KeyType)
	if err != nil {
		return fmt.Errorf("krb5: %w", err)
	}
	h := tok[:wrapHeaderSize]
	want, err := et.GetChecksumHash(x.key.KeyValue, append(append([]byte(nil), msg...), h...), keyusage.GSSAPI_ACCEPTOR_SIGN)
	if err != nil {
		return fmt.Errorf("krb5: MIC: %w", err)
	}
	if !hmac.Equal(want, tok[wrapHeaderSize:]) {
		return fmt.Errorf("%w: MIC checksum", ErrIntegrity)
	}
	if seq := binary.BigEndian.Uint64(tok[8:]); seq != x.recvSeq {
		return fmt.Errorf("%w: MIC sequence number %d, want %d", ErrIntegrity, seq, x.recvSeq)
	}
	x.recvSeq++
	return nil
}
