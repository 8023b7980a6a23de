package nns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Config configures a handshake.
type Config struct {
	// Level is the protection level required of the established context
	// (the caller asks the mechanism for it; the handshake checks it).
	Level ProtectionLevel
}

// HandshakeErrorCode is the HRESULT a HandshakeError message carries
// (8 octets, big-endian, as .NET's NegotiateStream writes it).
type HandshakeErrorCode uint32

// Codes a HandshakeError commonly carries (SSPI SECURITY_STATUS values).
const (
	SecELogonDenied          HandshakeErrorCode = 0x8009030C
	SecEInvalidToken         HandshakeErrorCode = 0x80090308
	SecEUnknownCredentials   HandshakeErrorCode = 0x8009030D
	SecENoCredentials        HandshakeErrorCode = 0x8009030E
	SecENoAuthority          HandshakeErrorCode = 0x80090311
	SecEUnsupportedFunction  HandshakeErrorCode = 0x80090302
	SecEMessageAltered       HandshakeErrorCode = 0x8009030F
	SecEQOPNotSupported      HandshakeErrorCode = 0x8009030A
	SecEWrongPrincipal       HandshakeErrorCode = 0x80090322
	SecETargetUnknown        HandshakeErrorCode = 0x80090303
	SecEInternalError        HandshakeErrorCode = 0x80090304
	SecEIncompleteCredential HandshakeErrorCode = 0x80090320
)

var codeNames = map[HandshakeErrorCode]string{
	SecELogonDenied:          "SEC_E_LOGON_DENIED (wrong user name or password)",
	SecEInvalidToken:         "SEC_E_INVALID_TOKEN",
	SecEUnknownCredentials:   "SEC_E_UNKNOWN_CREDENTIALS",
	SecENoCredentials:        "SEC_E_NO_CREDENTIALS",
	SecENoAuthority:          "SEC_E_NO_AUTHENTICATING_AUTHORITY",
	SecEUnsupportedFunction:  "SEC_E_UNSUPPORTED_FUNCTION",
	SecEMessageAltered:       "SEC_E_MESSAGE_ALTERED",
	SecEQOPNotSupported:      "SEC_E_QOP_NOT_SUPPORTED",
	SecEWrongPrincipal:       "SEC_E_WRONG_PRINCIPAL",
	SecETargetUnknown:        "SEC_E_TARGET_UNKNOWN",
	SecEInternalError:        "SEC_E_INTERNAL_ERROR",
	SecEIncompleteCredential: "SEC_E_INCOMPLETE_CREDENTIALS",
}

func (c HandshakeErrorCode) String() string {
	if n, ok := codeNames[c]; ok {
		return fmt.Sprintf("%#08x %s", uint32(c), n)
	}
	return fmt.Sprintf("%#08x", uint32(c))
}

// ErrRejected is matched (errors.Is) by every *RejectedError.
var ErrRejected = errors.New("nns: authentication rejected by the peer")

// RejectedError is a HandshakeError message received from the peer.
type RejectedError struct {
	Code HandshakeErrorCode
	Raw  []byte // the payload as received
}

func (e *RejectedError) Error() string {
	if e.Code == SecEQOPNotSupported {
		return fmt.Sprintf("nns: the server refused the protection level the client negotiated: %v", e.Code)
	}
	if len(e.Raw) == 8 || len(e.Raw) == 4 {
		return fmt.Sprintf("nns: the server rejected the authentication: %v", e.Code)
	}
	return fmt.Sprintf("nns: the server rejected the authentication (HandshakeError payload % x)", e.Raw)
}

// Is makes errors.Is(err, ErrRejected) hold.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

func parseRejected(p []byte) *RejectedError {
	e := &RejectedError{Raw: p}
	switch len(p) {
	case 8:
		e.Code = HandshakeErrorCode(binary.BigEndian.Uint64(p))
	case 4:
		e.Code = HandshakeErrorCode(binary.BigEndian.Uint32(p))
	}
	return e
}

func writeHandshake(w io.Writer, id MessageID, payload []byte) error {
	b, err := AppendHandshake(nil, Handshake{ID: id, Payload: payload})
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("nns: writing %v: %w", id, err)
	}
	return nil
}

// WriteHandshakeError sends a HandshakeError with code (8 octets,
// big-endian).
func WriteHandshakeError(w io.Writer, code HandshakeErrorCode) error {
	return writeHandshake(w, HandshakeError, binary.BigEndian.AppendUint64(nil, uint64(code)))
}

// maxHandshakeRounds bounds how many messages a handshake exchanges.
const maxHandshakeRounds = 16

// Client runs the initiator's handshake ([MS-NNS] §3.1.5.1) on rw, which
// must be positioned just after the MC-NMF Upgrade Response: it sends the
// context's tokens in HandshakeInProgress messages (HandshakeDone once the
// context is established), feeds the server's tokens back, and finishes
// when the context is established and the server has sent HandshakeDone.
// A HandshakeError from the server returns a *RejectedError; a context
// that does not give cfg.Level returns an error wrapping ErrProtection.
// On success it returns the upgraded stream.
func Client(rw io.ReadWriter, ctx SecurityContext, cfg Config) (*Conn, error) {
	out, done, err := ctx.Step(nil)
	if err != nil {
		return nil, fmt.Errorf("nns: client: first token: %w", err)
	}
	remoteDone := false
	for round := 0; ; round++ {
		if round == maxHandshakeRounds {
			return nil, fmt.Errorf("nns: client: %w: no end after %d handshake messages", ErrMalformed, round)
		}
		if len(out) > 0 || !done {
			id := HandshakeInProgress
			if done {
				id = HandshakeDone
			}
			if err := writeHandshake(rw, id, out); err != nil {
				return nil, err
			}
		}
		if done && remoteDone {
			break
		}
		in, err := ReadHandshake(rw)
		if err != nil {
			return nil, fmt.Errorf("nns: client: %w", err)
		}
		switch in.ID {
		case HandshakeError:
			return nil, parseRejected(in.Payload)
		case HandshakeDone:
			remoteDone = true
		}
		out = nil
		if len(in.Payload) > 0 || !done {
			var stepDone bool
			if out, stepDone, err = ctx.Step(in.Payload); err != nil {
				return nil, fmt.Errorf("nns: client: processing the server's %v token: %w", in.ID, err)
			}
			done = done || stepDone
		}
		if remoteDone && !done {
			return nil, fmt.Errorf("nns: client: %w: the server sent HandshakeDone but the context is not established", ErrMalformed)
		}
	}
	if err := checkLevel(ctx, cfg.Level, "the server"); err != nil {
		return nil, err
	}
	return newConn(rw, ctx), nil
}

// Server runs the acceptor's handshake ([MS-NNS] §3.2.5.1): it feeds the
// client's tokens to the context and answers with HandshakeInProgress, or
// HandshakeDone (with the final token, possibly empty) once the context
// is established. A context error is answered with HandshakeError
// SEC_E_LOGON_DENIED, a context that does not give cfg.Level with
// HandshakeError SEC_E_QOP_NOT_SUPPORTED; both are returned.
func Server(rw io.ReadWriter, ctx SecurityContext, cfg Config) (*Conn, error) {
	for round := 0; ; round++ {
		if round == maxHandshakeRounds {
			return nil, fmt.Errorf("nns: server: %w: no end after %d handshake messages", ErrMalformed, round)
		}
		in, err := ReadHandshake(rw)
		if err != nil {
			return nil, fmt.Errorf("nns: server: %w", err)
		}
		if in.ID == HandshakeError {
			return nil, fmt.Errorf("nns: server: the client sent %w", parseRejected(in.Payload))
		}
		out, done, err := ctx.Step(in.Payload)
		if err != nil {
			_ = WriteHandshakeError(rw, SecELogonDenied)
			return nil, fmt.Errorf("nns: server: %w", err)
		}
		if !done {
			if in.ID == HandshakeDone && len(out) == 0 {
				_ = WriteHandshakeError(rw, SecEInvalidToken)
				return nil, fmt.Errorf("nns: server: the client sent HandshakeDone but the context is not established")
			}
			if err := writeHandshake(rw, HandshakeInProgress, out); err != nil {
				return nil, err
			}
			continue
		}
		if err := checkLevel(ctx, cfg.Level, "the client"); err != nil {
			_ = WriteHandshakeError(rw, SecEQOPNotSupported)
			return nil, err
		}
		if err := writeHandshake(rw, HandshakeDone, out); err != nil {
			return nil, err
		}
		return newConn(rw, ctx), nil
	}
}
