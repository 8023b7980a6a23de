package ntlm

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Credentials name an account and hold its password. The password is
// never printed: String and GoString show only DOMAIN\user.
type Credentials struct {
	Domain, User string
	Password     string
}

// String returns DOMAIN\user (no password).
func (c Credentials) String() string {
	if c.Domain == "" {
		return c.User
	}
	return c.Domain + `\` + c.User
}

// GoString keeps %#v from printing the password.
func (c Credentials) GoString() string {
	return "ntlm.Credentials{" + c.String() + " password redacted}"
}

// ClientConfig configures a Client.
type ClientConfig struct {
	Credentials Credentials
	// Workstation is the client's NetBIOS name sent in AUTHENTICATE.
	Workstation string
	// Integrity asks for signing (FlagSign); Confidentiality asks for
	// sealing and signing (FlagSeal, FlagSign).
	Integrity, Confidentiality bool
	// TargetName, when set, is sent as MsvAvTargetName (the SPN, e.g.
	// host/server.example).
	TargetName string
	// Rand supplies the client challenge and the exported session key
	// (crypto/rand when nil); Now supplies the time when the server sends
	// no MsvAvTimestamp (time.Now when nil). Both exist for tests.
	Rand io.Reader
	Now  func() time.Time
}

// Client is an NTLMv2 initiator. Call Negotiate, then Authenticate with
// the server's CHALLENGE; Session is then ready.
type Client struct {
	cfg       ClientConfig
	flags     Flags
	negotiate []byte
	session   *Session
}

// NewClient returns a client for cfg.
func NewClient(cfg ClientConfig) *Client {
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	f := defaultClientFlags
	if cfg.Integrity || cfg.Confidentiality {
		f |= FlagSign
	}
	if cfg.Confidentiality {
		f |= FlagSeal
	}
	return &Client{cfg: cfg, flags: f}
}

// Negotiate returns the NEGOTIATE_MESSAGE (and remembers it for the MIC).
func (c *Client) Negotiate() []byte {
	m := Negotiate{Flags: c.flags, Version: DefaultVersion}
	c.negotiate = m.Marshal()
	return append([]byte(nil), c.negotiate...)
}

// filetime converts t to a FILETIME (100 ns since 1601-01-01 UTC).
func filetime(t time.Time) uint64 {
	const epochDelta = 116444736000000000 // 1601 to 1970 in 100 ns
	return uint64(t.UnixNano()/100) + epochDelta
}

// Authenticate consumes the server's CHALLENGE_MESSAGE and returns the
// AUTHENTICATE_MESSAGE with NTLMv2 responses, an encrypted random session
// key (when the server agreed to key exchange) and a MIC. The negotiated
// flags are the intersection of what the client asked for and what the
// server granted; a server that does not grant Unicode, NTLM or extended
// session security is refused.
func (c *Client) Authenticate(challenge []byte) ([]byte, error) {
	if c.negotiate == nil {
		return nil, errors.New("ntlm: Authenticate before Negotiate")
	}
	ch, err := ParseChallenge(challenge)
	if err != nil {
		return nil, err
	}
	flags := ch.Flags & c.flags
	for _, need := range []struct {
		f    Flags
		name string
	}{{FlagUnicode, "Unicode"}, {FlagNTLM, "NTLM"}, {FlagExtendedSessionSecurity, "extended session security"}} {
		if !flags.Has(need.f) {
			return nil, fmt.Errorf("ntlm: the server did not agree to %s (CHALLENGE flags %#08x)", need.name, uint32(ch.Flags))
		}
	}

	var clientChallenge [8]byte
	if _, err := io.ReadFull(c.cfg.Rand, clientChallenge[:]); err != nil {
		return nil, fmt.Errorf("ntlm: client challenge: %w", err)
	}
	ti := ch.TargetInfo
	var now uint64
	ts, hasTS := ti.Get(AvTimestamp)
	if hasTS && len(ts) == 8 {
		now = binary.LittleEndian.Uint64(ts)
	} else {
		hasTS = false
		now = filetime(c.cfg.Now())
	}
	avFlags := uint32(AvFlagMIC)
	if v, ok := ti.Get(AvFlags); ok && len(v) == 4 {
		avFlags |= binary.LittleEndian.Uint32(v)
	}
	ti = ti.Set(AvFlags, binary.LittleEndian.AppendUint32(nil, avFlags))
	if c.cfg.TargetName != "" {
		ti = ti.Set(AvTargetName, utf16le(c.cfg.TargetName))
	}

	cred := c.cfg.Credentials
	key := NTOWFv2(cred.Password, cred.User, cred.Domain)
	r := ComputeResponses(key, ch.ServerChallenge, clientChallenge, ClientBlob(now, clientChallenge, ti))
	lm := r.LmResponse
	if hasTS {
		lm = make([]byte, 24) // §3.1.5.1.2: Z(24) when the server sent MsvAvTimestamp
	}
	exported := r.SessionBaseKey // KXKEY is the session base key for NTLMv2 (§3.4.5.1)
	var encKey []byte
	if flags.Has(FlagKeyExch) {
		exported = make([]byte, 16)
		if _, err := io.ReadFull(c.cfg.Rand, exported); err != nil {
			return nil, fmt.Errorf("ntlm: session key: %w", err)
		}
		encKey = rc4Once(r.SessionBaseKey, exported)
	}
	m := Authenticate{
		Flags: flags, LmResponse: lm, NtResponse: r.NtResponse,
		Domain: cred.Domain, User: cred.User, Workstation: c.cfg.Workstation,
		EncryptedSessionKey: encKey, Version: DefaultVersion, HasMIC: true,
	}
	out := m.Marshal()
	mic := hmacMD5(exported, c.negotiate, challenge, out)
	copy(out[micOffset:], mic)
	c.session = newSession(flags, exported, true)
	return out, nil
}

// Session returns the established session (nil before Authenticate).
func (c *Client) Session() *Session { return c.session }
