package ntlm

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrLogonFailure is wrapped when an AUTHENTICATE message does not prove
// knowledge of a known account's password (unknown user, wrong password or
// a wrong MIC). The error names the account, never a key or password.
var ErrLogonFailure = errors.New("ntlm: logon failure")

// ServerConfig configures a Server.
type ServerConfig struct {
	// Domain and Computer are the NetBIOS names put in the CHALLENGE
	// target info (MsvAvNbDomainName, MsvAvNbComputerName); Domain is
	// also the TargetName.
	Domain, Computer string
	// Accounts maps DOMAIN\user (compared case-insensitively) to the
	// password.
	Accounts map[string]string
	// Rand supplies the server challenge (crypto/rand when nil); Now the
	// MsvAvTimestamp (time.Now when nil).
	Rand io.Reader
	Now  func() time.Time
}

// Server is an NTLMv2 acceptor for tests: Challenge answers the client's
// NEGOTIATE, Accept verifies the AUTHENTICATE.
type Server struct {
	cfg                  ServerConfig
	negotiate, challenge []byte
	serverChallenge      [8]byte
	flags                Flags
	user                 string
}

// NewServer returns a server for cfg.
func NewServer(cfg ServerConfig) *Server {
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{cfg: cfg}
}

// serverFlags are the flags the server can grant.
const serverFlags = FlagUnicode | FlagNTLM | FlagAlwaysSign | FlagExtendedSessionSecurity |
	FlagVersion | Flag128 | Flag56 | FlagKeyExch | FlagSign | FlagSeal

// Challenge parses the NEGOTIATE_MESSAGE and returns the CHALLENGE.
func (s *Server) Challenge(negotiate []byte) ([]byte, error) {
	n, err := ParseNegotiate(negotiate)
	if err != nil {
		return nil, err
	}
	if !n.Flags.Has(FlagUnicode | FlagExtendedSessionSecurity) {
		return nil, fmt.Errorf("ntlm: the client did not offer Unicode and extended session security (flags %#08x)", uint32(n.Flags))
	}
	if _, err := io.ReadFull(s.cfg.Rand, s.serverChallenge[:]); err != nil {
		return nil, fmt.Errorf("ntlm: server challenge: %w", err)
	}
	s.flags = n.Flags&serverFlags | FlagTargetInfo | FlagTargetTypeDomain
	if n.Flags.Has(FlagRequestTarget) {
		s.flags |= FlagRequestTarget
	}
	ti := AvPairs{
		{AvNbDomainName, utf16le(s.cfg.Domain)},
		{AvNbComputerName, utf16le(s.cfg.Computer)},
		{AvTimestamp, binary.LittleEndian.AppendUint64(nil, filetime(s.cfg.Now()))},
	}
	c := Challenge{Flags: s.flags, TargetName: s.cfg.Domain, ServerChallenge: s.serverChallenge, TargetInfo: ti, Version: DefaultVersion}
	s.negotiate = append([]byte(nil), negotiate...)
	s.challenge = c.Marshal()
	return append([]byte(nil), s.challenge...), nil
}

// User returns DOMAIN\user of the authenticated client.
func (s *Server) User() string { return s.user }

// Accept verifies the AUTHENTICATE_MESSAGE: the NTLMv2 proof against the
// account's password and, when the client's MsvAvFlags announce one, the
// MIC. It returns the server side of the session.
func (s *Server) Accept(authenticate []byte) (*Session, error) {
	if s.challenge == nil {
		return nil, errors.New("ntlm: Accept before Challenge")
	}
	a, err := ParseAuthenticate(authenticate)
	if err != nil {
		return nil, err
	}
	who := a.Domain + `\` + a.User
	pw, ok := s.lookup(who)
	if !ok {
		return nil, fmt.Errorf("%w: unknown account %s", ErrLogonFailure, who)
	}
	if len(a.NtResponse) < 16+28+4 {
		return nil, fmt.Errorf("%w: %s: NtChallengeResponse of %d octets is not NTLMv2", ErrLogonFailure, who, len(a.NtResponse))
	}
	key := NTOWFv2(pw, a.User, a.Domain)
	blob := a.NtResponse[16:]
	proof := hmacMD5(key, s.serverChallenge[:], blob)
	if !hmac.Equal(proof, a.NtResponse[:16]) {
		return nil, fmt.Errorf("%w: %s: the NTLMv2 response does not match", ErrLogonFailure, who)
	}
	ti, err := ParseAvPairs(blob[28:])
	if err != nil {
		return nil, fmt.Errorf("%w: %s: client blob: %w", ErrLogonFailure, who, err)
	}
	flags := a.Flags & s.flags
	if !flags.Has(FlagExtendedSessionSecurity) {
		return nil, fmt.Errorf("ntlm: %s: AUTHENTICATE without extended session security", who)
	}
	base := hmacMD5(key, proof)
	exported := base
	if flags.Has(FlagKeyExch) {
		if len(a.EncryptedSessionKey) != 16 {
			return nil, fmt.Errorf("%w: %s: key exchange without a 16-octet EncryptedRandomSessionKey", ErrLogonFailure, who)
		}
		exported = rc4Once(base, a.EncryptedSessionKey)
	}
	if v, ok := ti.Get(AvFlags); ok && len(v) == 4 && binary.LittleEndian.Uint32(v)&AvFlagMIC != 0 {
		if !a.HasMIC {
			return nil, fmt.Errorf("%w: %s: MsvAvFlags announce a MIC the message has no room for", ErrLogonFailure, who)
		}
		zeroed := bytes.Clone(authenticate)
		clear(zeroed[micOffset : micOffset+16])
		if !hmac.Equal(hmacMD5(exported, s.negotiate, s.challenge, zeroed), a.MIC[:]) {
			return nil, fmt.Errorf("%w: %s: the MIC does not verify", ErrLogonFailure, who)
		}
	}
	s.user = who
	return newSession(flags, exported, false), nil
}

func (s *Server) lookup(who string) (string, bool) {
	for k, v := range s.cfg.Accounts {
		if strings.EqualFold(k, who) {
			return v, true
		}
	}
	return "", false
}
