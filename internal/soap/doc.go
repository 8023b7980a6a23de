// Package soap is specgate's SOAP 1.2 + WS-Addressing 1.0 codec and HTTP
// transport for the MS-IPAMM2 asynchronous provisioning and schema
// conversion port types.
//
// It builds, sends, receives and parses messages and knows nothing of the
// state machines: deciding whether a message was allowed is the job of the
// models and the runner. Everything here is observation-preserving: a
// malformed message is reported with its raw bytes and a one-line error,
// never silently repaired, and callers can build malformed messages on
// purpose (Marshal returns plain bytes; RawEnvelope and Client.Post take
// arbitrary bytes).
//
// The pieces:
//
//   - Envelope, Header, Body, Marshal, Parse: the envelope model and codec.
//     Parse enforces Limits (size and depth) while tokenizing, so memory
//     stays bounded whatever a peer sends.
//   - Fault, ParseFault, BuildFault, IpamException: SOAP 1.2 faults and the
//     MS-IPAMM2 IpamException carried in fault details and in
//     Notify*Complete.exception.
//   - Action constants, LookupAction, ClassifyCallback, the body builders and
//     ParseCallbackBody / ParseBoolResponse: the IPAM messages.
//   - Client: request/response (Call) and one-way (Send) over HTTP POST.
//   - CallbackHost: the harness-side endpoint the SUT POSTs callbacks to, one
//     unguessable URL per session, recording every message in order.
//
// The wire contract for vendors is docs/ipam-soap-binding.md.
package soap
