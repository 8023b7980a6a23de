package nns

// SecurityContext is a GSS-style security context as the handshake and
// the data phase need it. Mechanisms (internal/ntlm, internal/spnego)
// implement it for the initiator and the acceptor.
type SecurityContext interface {
	// Step consumes the peer's token (nil on an initiator's first call)
	// and returns the token to send (possibly empty) and whether the
	// context is now established.
	Step(in []byte) (out []byte, done bool, err error)
	// Wrap protects one message for the peer (signed, and sealed when
	// Confidentiality holds).
	Wrap(msg []byte) ([]byte, error)
	// Unwrap verifies (and unseals) one token from the peer.
	Unwrap(token []byte) ([]byte, error)
	// Integrity and Confidentiality report what the established context
	// negotiated.
	Integrity() bool
	Confidentiality() bool
}

// WrapSizeLimiter is implemented by contexts whose wrap tokens add more
// than MaxDataPayload-MaxDataPlaintext octets (Kerberos adds 60 with AES):
// WrapSizeLimit returns the largest message whose wrap token fits in
// maxToken octets (GSS_Wrap_size_limit, [RFC 2743] §2.2.7). Conn.Write
// then cuts its plaintext to that size.
type WrapSizeLimiter interface {
	WrapSizeLimit(maxToken int) int
}
