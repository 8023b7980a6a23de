// Package nbfx implements the .NET Binary Format for XML [MC-NBFX] with
// the SOAP static dictionary of [MC-NBFS] and the in-band session
// dictionary of [MC-NBFSE]: the envelope encoding WCF's NetTcpBinding
// uses (MC-NMF known encoding 0x08).
//
// Decoding turns binary XML into equivalent textual XML (UTF-8, no XML
// declaration), so that internal/soap.Parse parses it into the shared
// Envelope model; encoding turns textual XML (such as soap.Envelope's
// Marshal output) into binary XML. Each direction of a net.tcp session has
// its own string table, which grows across the messages of the session:
// use one Session to Decode what the peer sends and another to Encode what
// is sent to it.
//
// Records (0x01-0x77 structure, 0x80-0xBD text; [MC-NBFX] §2.2):
//
//   - Decode understands all of them: EndElement, Comment, Array, every
//     attribute form (Short/plain/Dictionary/Prefix A-Z, Prefix
//     Dictionary A-Z, the four xmlns forms), every element form (Short,
//     plain, ShortDictionary, Dictionary, PrefixDictionary A-Z, Prefix
//     A-Z), and every text record with and without end element: Zero, One,
//     False, True, Int8/16/32/64, UInt64, Float, Double, Decimal,
//     DateTime, TimeSpan, Chars8/16/32, Bytes8/16/32 (base64), UnicodeChars
//     8/16/32, StartList/EndList, Empty, Dictionary, UniqueId, Guid, Bool
//     and QNameDictionary.
//   - Encode writes what WCF writes for the XML it is given: static
//     dictionary strings as dictionary references, other element and
//     attribute names and namespace URIs through the session dictionary
//     (added on first use, referenced by id afterwards), the single-letter
//     prefix record forms, text followed by an end tag as the
//     WithEndElement variant, "0"/"1"/"true"/"false" and canonical
//     integers as Zero/One/Bool/Int records, canonical "urn:uuid:" ids as
//     UniqueId, and everything else as Chars8/16/32. Encode never writes
//     Array, List, Bytes, Float, Double, Decimal, DateTime or TimeSpan
//     records: textual XML does not say a value has such a type.
//
// Decode(Encode(x)) gives back x, byte for byte, for XML written the way
// soap.Envelope.Marshal writes it (double-quoted attributes, text escaped
// as encoding/xml.EscapeText escapes it, empty elements as <x/>, no
// declaration); Encode(Decode(b)) gives back b for binary XML that uses
// the forms Encode chooses.
//
// Both directions are bounded (Limits: nesting depth, size of the XML,
// size of the session table) and return errors, never panic, on any
// input. Errors wrap ErrMalformed, ErrTooDeep, ErrTooLarge or
// ErrNotEncodable.
package nbfx
