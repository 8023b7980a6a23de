package ntlm

import (
	"crypto/hmac"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrIntegrity is wrapped when a signature does not verify (a tampered or
// reordered message).
var ErrIntegrity = errors.New("ntlm: message signature does not verify")

// SignatureSize is the size of an NTLMSSP_MESSAGE_SIGNATURE
// ([MS-NLMP] §2.2.2.9.1).
const SignatureSize = 16

// direction is one half of a session: its keys, the connection-oriented
// RC4 state and the sequence number ([MS-NLMP] §3.4.1, §3.4.4.2).
type direction struct {
	signKey []byte
	rc4     *rc4.Cipher
	seq     uint32
}

func newDirection(flags Flags, exported []byte, client bool) direction {
	c, err := rc4.NewCipher(SealKey(flags, exported, client))
	if err != nil {
		panic(err)
	}
	return direction{signKey: SignKey(exported, client), rc4: c}
}

// mac is MAC() with extended session security ([MS-NLMP] §3.4.4.2):
// Version 1, the first 8 octets of HMAC_MD5(SigningKey, SeqNum ||
// Message), RC4-encrypted with the sealing handle under key exchange, and
// SeqNum. The sequence number then advances.
func (d *direction) mac(flags Flags, msg []byte) []byte {
	var seq [4]byte
	binary.LittleEndian.PutUint32(seq[:], d.seq)
	sum := hmacMD5(d.signKey, seq[:], msg)[:8]
	if flags.Has(FlagKeyExch) {
		d.rc4.XORKeyStream(sum, sum)
	}
	sig := binary.LittleEndian.AppendUint32(nil, 1)
	sig = append(sig, sum...)
	sig = append(sig, seq[:]...)
	d.seq++
	return sig
}

// Session is an established NTLM security context: the negotiated flags
// and one direction for each way. It is not safe for concurrent use by
// more than one writer or more than one reader; Wrap and Unwrap use
// different directions and can run concurrently.
type Session struct {
	flags    Flags
	exported []byte
	out, in  direction
}

func newSession(flags Flags, exported []byte, client bool) *Session {
	return &Session{
		flags:    flags,
		exported: exported,
		out:      newDirection(flags, exported, client),
		in:       newDirection(flags, exported, !client),
	}
}

// NewSession builds a session from the negotiated flags and the exported
// session key, for the client (initiator) or the server side. Keys,
// sequence numbers and RC4 states start as [MS-NLMP] §3.4 says.
func NewSession(flags Flags, exportedSessionKey []byte, client bool) *Session {
	return newSession(flags, append([]byte(nil), exportedSessionKey...), client)
}

// Flags returns the negotiated flags.
func (s *Session) Flags() Flags { return s.flags }

// Integrity reports whether messages are signed (FlagSign).
func (s *Session) Integrity() bool { return s.flags.Has(FlagSign) }

// Confidentiality reports whether messages are sealed (FlagSeal).
func (s *Session) Confidentiality() bool { return s.flags.Has(FlagSeal) }

// GetMIC signs msg without sealing it (GSS_GetMIC, [MS-NLMP] §3.4.4).
func (s *Session) GetMIC(msg []byte) []byte { return s.out.mac(s.flags, msg) }

// VerifyMIC checks a signature made by the peer's GetMIC.
func (s *Session) VerifyMIC(msg, sig []byte) error {
	want := s.in.mac(s.flags, msg)
	if len(sig) != SignatureSize || !hmac.Equal(sig, want) {
		return fmt.Errorf("%w (sequence number %d)", ErrIntegrity, s.in.seq-1)
	}
	return nil
}

// Wrap protects msg for the peer: with FlagSeal it returns the signature
// followed by the RC4-sealed message (SEAL, [MS-NLMP] §3.4.3: the message
// is encrypted first, then the checksum with the same RC4 handle), else
// the signature followed by the message.
func (s *Session) Wrap(msg []byte) []byte {
	out := make([]byte, SignatureSize, SignatureSize+len(msg))
	if s.flags.Has(FlagSeal) {
		sealed := make([]byte, len(msg))
		s.out.rc4.XORKeyStream(sealed, msg)
		copy(out, s.out.mac(s.flags, msg))
		return append(out, sealed...)
	}
	copy(out, s.out.mac(s.flags, msg))
	return append(out, msg...)
}

// Unwrap reverses the peer's Wrap and verifies the signature. A token
// shorter than a signature, a wrong checksum or a wrong sequence number
// is an error wrapping ErrIntegrity.
func (s *Session) Unwrap(token []byte) ([]byte, error) {
	if len(token) < SignatureSize {
		return nil, fmt.Errorf("%w: token of %d octets is shorter than a signature", ErrIntegrity, len(token))
	}
	sig, body := token[:SignatureSize], token[SignatureSize:]
	msg := append([]byte(nil), body...)
	if s.flags.Has(FlagSeal) {
		s.in.rc4.XORKeyStream(msg, msg)
	}
	if err := s.VerifyMIC(msg, sig); err != nil {
		return nil, err
	}
	return msg, nil
}

// ResetCrypto re-keys both RC4 handles from the sealing keys, keeping the
// sequence numbers. SPNEGO implementations do this to NTLM once the
// mechListMIC has been exchanged (MIT's SPNEGO through gss-ntlmssp's
// reset-crypto option, Samba's gensec_ntlmssp_may_reset_crypto), so the
// first data message is sealed with a fresh RC4 stream and sequence
// number 1. Checked against gss-ntlmssp (interop/nns); resetting the
// sequence numbers too is refused there.
func (s *Session) ResetCrypto() {
	client := bytesEqual(s.out.signKey, SignKey(s.exported, true))
	out, in := newDirection(s.flags, s.exported, client), newDirection(s.flags, s.exported, !client)
	out.seq, in.seq = s.out.seq, s.in.seq
	s.out, s.in = out, in
}

func bytesEqual(a, b []byte) bool { return hmac.Equal(a, b) }
