package nmf

import (
	"errors"
	"fmt"
	"io"
)

// Preamble holds the properties a preamble carries ([MC-NMF] §2.2.6).
type Preamble struct {
	Major, Minor byte
	Mode         Mode
	Via          string
	// Encoding is the Known Encoding octet; it is meaningless when
	// ContentType is set.
	Encoding byte
	// ContentType is set when the preamble used an Extensible Encoding
	// record instead of a Known Encoding record.
	ContentType string
	// Upgrade is set by ReadPreamble when the initiator sent an Upgrade
	// Request record (ReadPreamble then also returns an error wrapping
	// ErrUpgradeRequested); AppendPreamble ignores it.
	Upgrade string
}

// ErrUpgradeRequested is wrapped by ReadPreamble's error when the
// initiator asked for a stream upgrade (e.g. "application/negotiate" for
// NetTcpBinding with Windows transport security), which this package does
// not implement. The matching fault is UpgradeInvalid.
var ErrUpgradeRequested = errors.New("nmf: stream upgrade requested")

// PreambleError is returned by ReadPreamble when the preamble cannot be
// accepted. Fault names the fault a receiver should send back (§3.1.4.x
// and the Windows behaviour notes <9>-<19>), or is empty when the stream
// broke (then nothing can usefully be sent).
type PreambleError struct {
	Fault string
	Err   error
}

func (e *PreambleError) Error() string {
	if e.Fault == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%v (reply with fault %s)", e.Err, e.Fault)
}

func (e *PreambleError) Unwrap() error { return e.Err }

// AppendPreamble appends the Preamble Message of §2.2.6: Version, Mode,
// Via and the Known (or, when p.ContentType is set, Extensible) Encoding
// record. It does not append the Preamble End record, because Upgrade
// Request records may come first. Values are written as given.
func AppendPreamble(b []byte, p Preamble) ([]byte, error) {
	recs := []Record{VersionRecord{p.Major, p.Minor}, ModeRecord{p.Mode}, ViaRecord{p.Via}}
	if p.ContentType != "" {
		recs = append(recs, ExtensibleEncodingRecord{p.ContentType})
	} else {
		recs = append(recs, KnownEncodingRecord{p.Encoding})
	}
	out := b
	var err error
	for _, r := range recs {
		if out, err = AppendRecord(out, r); err != nil {
			return b, err
		}
	}
	return out, nil
}

// WritePreamble writes the initiator's preamble for a Duplex session
// without upgrades: Version 1.0, Mode Duplex, Via, Known Encoding
// (EncodingBinarySession or EncodingSOAP12UTF8 in practice) and Preamble
// End, in one Write. The initiator then reads the PreambleAck
// (ReadPreambleAck).
func WritePreamble(w io.Writer, via string, encoding byte) error {
	b, err := AppendPreamble(nil, Preamble{Major: 1, Minor: 0, Mode: ModeDuplex, Via: via, Encoding: encoding})
	if err != nil {
		return err
	}
	b = append(b, byte(TypePreambleEnd))
	_, err = w.Write(b)
	return err
}

// ReadPreamble reads a preamble in the receiver role with the default
// Limits. See ReadPreambleLimits.
func ReadPreamble(r io.Reader) (Preamble, error) { return ReadPreambleLimits(r, Limits{}) }

// ReadPreambleLimits reads a preamble in the receiver role (§3.3.4.2):
// Version, Mode, Via, an encoding record and, except in Singleton-Sized
// mode, the Preamble End record. It checks what §3.1.4 lets a receiver
// check without knowing its endpoints: the major version must be 1 (the
// minor version is not checked, as in WCF <3>), the mode must be one of
// the four defined, a Known Encoding must be 0x00-0x08. It does not check
// the Via (the caller decides which Vias it serves) or whether the mode
// and encoding are the ones the endpoint wants.
//
// Errors are *PreambleError values naming the fault to send back; an
// Upgrade Request stops reading, sets Preamble.Upgrade and returns an
// error wrapping ErrUpgradeRequested. A Fault record from the initiator
// returns a *FaultError.
func ReadPreambleLimits(r io.Reader, lim Limits) (Preamble, error) {
	var p Preamble
	next := func(want string) (Record, error) {
		rec, err := ReadRecordLimits(r, lim)
		if err != nil {
			var fe *FaultError
			switch {
			case errors.As(err, &fe):
				return nil, err
			case errors.Is(err, ErrTooLarge) && want == "Via":
				return nil, &PreambleError{Fault: FaultViaTooLong, Err: err}
			case errors.Is(err, ErrTooLarge) && want == "encoding":
				return nil, &PreambleError{Fault: FaultContentTypeTooLong, Err: err}
			case errors.Is(err, ErrMalformed):
				return nil, &PreambleError{Fault: FaultInvalidRecordSequence, Err: err}
			}
			return nil, &PreambleError{Err: err}
		}
		if e, ok := rec.(EndRecord); ok && e.EOF {
			return nil, &PreambleError{Err: fmt.Errorf("nmf: stream ended before the %s record of the preamble: %w", want, io.ErrUnexpectedEOF)}
		}
		return rec, nil
	}
	unexpected := func(rec Record, want string) error {
		return &PreambleError{Fault: FaultInvalidRecordSequence,
			Err: fmt.Errorf("%w: %v where the preamble needs %s", ErrUnexpectedRecord, rec.Type(), want)}
	}

	rec, err := next("Version")
	if err != nil {
		return p, err
	}
	v, ok := rec.(VersionRecord)
	if !ok {
		return p, unexpected(rec, "a Version record")
	}
	p.Major, p.Minor = v.Major, v.Minor
	if v.Major != 1 {
		return p, &PreambleError{Fault: FaultUnsupportedVersion, Err: fmt.Errorf("nmf: unsupported framing version %d.%d (want 1.0)", v.Major, v.Minor)}
	}

	if rec, err = next("Mode"); err != nil {
		return p, err
	}
	m, ok := rec.(ModeRecord)
	if !ok {
		return p, unexpected(rec, "a Mode record")
	}
	p.Mode = m.Mode
	if m.Mode < ModeSingletonUnsized || m.Mode > ModeSingletonSized {
		return p, &PreambleError{Fault: FaultUnsupportedMode, Err: fmt.Errorf("nmf: invalid mode %#02x", byte(m.Mode))}
	}

	if rec, err = next("Via"); err != nil {
		return p, err
	}
	via, ok := rec.(ViaRecord)
	if !ok {
		return p, unexpected(rec, "a Via record")
	}
	p.Via = via.Via

	if rec, err = next("encoding"); err != nil {
		return p, err
	}
	switch e := rec.(type) {
	case KnownEncodingRecord:
		p.Encoding = e.Encoding
		if e.Encoding > EncodingBinarySession {
			return p, &PreambleError{Fault: FaultContentTypeInvalid, Err: fmt.Errorf("nmf: reserved known encoding %#02x", e.Encoding)}
		}
	case ExtensibleEncodingRecord:
		p.ContentType = e.ContentType
	default:
		return p, unexpected(rec, "a Known or Extensible Encoding record")
	}

	if p.Mode == ModeSingletonSized {
		return p, nil
	}
	if rec, err = next("PreambleEnd"); err != nil {
		return p, err
	}
	switch e := rec.(type) {
	case PreambleEndRecord:
		return p, nil
	case UpgradeRequestRecord:
		p.Upgrade = e.Protocol
		if p.Mode == ModeSimplex {
			return p, unexpected(rec, "a PreambleEnd record (Simplex mode has no upgrades)")
		}
		return p, &PreambleError{Fault: FaultUpgradeInvalid, Err: fmt.Errorf("%w: %q", ErrUpgradeRequested, e.Protocol)}
	}
	return p, unexpected(rec, "a PreambleEnd record")
}

// WritePreambleAck writes the receiver's Preamble Ack record (0x0B).
func WritePreambleAck(w io.Writer) error { return WriteRecord(w, PreambleAckRecord{}) }

// ReadPreambleAck reads the receiver's answer to the preamble in the
// initiator role. It returns nil for a Preamble Ack, a *FaultError for a
// Fault record, and an error wrapping io.ErrUnexpectedEOF when the
// receiver closed the stream without answering (Mono does that for
// preambles it rejects).
func ReadPreambleAck(r io.Reader) error {
	rec, err := ReadRecord(r)
	if err != nil {
		return err
	}
	switch e := rec.(type) {
	case PreambleAckRecord:
		return nil
	case EndRecord:
		if e.EOF {
			return fmt.Errorf("nmf: stream closed before the Preamble Ack: %w", io.ErrUnexpectedEOF)
		}
	}
	return fmt.Errorf("%w: %v where a PreambleAck record was expected", ErrUnexpectedRecord, rec.Type())
}

// WriteSizedEnvelope writes one message as a Sized Envelope record
// (payload must not be empty).
func WriteSizedEnvelope(w io.Writer, payload []byte) error {
	return WriteRecord(w, SizedEnvelopeRecord{Payload: payload})
}

// WriteEnd writes an End record (0x07).
func WriteEnd(w io.Writer) error { return WriteRecord(w, EndRecord{}) }

// ReadEnvelope reads the next message of a Duplex (or Simplex) session
// with limits lim: the payload of a Sized Envelope record. It returns
// io.EOF (unwrapped) when the peer sent an End record or closed the
// stream at a record boundary (both end the session; tell them apart with
// ReadRecord if it matters), a *FaultError for a Fault record, and an
// error wrapping ErrUnexpectedRecord for any other record.
func ReadEnvelope(r io.Reader, lim Limits) ([]byte, error) {
	rec, err := ReadRecordLimits(r, lim)
	if err != nil {
		return nil, err
	}
	switch e := rec.(type) {
	case SizedEnvelopeRecord:
		return e.Payload, nil
	case EndRecord:
		return nil, io.EOF
	}
	return nil, fmt.Errorf("%w: %v where a SizedEnvelope record was expected", ErrUnexpectedRecord, rec.Type())
}
