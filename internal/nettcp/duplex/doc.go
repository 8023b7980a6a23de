// Package duplex is the net.tcp binding of the IPAM harness (MS-IPAMM2
// §2.1): a client of [MC-NMF] duplex sessions that implements
// runner.IPAMTransport.
//
// Each IPAM client session (OpenSession) is one TCP connection:
//
//   - the initiator preamble (Version 1.0, Mode Duplex, Via, Known
//     Encoding 0x08 binary-session by default or 0x03 SOAP 1.2 UTF-8
//     text, Preamble End), then the receiver's Preamble Ack;
//   - requests as Sized Envelope records, with wsa:To set to the target
//     URI when the envelope has none and a fresh wsa:MessageID when a
//     request/response call has none; one nbfx.Session per direction
//     carries the in-band dictionary of the binary encoding;
//   - a reader goroutine that decodes what the server sends and routes
//     it: a message whose wsa:RelatesTo names a pending Call is that
//     call's response; everything else is a callback of the session,
//     recorded in arrival order as soap.Event{Kind: soap.EventCallback}
//     (or soap.EventMalformed when it does not decode or parse). A SOAP
//     fault without RelatesTo goes to the oldest pending Call, and a
//     message that does not parse but mentions a pending Call's
//     MessageID is that call's (malformed) response;
//   - CloseSession sends the End record and closes the socket, as WCF's
//     client does; the peer may answer with End or just close (Mono's WCF
//     never sends End), both are accepted. Options.CloseWait waits for the
//     peer to end the connection first, and then a little longer: Mono's
//     WCF listener loses a connection that arrives while it is still
//     discarding the previous one (interop/mono/README.md).
//
// Callbacks are matched by connection, not by wsa:ReplyTo, so the
// session's ReplyTo is the WS-Addressing anonymous URI (as WCF's
// DuplexChannelFactory sends it) unless Options.ReplyTo says otherwise.
// Session-less calls (session "", the IIpamServer queries) use a
// connection of their own, kept idle for the next such call
// (Options.IdleConns); what arrives on it besides the response is
// recorded as stray. Every connection is ended with the End record. A
// server that throttles sessions (WCF's MaxConcurrentSessions: no
// Preamble Ack while it is at its limit) makes the transport end the
// connections it can spare (idle ones, sessions marked with Retire) and
// ride session-less calls on an open session; Throttle and
// ThrottleReport say how often (throttle.go).
//
// Every write has a deadline (the call's context, bounded by
// Options.Timeout); a read has one from its first octet on (a record must
// arrive whole within Options.Timeout), while a session may stay idle
// between records for as long as it is open (Options.IdleTimeout bounds
// that when set). Framing faults are reported as *nmf.FaultError errors
// and as a malformed event on the session. Options.HexTranscript appends
// a hex dump of each received frame to the Raw field of events and
// responses; Options.OnFrame sees every frame sent or received.
//
// Responses have no HTTP status: Call reports 200 for a response and 500
// for a SOAP fault, Send 202 with no envelope (a one-way message has no
// reply on net.tcp).
package duplex
