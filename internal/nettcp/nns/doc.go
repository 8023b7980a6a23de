// Package nns implements the .NET NegotiateStream protocol [MS-NNS] as
// net.tcp uses it for Windows transport security (NetTcpBinding with
// SecurityMode.Transport, [MS-WSPOL] §2.2.3.8), in the client role and, for
// the project's own tests, the server role.
//
// A session goes like this on one connection:
//
//  1. MC-NMF preamble records, then an Upgrade Request record for
//     "application/negotiate" and the receiver's Upgrade Response
//     ([MC-NMF] §2.2.3.5, §2.2.3.6, §3.1.4.x): RequestUpgrade and
//     AcceptUpgrade.
//  2. The handshake ([MS-NNS] §2.2.1, §3.1.5.1, §3.2.5.1): handshake
//     messages (a 5-octet header: message id, version 1.0, a big-endian
//     16-bit payload size) carrying the tokens of a security context
//     (SPNEGO, Kerberos or NTLM) until both sides are done, or a
//     HandshakeError: Client and Server.
//  3. The data phase ([MS-NNS] §2.2.2, §3.1.5.2): every octet of the
//     upgraded stream (the rest of the MC-NMF session, starting with the
//     Preamble End record) travels in data messages, a 4-octet
//     little-endian size then the context's wrap token, when the context
//     negotiated integrity or confidentiality; unframed otherwise. Conn is
//     that stream.
//
// The package knows nothing of the mechanism: it drives any
// SecurityContext (see internal/ntlm and internal/spnego). The protection
// level (None, Sign, EncryptAndSign) is what the caller asked the
// mechanism for; after the handshake Client and Server check that the
// context granted it and fail with ErrProtection otherwise.
package nns
