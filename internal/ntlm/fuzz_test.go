package ntlm

import (
	"bytes"
	"testing"
)

func fuzzSeeds(f *testing.F) {
	f.Add(unhex(f, katChallenge))
	f.Add(unhex(f, katAuthenticate))
	f.Add((&Negotiate{Flags: defaultClientFlags | FlagSign | FlagSeal, Version: DefaultVersion}).Marshal())
	f.Add([]byte("NTLMSSP\x00\x01\x00\x00\x00"))
	f.Add([]byte{})
}

// FuzzParseMessages feeds arbitrary octets to the three message parsers
// and the AV pair parser: none may panic, and whatever parses must
// re-parse to the same fields after Marshal.
func FuzzParseMessages(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := ParseNegotiate(b); err == nil {
			n2, err := ParseNegotiate(n.Marshal())
			if err != nil || n2.Flags != n.Flags {
				t.Fatalf("NEGOTIATE does not round-trip: %v", err)
			}
		}
		if c, err := ParseChallenge(b); err == nil && c.Flags.Has(FlagUnicode) {
			c2, err := ParseChallenge(c.Marshal())
			if err != nil || c2.ServerChallenge != c.ServerChallenge || len(c2.TargetInfo) != len(c.TargetInfo) {
				t.Fatalf("CHALLENGE does not round-trip: %v", err)
			}
		}
		if a, err := ParseAuthenticate(b); err == nil && a.Flags.Has(FlagUnicode) {
			a2, err := ParseAuthenticate(a.Marshal())
			if err != nil || !bytes.Equal(a2.NtResponse, a.NtResponse) || a2.HasMIC != a.HasMIC || a2.MIC != a.MIC {
				t.Fatalf("AUTHENTICATE does not round-trip: %v", err)
			}
		}
		if p, err := ParseAvPairs(b); err == nil {
			p2, err := ParseAvPairs(p.Marshal())
			if err != nil || len(p2) != len(p) {
				t.Fatalf("AV pairs do not round-trip: %v", err)
			}
		}
	})
}

// FuzzUnwrap feeds arbitrary tokens to a sealing session: no panic, and
// nothing but the genuine token verifies.
func FuzzUnwrap(f *testing.F) {
	flags := Flag128 | FlagSign | FlagSeal | FlagKeyExch | FlagExtendedSessionSecurity
	good := NewSession(flags, katRandomKey, true).Wrap([]byte("Plaintext"))
	f.Add(good)
	f.Add(good[:16])
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, tok []byte) {
		got, err := NewSession(flags, katRandomKey, false).Unwrap(tok)
		if err == nil && !bytes.Equal(tok, good) {
			t.Fatalf("forged token verified: %x -> %q", tok, got)
		}
	})
}
