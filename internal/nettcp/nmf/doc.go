// Package nmf implements the .NET Message Framing protocol [MC-NMF] as
// used by net.tcp [MS-NMFTB], for both the initiator (client) and the
// receiver (server) role.
//
// The package is framing only: it reads and writes records over an
// io.Reader / io.Writer (a net.Conn in practice) and knows nothing about
// the envelope encoding carried inside Sized Envelope records (see
// package nbfx for MC-NBFSE binary envelopes; known encoding 0x03 carries
// UTF-8 text envelopes that internal/soap parses directly).
//
// The pieces:
//
//   - AppendMB32 / DecodeMB32 / ReadMB32: the record size encoding of
//     [MC-NMF] §2.2.2 (a 7-bit little-endian varint of at most five
//     octets, values up to 0x7FFFFFFF). Decoding rejects truncated,
//     overlong (more than 31 bits) and non-minimal encodings.
//   - Record and its concrete types (VersionRecord, ModeRecord, ViaRecord,
//     KnownEncodingRecord, ExtensibleEncodingRecord,
//     UnsizedEnvelopeRecord, SizedEnvelopeRecord, EndRecord, FaultRecord,
//     UpgradeRequestRecord, UpgradeResponseRecord, PreambleAckRecord,
//     PreambleEndRecord), with AppendRecord / WriteRecord / ReadRecord.
//     ReadRecord reads exactly one record and never reads ahead, so it can
//     be used on a raw connection; every variable size is bounded by
//     Limits.
//   - WritePreamble / ReadPreamble / WritePreambleAck / ReadPreambleAck:
//     the preamble exchange of §3.2.4.2 and §3.3.4.2 (no upgrades).
//   - WriteSizedEnvelope / ReadEnvelope / WriteEnd / WriteFault: the
//     message phase. A clean end of stream at a record boundary is
//     accepted in place of an End record (Mono's WCF server never sends
//     one: it closes the socket on receiving End).
//   - FaultError: a received Fault record, naming the fault.
package nmf
