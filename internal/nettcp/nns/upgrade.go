package nns

import (
	"errors"
	"fmt"
	"io"

	"github.com/specgate/specgate/internal/nettcp/nmf"
)

// RequestUpgrade writes the initiator's preamble records (Version 1.0,
// Mode Duplex, Via, Known Encoding) and an Upgrade Request for
// "application/negotiate" in one Write, then reads the receiver's Upgrade
// Response ([MC-NMF] §2.2.3.5, §2.2.3.6, §3.1.4.x). A Fault record comes
// back as the *nmf.FaultError.
func RequestUpgrade(rw io.ReadWriter, via string, encoding byte) error {
	b, err := nmf.AppendPreamble(nil, nmf.Preamble{Major: 1, Minor: 0, Mode: nmf.ModeDuplex, Via: via, Encoding: encoding})
	if err != nil {
		return fmt.Errorf("nns: preamble: %w", err)
	}
	if b, err = nmf.AppendRecord(b, nmf.UpgradeRequestRecord{Protocol: nmf.UpgradeNegotiate}); err != nil {
		return fmt.Errorf("nns: upgrade request: %w", err)
	}
	if _, err := rw.Write(b); err != nil {
		return fmt.Errorf("nns: writing the preamble and upgrade request: %w", err)
	}
	rec, err := nmf.ReadRecord(rw)
	if err != nil {
		return fmt.Errorf("nns: waiting for the Upgrade Response: %w", err)
	}
	if _, ok := rec.(nmf.UpgradeResponseRecord); !ok {
		return fmt.Errorf("nns: %v where the Upgrade Response was expected: %w", rec.Type(), nmf.ErrUnexpectedRecord)
	}
	return nil
}

// AcceptUpgrade reads the initiator's preamble in the receiver role up to
// its Upgrade Request, requires "application/negotiate" and answers with
// the Upgrade Response. Other protocols are refused with the
// UpgradeInvalid fault.
func AcceptUpgrade(rw io.ReadWriter) (nmf.Preamble, error) {
	p, err := nmf.ReadPreamble(rw)
	if err == nil {
		return p, errors.New("nns: the initiator ended its preamble without an Upgrade Request")
	}
	if !errors.Is(err, nmf.ErrUpgradeRequested) {
		return p, fmt.Errorf("nns: reading the preamble: %w", err)
	}
	if p.Upgrade != nmf.UpgradeNegotiate {
		_ = nmf.WriteFault(rw, nmf.FaultUpgradeInvalid)
		return p, fmt.Errorf("nns: upgrade %q refused (only %q)", p.Upgrade, nmf.UpgradeNegotiate)
	}
	if err := nmf.WriteRecord(rw, nmf.UpgradeResponseRecord{}); err != nil {
		return p, fmt.Errorf("nns: writing the Upgrade Response: %w", err)
	}
	return p, nil
}

// Open runs the initiator's whole secure preamble on rw: RequestUpgrade,
// the handshake with ctx (Client), then the Preamble End record inside the
// upgraded stream and the receiver's Preamble Ack. The returned Conn
// carries the MC-NMF message phase (sized envelopes, End).
func Open(rw io.ReadWriter, via string, encoding byte, ctx SecurityContext, cfg Config) (*Conn, error) {
	if err := RequestUpgrade(rw, via, encoding); err != nil {
		return nil, err
	}
	c, err := Client(rw, ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := nmf.WriteRecord(c, nmf.PreambleEndRecord{}); err != nil {
		return nil, fmt.Errorf("nns: Preamble End: %w", err)
	}
	if err := nmf.ReadPreambleAck(c); err != nil {
		return nil, fmt.Errorf("nns: waiting for the Preamble Ack inside the upgraded stream: %w", err)
	}
	return c, nil
}

// Accept runs the receiver's side of Open: AcceptUpgrade, the handshake
// with ctx (Server), the Preamble End record inside the upgraded stream
// and the Preamble Ack.
func Accept(rw io.ReadWriter, ctx SecurityContext, cfg Config) (*Conn, nmf.Preamble, error) {
	p, err := AcceptUpgrade(rw)
	if err != nil {
		return nil, p, err
	}
	c, err := Server(rw, ctx, cfg)
	if err != nil {
		return nil, p, err
	}
	rec, err := nmf.ReadRecord(c)
	if err != nil {
		return nil, p, fmt.Errorf("nns: waiting for the Preamble End inside the upgraded stream: %w", err)
	}
	if _, ok := rec.(nmf.PreambleEndRecord); !ok {
		return nil, p, fmt.Errorf("nns: %v where the Preamble End was expected: %w", rec.Type(), nmf.ErrUnexpectedRecord)
	}
	if err := nmf.WritePreambleAck(c); err != nil {
		return nil, p, fmt.Errorf("nns: Preamble Ack: %w", err)
	}
	return c, p, nil
}
