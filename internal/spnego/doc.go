// Package spnego implements the Simple and Protected GSS-API Negotiation
// Mechanism [RFC 4178] around one inner mechanism (NTLM here): the
// initial token (the [RFC 2743] §3.1 InitialContextToken framing with the
// SPNEGO OID around a NegTokenInit), NegTokenResp, and the mechListMIC
// that protects the mechanism list ([RFC 4178] §5).
//
// DER is written and parsed by hand (der.go): definite lengths only,
// minimal length encodings, low tag numbers, and every length bounded by
// the input, so the parsers can be fuzzed and their octets compared with
// captures.
//
// Initiator and Acceptor are stepping security contexts (the shape
// internal/nettcp/nns drives); after the exchange they delegate
// Wrap/Unwrap to the inner mechanism.
package spnego
