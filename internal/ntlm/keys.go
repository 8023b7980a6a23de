package ntlm

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"strings"

	"golang.org/x/crypto/md4"
)

// NTOWFv2 is the NTLMv2 response key ([MS-NLMP] §3.3.2):
// HMAC_MD5(MD4(UNICODE(password)), UNICODE(Uppercase(user) || domain)).
// LMOWFv2 is the same function.
func NTOWFv2(password, user, domain string) []byte {
	return ntowfv2FromHash(ntHash(password), user, domain)
}

// ntHash is MD4(UNICODE(password)), the NTOWFv1 of [MS-NLMP] §3.3.1.
func ntHash(password string) []byte {
	h := md4.New()
	h.Write(utf16le(password))
	return h.Sum(nil)
}

func ntowfv2FromHash(hash []byte, user, domain string) []byte {
	return hmacMD5(hash, utf16le(strings.ToUpper(user)+domain))
}

func hmacMD5(key []byte, parts ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// ClientBlob builds the NTLMv2 "temp" structure of [MS-NLMP] §3.3.2:
// Responserversion 1, HiResponserversion 1, Z(6), Time, ClientChallenge,
// Z(4), the AV pairs (with MsvAvEOL) and Z(4). time is a FILETIME (100 ns
// since 1601-01-01 UTC).
func ClientBlob(time uint64, clientChallenge [8]byte, targetInfo AvPairs) []byte {
	b := []byte{1, 1, 0, 0, 0, 0, 0, 0}
	b = binary.LittleEndian.AppendUint64(b, time)
	b = append(b, clientChallenge[:]...)
	b = append(b, 0, 0, 0, 0)
	b = append(b, targetInfo.Marshal()...)
	return append(b, 0, 0, 0, 0)
}

// Responses is what ComputeResponses derives ([MS-NLMP] §3.3.2).
type Responses struct {
	NtProofStr     []byte
	NtResponse     []byte // NTProofStr || temp
	LmResponse     []byte // LMv2: HMAC_MD5(key, server || client) || client
	SessionBaseKey []byte
}

// ComputeResponses computes the NTLMv2 responses and the session base key
// for the response key (NTOWFv2), the server challenge and the client
// blob built by ClientBlob.
func ComputeResponses(responseKey []byte, serverChallenge, clientChallenge [8]byte, blob []byte) Responses {
	proof := hmacMD5(responseKey, serverChallenge[:], blob)
	lm := append(hmacMD5(responseKey, serverChallenge[:], clientChallenge[:]), clientChallenge[:]...)
	return Responses{
		NtProofStr:     proof,
		NtResponse:     append(append([]byte(nil), proof...), blob...),
		LmResponse:     lm,
		SessionBaseKey: hmacMD5(responseKey, proof),
	}
}

// rc4Once encrypts (or decrypts) data with a fresh RC4 key, as
// EncryptedRandomSessionKey does ([MS-NLMP] §3.1.5.1.2, §3.4.2 RC4K).
func rc4Once(key, data []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		panic(err) // key is always 16 octets here
	}
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// The magic constants of [MS-NLMP] §3.4.5.2 and §3.4.5.3 (with their NUL).
const (
	clientSignMagic = "session key to client-to-server signing key magic constant\x00"
	serverSignMagic = "session key to server-to-client signing key magic constant\x00"
	clientSealMagic = "session key to client-to-server sealing key magic constant\x00"
	serverSealMagic = "session key to server-to-client sealing key magic constant\x00"
)

// SignKey is SIGNKEY of [MS-NLMP] §3.4.5.2 with extended session
// security; client selects the client-to-server key.
func SignKey(exportedSessionKey []byte, client bool) []byte {
	magic := serverSignMagic
	if client {
		magic = clientSignMagic
	}
	s := md5.Sum(append(append([]byte(nil), exportedSessionKey...), magic...))
	return s[:]
}

// SealKey is SEALKEY of [MS-NLMP] §3.4.5.3 with extended session
// security: the exported key cut to 16, 7 or 5 octets by Flag128 and
// Flag56, then MD5 with the direction's magic constant.
func SealKey(flags Flags, exportedSessionKey []byte, client bool) []byte {
	k := exportedSessionKey
	switch {
	case flags.Has(Flag128):
	case flags.Has(Flag56):
		k = k[:7]
	default:
		k = k[:5]
	}
	magic := serverSealMagic
	if client {
		magic = clientSealMagic
	}
	s := md5.Sum(append(append([]byte(nil), k...), magic...))
	return s[:]
}
