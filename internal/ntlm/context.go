package ntlm

import (
	"errors"
	"fmt"
)

// ClientContext drives a Client as a token-stepping security context (the
// shape of GSS_Init_sec_context): the first Step returns NEGOTIATE, the
// second consumes CHALLENGE and returns AUTHENTICATE and completes.
type ClientContext struct {
	c    *Client
	step int
}

// NewClientContext returns a context for cfg.
func NewClientContext(cfg ClientConfig) *ClientContext {
	return &ClientContext{c: NewClient(cfg)}
}

// Step returns the next token; done is true once AUTHENTICATE is built.
func (x *ClientContext) Step(in []byte) (out []byte, done bool, err error) {
	switch x.step {
	case 0:
		x.step++
		return x.c.Negotiate(), false, nil
	case 1:
		if len(in) == 0 {
			return nil, false, errors.New("ntlm: expected a CHALLENGE token, got none")
		}
		out, err := x.c.Authenticate(in)
		if err != nil {
			return nil, false, err
		}
		x.step++
		return out, true, nil
	}
	return nil, true, fmt.Errorf("ntlm: context already established")
}

// Session returns the session once established.
func (x *ClientContext) Session() *Session { return x.c.Session() }

// Negotiated returns the negotiated flags (zero before completion).
func (x *ClientContext) Negotiated() Flags {
	if s := x.c.Session(); s != nil {
		return s.Flags()
	}
	return 0
}

// ServerContext drives a Server as a token-stepping acceptor (the shape of
// GSS_Accept_sec_context): NEGOTIATE in, CHALLENGE out; AUTHENTICATE in,
// no token out and complete.
type ServerContext struct {
	s       *Server
	step    int
	session *Session
}

// NewServerContext returns an acceptor for cfg.
func NewServerContext(cfg ServerConfig) *ServerContext {
	return &ServerContext{s: NewServer(cfg)}
}

// Step consumes the client's token.
func (x *ServerContext) Step(in []byte) (out []byte, done bool, err error) {
	switch x.step {
	case 0:
		out, err := x.s.Challenge(in)
		if err != nil {
			return nil, false, err
		}
		x.step++
		return out, false, nil
	case 1:
		sess, err := x.s.Accept(in)
		if err != nil {
			return nil, false, err
		}
		x.step++
		x.session = sess
		return nil, true, nil
	}
	return nil, true, fmt.Errorf("ntlm: context already established")
}

// Session returns the session once established.
func (x *ServerContext) Session() *Session { return x.session }

// User returns DOMAIN\user once established.
func (x *ServerContext) User() string { return x.s.User() }

// errNoSession is returned by Wrap and Unwrap before the context is
// established.
var errNoSession = errors.New("ntlm: the security context is not established")

// Wrap protects msg (see Session.Wrap).
func (x *ClientContext) Wrap(msg []byte) ([]byte, error) { return wrap(x.Session(), msg) }

// Unwrap reverses the server's Wrap (see Session.Unwrap).
func (x *ClientContext) Unwrap(tok []byte) ([]byte, error) { return unwrap(x.Session(), tok) }

// GetMIC signs msg (see Session.GetMIC).
func (x *ClientContext) GetMIC(msg []byte) ([]byte, error) { return getMIC(x.Session(), msg) }

// VerifyMIC checks the server's signature over msg.
func (x *ClientContext) VerifyMIC(msg, sig []byte) error { return verifyMIC(x.Session(), msg, sig) }

// Integrity reports whether signing was negotiated.
func (x *ClientContext) Integrity() bool { return x.Session() != nil && x.Session().Integrity() }

// Confidentiality reports whether sealing was negotiated.
func (x *ClientContext) Confidentiality() bool {
	return x.Session() != nil && x.Session().Confidentiality()
}

// Wrap protects msg (see Session.Wrap).
func (x *ServerContext) Wrap(msg []byte) ([]byte, error) { return wrap(x.session, msg) }

// Unwrap reverses the client's Wrap (see Session.Unwrap).
func (x *ServerContext) Unwrap(tok []byte) ([]byte, error) { return unwrap(x.session, tok) }

// GetMIC signs msg (see Session.GetMIC).
func (x *ServerContext) GetMIC(msg []byte) ([]byte, error) { return getMIC(x.session, msg) }

// VerifyMIC checks the client's signature over msg.
func (x *ServerContext) VerifyMIC(msg, sig []byte) error { return verifyMIC(x.session, msg, sig) }

// Integrity reports whether signing was negotiated.
func (x *ServerContext) Integrity() bool { return x.session != nil && x.session.Integrity() }

// Confidentiality reports whether sealing was negotiated.
func (x *ServerContext) Confidentiality() bool {
	return x.session != nil && x.session.Confidentiality()
}

func wrap(s *Session, msg []byte) ([]byte, error) {
	if s == nil {
		return nil, errNoSession
	}
	return s.Wrap(msg), nil
}

func unwrap(s *Session, tok []byte) ([]byte, error) {
	if s == nil {
		return nil, errNoSession
	}
	return s.Unwrap(tok)
}

func getMIC(s *Session, msg []byte) ([]byte, error) {
	if s == nil {
		return nil, errNoSession
	}
	return s.GetMIC(msg), nil
}

func verifyMIC(s *Session, msg, sig []byte) error {
	if s == nil {
		return errNoSession
	}
	return s.VerifyMIC(msg, sig)
}

// ResetCrypto re-keys the session's RC4 handles (see
// Session.ResetCrypto); SPNEGO calls it after the mechListMIC.
func (x *ClientContext) ResetCrypto() {
	if s := x.Session(); s != nil {
		s.ResetCrypto()
	}
}

// ResetCrypto re-keys the session's RC4 handles.
func (x *ServerContext) ResetCrypto() {
	if x.session != nil {
		x.session.ResetCrypto()
	}
}
