package spnego

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/specgate/specgate/internal/ntlm"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOIDs(t *testing.T) {
	for s, want := range map[string]string{
		"1.3.6.1.5.5.2":          "2b0601050502",
		"1.3.6.1.4.1.311.2.2.10": "2b06010401823702020a",
		"1.2.840.113554.1.2.2":   "2a864886f712010202",
		"1.2.840.48018.1.2.2":    "2a864882f712010202",
	} {
		o, err := ParseOID(s)
		if err != nil || hex.EncodeToString([]byte(o)) != want {
			t.Errorf("%s -> %x (%v), want %s", s, o, err, want)
		}
		if o.String() != s {
			t.Errorf("%x prints as %s", o, o.String())
		}
	}
}

// TestNegTokenInitOctets checks the initial token octet by octet
// ([RFC 2743] §3.1 framing, [RFC 4178] §4.2.1): 74 octets around a
// 40-octet NTLM NEGOTIATE, the size MIT's SPNEGO initiator produces for
// the same mechanism list.
func TestNegTokenInitOctets(t *testing.T) {
	neg := bytes.Repeat([]byte{0xee}, 40)
	got := (&NegTokenInit{MechTypes: []OID{OIDNTLM}, MechToken: neg}).Marshal()
	want := unhex(t, `6048 0606 2b0601050502 a03e 303c a00e 300c 060a 2b06010401823702020a a22a 0428`)
	want = append(want, neg...)
	if !bytes.Equal(got, want) {
		t.Fatalf("NegTokenInit =\n%x\nwant\n%x", got, want)
	}
	p, der, err := ParseNegTokenInit(got)
	if err != nil || len(p.MechTypes) != 1 || p.MechTypes[0] != OIDNTLM || !bytes.Equal(p.MechToken, neg) {
		t.Fatalf("parse: %+v %v", p, err)
	}
	if !bytes.Equal(der, unhex(t, "300c 060a 2b06010401823702020a")) {
		t.Fatalf("mechTypes DER %x", der)
	}
}

func TestNegTokenRespOctets(t *testing.T) {
	// accept-completed with a 16-octet mechListMIC: the 29-octet final
	// token of an NTLM exchange.
	mic := bytes.Repeat([]byte{0x01}, 16)
	got := (&NegTokenResp{NegState: AcceptCompleted, MechListMIC: mic}).Marshal()
	want := append(unhex(t, "a11b 3019 a003 0a0100 a312 0410"), mic...)
	if !bytes.Equal(got, want) || len(got) != 29 {
		t.Fatalf("NegTokenResp =\n%x\nwant\n%x", got, want)
	}
	r, err := ParseNegTokenResp(got)
	if err != nil || r.NegState != AcceptCompleted || !bytes.Equal(r.MechListMIC, mic) || r.ResponseToken != nil {
		t.Fatalf("parse: %+v %v", r, err)
	}
	// accept-incomplete, supportedMech, responseToken.
	got = (&NegTokenResp{NegState: AcceptIncomplete, SupportedMech: OIDNTLM, ResponseToken: []byte("tok")}).Marshal()
	want = unhex(t, "a11c 301a a003 0a0101 a10c 060a 2b06010401823702020a a205 0403 746f6b")
	if !bytes.Equal(got, want) {
		t.Fatalf("NegTokenResp =\n%x\nwant\n%x", got, want)
	}
}

func TestDERStrictness(t *testing.T) {
	for name, b := range map[string]string{
		"indefinite length": "a180",
		"non-minimal long":  "a1810130",
		"leading zero":      "a182000130",
		"high tag":          "bf0100",
		"truncated":         "a10530",
		"trailing octets":   "a1023000ff",
		"fields reordered":  "a10e300ca2020400a0030a0100",
		"bad negState":      "a1073005a0030a0109",
	} {
		if _, err := ParseNegTokenResp(unhex(t, b)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func pair(t *testing.T, clientPW string) (*Initiator, *Acceptor) {
	t.Helper()
	c := ntlm.NewClientContext(ntlm.ClientConfig{
		Credentials:     ntlm.Credentials{Domain: "TEST", User: "alice", Password: clientPW},
		Confidentiality: true,
	})
	s := ntlm.NewServerContext(ntlm.ServerConfig{Domain: "TEST", Computer: "SRV", Accounts: map[string]string{`TEST\alice`: "Passw0rd"}})
	return NewInitiator(OIDNTLM, c), NewAcceptor(OIDNTLM, s)
}

// run steps both sides until both are done, with an optional tamper of
// every acceptor-bound token.
func run(t *testing.T, i *Initiator, a *Acceptor, tamper func(n int, tok []byte) []byte) error {
	t.Helper()
	tok, idone, err := i.Step(nil)
	for n := 0; err == nil && n < 8; n++ {
		if tamper != nil {
			tok = tamper(n, tok)
		}
		var back []byte
		var adone bool
		if back, adone, err = a.Step(tok); err != nil {
			return err
		}
		if tok, idone, err = i.Step(back); err != nil {
			return err
		}
		if idone && adone {
			return nil
		}
	}
	return err
}

func TestNTLMOverSPNEGO(t *testing.T) {
	i, a := pair(t, "Passw0rd")
	if err := run(t, i, a, nil); err != nil {
		t.Fatal(err)
	}
	if !i.Confidentiality() || !a.Confidentiality() {
		t.Fatal("no confidentiality")
	}
	// The mechListMICs used sequence number 0 on both sides, then the RC4
	// handles were re-keyed (as MIT's SPNEGO with gss-ntlmssp does): data
	// continues at sequence number 1.
	w, _ := i.Wrap([]byte("data"))
	if got, err := a.Unwrap(w); err != nil || string(got) != "data" {
		t.Fatalf("Unwrap = %q, %v", got, err)
	}
	if w[12] != 1 {
		t.Fatalf("first data signature has sequence number %d, want 1", w[12])
	}
}

func TestSPNEGOWrongPassword(t *testing.T) {
	i, a := pair(t, "bad")
	if err := run(t, i, a, nil); !errors.Is(err, ntlm.ErrLogonFailure) {
		t.Fatalf("err = %v", err)
	}
}

func TestSPNEGOTamperedMechListMIC(t *testing.T) {
	i, a := pair(t, "Passw0rd")
	err := run(t, i, a, func(n int, tok []byte) []byte {
		if n == 1 {
			tok = bytes.Clone(tok)
			tok[len(tok)-1] ^= 1 // the mechListMIC is the last field
		}
		return tok
	})
	if !errors.Is(err, ErrMechListMIC) {
		t.Fatalf("err = %v", err)
	}
}

// FuzzParseTokens feeds arbitrary octets to both token parsers: no panic,
// and a parsed token re-marshals to one that parses to the same fields.
func FuzzParseTokens(f *testing.F) {
	f.Add((&NegTokenInit{MechTypes: []OID{OIDNTLM, OIDKerberos}, MechToken: []byte("NTLMSSP\x00"), ReqFlags: []byte{0, 0x60}}).Marshal())
	f.Add((&NegTokenResp{NegState: AcceptIncomplete, SupportedMech: OIDNTLM, ResponseToken: []byte("x"), MechListMIC: []byte("m")}).Marshal())
	f.Add([]byte{0xa1, 0x80})
	f.Add([]byte{0x60, 0x82, 0x00, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, _, err := ParseNegTokenInit(b); err == nil {
			q, _, err := ParseNegTokenInit(p.Marshal())
			if err != nil || len(q.MechTypes) != len(p.MechTypes) || !bytes.Equal(q.MechToken, p.MechToken) || !bytes.Equal(q.MechListMIC, p.MechListMIC) {
				t.Fatalf("NegTokenInit does not round-trip: %v", err)
			}
		}
		if r, err := ParseNegTokenResp(b); err == nil {
			s, err := ParseNegTokenResp(r.Marshal())
			if err != nil || s.NegState != r.NegState || s.SupportedMech != r.SupportedMech || !bytes.Equal(s.ResponseToken, r.ResponseToken) {
				t.Fatalf("NegTokenResp does not round-trip: %v", err)
			}
			if !bytes.Equal(r.Marshal(), b) {
				t.Fatalf("DER is canonical, so re-marshalling must give the same octets:\n%x\n%x", r.Marshal(), b)
			}
		}
		_ = OID(b).String()
	})
}
