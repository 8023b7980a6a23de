// Package ntlm implements the NT LAN Manager authentication protocol
// version 2 [MS-NLMP] as a connection-oriented GSS mechanism: the three
// messages (NEGOTIATE, CHALLENGE, AUTHENTICATE, §2.2.1), NTLMv2 responses
// (§3.3.2), key exchange (KEY_EXCH, §3.1.5.1.2), the AUTHENTICATE MIC
// (§3.1.5.1.2, MsvAvFlags 0x2) and, with extended session security,
// message signing and sealing (§3.4.3, §3.4.4.2) with the per-direction
// keys of §3.4.5.
//
// Client is the initiator that drivers use; Server is an acceptor for the
// project's own tests (it checks the NTLMv2 proof and the MIC against a
// fixed set of accounts). Both produce a Session once authenticated, whose
// Wrap/Unwrap put the 16-octet signature first and the (sealed) message
// after it, the layout SSPI and NegotiateStream use.
//
// Only NTLMv2 with extended session security is spoken: a peer that does
// not agree to NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY is refused, and
// no LM or NTLMv1 responses are ever produced. Passwords never appear in
// errors.
package ntlm
