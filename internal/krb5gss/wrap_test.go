package krb5gss

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// established returns an initiator as after a mutual handshake with an
// AES256 acceptor subkey.
func established() *Initiator {
	key := types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: bytes.Repeat([]byte{0x42}, 32)}
	return &Initiator{key: key, acceptorSK: true, sendSeq: 7, recvSeq: 9, done: true}
}

// acceptorWrap seals msg as an RFC 4121 acceptor would, with rrc
// rotation.
func acceptorWrap(t testing.TB, x *Initiator, msg []byte, seq uint64, rrc int) []byte {
	t.Helper()
	f := byte(flagSentByAcceptor | flagSealed | flagAcceptorSubkey)
	inner := x.header(f, 0, 0, seq)
	et, _ := crypto.GetEtype(x.key.KeyType)
	_, ct, err := et.EncryptMessage(x.key.KeyValue, append(append([]byte(nil), msg...), inner...), keyusage.GSSAPI_ACCEPTOR_SEAL)
	if err != nil {
		t.Fatal(err)
	}
	r := rrc % len(ct)
	ct = append(ct[len(ct)-r:], ct[:len(ct)-r]...) // rotate right by rrc
	return append(x.header(f, 0, uint16(rrc), seq), ct...)
}

func TestWrapTokenLayout(t *testing.T) {
	x := established()
	tok, err := x.Wrap([]byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	// TOK_ID 05 04, flags Sealed|AcceptorSubkey, filler ff, EC 0, RRC 0,
	// SND_SEQ 7 ([RFC 4121] §4.2.6.2).
	if want := []byte{5, 4, 0x06, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}; !bytes.Equal(tok[:16], want) {
		t.Fatalf("header % x, want % x", tok[:16], want)
	}
	// The acceptor's view: usage 24 decrypts to msg || header.
	et, _ := crypto.GetEtype(x.key.KeyType)
	plain, err := et.DecryptMessage(x.key.KeyValue, tok[16:], keyusage.GSSAPI_INITIATOR_SEAL)
	if err != nil || !bytes.Equal(plain, append([]byte("hello"), tok[:16]...)) {
		t.Fatalf("decrypted %q, %v", plain, err)
	}
	if bytes.Contains(tok, []byte("hello")) {
		t.Fatal("plaintext in the token")
	}
	if n := x.WrapSizeLimit(1000); n != 1000-60 {
		t.Fatalf("WrapSizeLimit(1000) = %d, want 940", n)
	}
	tok2, _ := x.Wrap([]byte("x"))
	if binary.BigEndian.Uint64(tok2[8:]) != 8 {
		t.Fatal("sequence number did not advance")
	}
}

func TestUnwrap(t *testing.T) {
	for _, rrc := range []int{0, 12, 28, 1000} {
		x := established()
		got, err := x.Unwrap(acceptorWrap(t, x, []byte("from the acceptor"), 9, rrc))
		if err != nil || string(got) != "from the acceptor" {
			t.Fatalf("rrc %d: %q, %v", rrc, got, err)
		}
	}
	x := established()
	tok := acceptorWrap(t, x, []byte("m"), 9, 0)
	bad := bytes.Clone(tok)
	bad[len(bad)-1] ^= 1
	if _, err := x.Unwrap(bad); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("tampered: %v", err)
	}
	if _, err := x.Unwrap(acceptorWrap(t, x, []byte("m"), 10, 0)); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("wrong sequence number: %v", err)
	}
	// Our own token reflected back is refused.
	own, _ := established().Wrap([]byte("m"))
	if _, err := x.Unwrap(own); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("reflected: %v", err)
	}
}

func TestCredentialsNeverPrintThePassword(t *testing.T) {
	c := Credentials{User: "alice", Realm: "TEST.LOCAL", Password: "s3cret"}
	for _, s := range []string{c.String(), c.GoString()} {
		if bytes.Contains([]byte(s), []byte("s3cret")) {
			t.Fatal(s)
		}
	}
	if err := scrub(errors.New("bad s3cret here"), "s3cret"); bytes.Contains([]byte(err.Error()), []byte("s3cret")) {
		t.Fatal(err)
	}
}

// FuzzUnwrap feeds arbitrary tokens to Unwrap: no panic, and only a
// genuine token verifies (the seed's confounder is random per process, so
// the check is on what it carries: the one plaintext ever sealed).
func FuzzUnwrap(f *testing.F) {
	x := established()
	good := acceptorWrap(f, x, []byte("seed"), 9, 28)
	f.Add(good)
	f.Add(good[:16])
	f.Add([]byte{5, 4, 7, 0xff, 0, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, tok []byte) {
		got, err := established().Unwrap(tok)
		if err == nil && string(got) != "seed" {
			t.Fatalf("forged token verified: %q", got)
		}
	})
}

func BenchmarkWrap64K(b *testing.B) {
	x := established()
	msg := make([]byte, 0xFC00)
	for b.Loop() {
		if _, err := x.Wrap(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMICTokens(t *testing.T) {
	x := established()
	tok, err := x.GetMIC([]byte("mechTypes"))
	if err != nil {
		t.Fatal(err)
	}
	// TOK_ID 04 04, flags AcceptorSubkey, filler ff*5, SND_SEQ 7, then a
	// 12-octet HMAC-SHA1-96 ([RFC 4121] §4.2.6.1).
	if want := []byte{4, 4, 0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 7}; !bytes.Equal(tok[:16], want) || len(tok) != 28 {
		t.Fatalf("MIC token % x", tok)
	}
	et, _ := crypto.GetEtype(x.key.KeyType)
	if !et.VerifyChecksum(x.key.KeyValue, append([]byte("mechTypes"), tok[:16]...), tok[16:], keyusage.GSSAPI_INITIATOR_SIGN) {
		t.Fatal("the initiator MIC does not verify with usage 25")
	}
	// An acceptor's MIC (usage 23, SentByAcceptor) verifies; tampered or
	// replayed ones do not.
	h := micHeader(flagSentByAcceptor|flagAcceptorSubkey, 9)
	sum, _ := et.GetChecksumHash(x.key.KeyValue, append([]byte("mechTypes"), h...), keyusage.GSSAPI_ACCEPTOR_SIGN)
	acc := append(h, sum...)
	if err := x.VerifyMIC([]byte("mechTypeX"), acc); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("wrong message: %v", err)
	}
	if err := x.VerifyMIC([]byte("mechTypes"), acc); err != nil {
		t.Fatal(err)
	}
	if err := x.VerifyMIC([]byte("mechTypes"), acc); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("replayed: %v", err)
	}
}
