package ntlm

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// The known answers of [MS-NLMP] §4.2.1 (common values) and §4.2.4
// (NTLMv2 authentication): user "User", domain "Domain", password
// "Password", server "Server", workstation "COMPUTER", RandomSessionKey
// 0x55 * 16, Time 0, ClientChallenge 0xaa * 8, ServerChallenge
// 0123456789abcdef.

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

var (
	katServerChallenge = [8]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	katClientChallenge = [8]byte{0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa}
	katRandomKey       = bytes.Repeat([]byte{0x55}, 16)
)

// katChallenge is the CHALLENGE_MESSAGE of §4.2.4.3.
const katChallenge = `4e544c4d53535000 02000000 0c000c00 38000000 33828ae2 0123456789abcdef
	0000000000000000 24002400 44000000 060070170000000f 530065007200760065007200
	02000c00 44006f006d00610069006e00 01000c00 530065007200760065007200 00000000`

// katAuthenticate is the AUTHENTICATE_MESSAGE of §4.2.4.3.
const katAuthenticate = `4e544c4d53535000 03000000 18001800 6c000000 54005400 84000000
	0c000c00 48000000 08000800 54000000 10001000 5c000000 10001000 d8000000 358288e2
	0501280a0000000f 44006f006d00610069006e00 5500730065007200 43004f004d0050005500540045005200
	86c35097ac9cec102554764a57cccc19 aaaaaaaaaaaaaaaa
	68cd0ab851e51c96aabc927bebef6a1c 0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000
	02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000 00000000
	c5dad2544fc9799094ce1ce90bc9d03e`

func katTargetInfo() AvPairs {
	return AvPairs{{AvNbDomainName, utf16le("Domain")}, {AvNbComputerName, utf16le("Server")}}
}

func TestNTOWFv2KnownAnswer(t *testing.T) { // §4.2.4.1.1
	want := unhex(t, "0c868a403bfd7a93a3001ef22ef02e3f")
	if got := NTOWFv2("Password", "User", "Domain"); !bytes.Equal(got, want) {
		t.Fatalf("NTOWFv2 = %x, want %x", got, want)
	}
	// Only the user is uppercased (§3.3.2).
	if got := NTOWFv2("Password", "user", "Domain"); !bytes.Equal(got, want) {
		t.Fatalf("NTOWFv2 with lowercase user = %x, want %x", got, want)
	}
	if got := NTOWFv2("Password", "User", "DOMAIN"); bytes.Equal(got, want) {
		t.Fatal("NTOWFv2 uppercased the domain")
	}
}

func TestNTLMv2ResponsesKnownAnswer(t *testing.T) { // §4.2.4.1.2, §4.2.4.2.1-3
	key := NTOWFv2("Password", "User", "Domain")
	blob := ClientBlob(0, katClientChallenge, katTargetInfo())
	r := ComputeResponses(key, katServerChallenge, katClientChallenge, blob)
	check := func(name string, got []byte, want string) {
		t.Helper()
		if w := unhex(t, want); !bytes.Equal(got, w) {
			t.Errorf("%s = %x, want %x", name, got, w)
		}
	}
	check("SessionBaseKey", r.SessionBaseKey, "8de40ccadbc14a82f15cb0ad0de95ca3")
	check("LMv2 response", r.LmResponse, "86c35097ac9cec102554764a57cccc19 aaaaaaaaaaaaaaaa")
	check("NTProofStr", r.NtProofStr, "68cd0ab851e51c96aabc927bebef6a1c")
	auth := unhex(t, katAuthenticate)
	check("NtChallengeResponse", r.NtResponse, hex.EncodeToString(auth[0x84:0x84+0x54]))
	// KXKEY is the session base key (§3.4.5.1); EncryptedRandomSessionKey
	// is RC4(KXKEY, RandomSessionKey).
	check("EncryptedRandomSessionKey", rc4Once(r.SessionBaseKey, katRandomKey), "c5dad2544fc9799094ce1ce90bc9d03e")
}

func TestChallengeMessageKnownAnswer(t *testing.T) { // §4.2.4.3
	raw := unhex(t, katChallenge)
	c, err := ParseChallenge(raw)
	if err != nil {
		t.Fatal(err)
	}
	if c.Flags != 0xe28a8233 || c.TargetName != "Server" || c.ServerChallenge != katServerChallenge {
		t.Fatalf("parsed %#x %q %x", uint32(c.Flags), c.TargetName, c.ServerChallenge)
	}
	if d, _ := c.TargetInfo.Get(AvNbDomainName); fromUTF16le(d) != "Domain" {
		t.Fatalf("MsvAvNbDomainName = %q", fromUTF16le(d))
	}
	if got := c.Marshal(); !bytes.Equal(got, raw) {
		t.Fatalf("Marshal =\n%x\nwant\n%x", got, raw)
	}
}

func TestAuthenticateMessageKnownAnswer(t *testing.T) { // §4.2.4.3
	raw := unhex(t, katAuthenticate)
	a, err := ParseAuthenticate(raw)
	if err != nil {
		t.Fatal(err)
	}
	if a.Flags != 0xe2888235 || a.Domain != "Domain" || a.User != "User" || a.Workstation != "COMPUTER" || a.HasMIC {
		t.Fatalf("parsed %#x %q %q %q mic=%v", uint32(a.Flags), a.Domain, a.User, a.Workstation, a.HasMIC)
	}
	// Building it from the §4.2.4 values gives the same octets.
	key := NTOWFv2("Password", "User", "Domain")
	r := ComputeResponses(key, katServerChallenge, katClientChallenge, ClientBlob(0, katClientChallenge, katTargetInfo()))
	m := Authenticate{
		Flags: 0xe2888235, LmResponse: r.LmResponse, NtResponse: r.NtResponse,
		Domain: "Domain", User: "User", Workstation: "COMPUTER",
		EncryptedSessionKey: rc4Once(r.SessionBaseKey, katRandomKey),
		Version:             Version{0x05, 0x01, 0x28, 0x0a, 0, 0, 0, 0x0f},
	}
	if got := m.Marshal(); !bytes.Equal(got, raw) {
		t.Fatalf("Marshal =\n%x\nwant\n%x", got, raw)
	}
	// The §4.2.4 server accepts it.
	s := NewServer(ServerConfig{Domain: "Domain", Computer: "Server", Accounts: map[string]string{`Domain\User`: "Password"}})
	s.challenge, s.serverChallenge, s.flags = unhex(t, katChallenge), katServerChallenge, 0xe28a8233
	sess, err := s.Accept(raw)
	if err != nil {
		t.Fatalf("server rejected the §4.2.4.3 AUTHENTICATE: %v", err)
	}
	if !bytes.Equal(sess.exported, katRandomKey) {
		t.Fatalf("exported session key %x, want the RandomSessionKey", sess.exported)
	}
}

func TestSealKnownAnswer(t *testing.T) { // §4.2.4.4 GSS_WrapEx
	flags := Flag56 | Flag128 | FlagSign | FlagSeal | FlagKeyExch | FlagExtendedSessionSecurity
	if got, want := SealKey(flags, katRandomKey, true), unhex(t, "59f600973cc4960a25480a7c196e4c58"); !bytes.Equal(got, want) {
		t.Errorf("client SealKey = %x, want %x", got, want)
	}
	if got, want := SignKey(katRandomKey, true), unhex(t, "4788dc861b4782f35d43fd98fe1a2d39"); !bytes.Equal(got, want) {
		t.Errorf("client SignKey = %x, want %x", got, want)
	}
	plain := utf16le("Plaintext")
	tok := NewSession(flags, katRandomKey, true).Wrap(plain)
	if got, want := tok[SignatureSize:], unhex(t, "54e50165bf1936dc996020c1811b0f06fb5f"); !bytes.Equal(got, want) {
		t.Errorf("sealed = %x, want %x", got, want)
	}
	if got, want := tok[:SignatureSize], unhex(t, "010000007fb38ec5c55d497600000000"); !bytes.Equal(got, want) {
		t.Errorf("signature = %x, want %x", got, want)
	}
	// The server side unseals it.
	got, err := NewSession(flags, katRandomKey, false).Unwrap(tok)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Unwrap = %q, %v", got, err)
	}
}
