package duplex

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/specgate/specgate/internal/nettcp/nbfx"
	"github.com/specgate/specgate/internal/nettcp/nmf"
)

// Codec turns the textual SOAP envelopes of one connection into Sized
// Envelope payloads and back, for one Known Encoding: EncodingBinary
// (MC-NBFSE, 0x08) keeps one nbfx.Session per direction; EncodingText
// (0x03) is UTF-8 text. A Codec is not safe for concurrent use of the same
// direction: serialise Encode calls (in wire order) and Decode calls.
type Codec struct {
	encoding byte
	decl     bool
	enc, dec *nbfx.Session
}

// The encodings this package speaks.
const (
	EncodingBinary = nmf.EncodingBinarySession
	EncodingText   = nmf.EncodingSOAP12UTF8
)

// xmlDecl is what WCF's text encoder puts before every envelope.
const xmlDecl = "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>"

// NewCodec returns a codec for encoding (EncodingBinary or EncodingText).
// textDecl makes text envelopes start with a BOM and an XML declaration,
// as WCF writes them.
func NewCodec(encoding byte, lim nbfx.Limits, textDecl bool) (*Codec, error) {
	switch encoding {
	case EncodingBinary:
		return &Codec{encoding: encoding, enc: nbfx.NewSession(lim), dec: nbfx.NewSession(lim)}, nil
	case EncodingText:
		return &Codec{encoding: encoding, decl: textDecl}, nil
	}
	return nil, fmt.Errorf("duplex: unsupported known encoding %#02x (want 0x03 text or 0x08 binary session)", encoding)
}

// Encoding returns the Known Encoding octet.
func (c *Codec) Encoding() byte { return c.encoding }

// ContentType names the encoding the way WCF's encoders do.
func (c *Codec) ContentType() string {
	if c.encoding == EncodingBinary {
		return "application/soap+msbinsession1"
	}
	return "application/soap+xml; charset=utf-8"
}

// Encode turns textual XML into a payload. On error nothing changed.
func (c *Codec) Encode(xmlText []byte) ([]byte, error) {
	if c.encoding == EncodingBinary {
		return c.enc.Encode(xmlText)
	}
	if c.decl && !bytes.HasPrefix(xmlText, []byte("\xef\xbb\xbf")) && !bytes.HasPrefix(xmlText, []byte("<?xml")) {
		return append([]byte(xmlDecl), xmlText...), nil
	}
	return xmlText, nil
}

// Decode turns a payload into textual XML (text payloads are returned as
// they are; soap.Parse accepts the BOM and the declaration).
func (c *Codec) Decode(payload []byte) ([]byte, error) {
	if c.encoding == EncodingBinary {
		return c.dec.Decode(payload)
	}
	return payload, nil
}

// Direction of a Frame.
type Direction string

// Directions.
const (
	Sent     Direction = "sent"
	Received Direction = "received"
)

// Frame is one unit of bytes on the wire: the preamble, the Preamble Ack,
// one record.
type Frame struct {
	// Session is the session id ("" for a session-less connection).
	Session string
	Dir     Direction
	// What names the frame: "preamble", "PreambleAckRecord",
	// "SizedEnvelopeRecord", "EndRecord", …
	What  string
	Bytes []byte
	Time  time.Time
}

// Hex renders the frame as a hex dump headed by one line.
func (f Frame) Hex() string {
	return fmt.Sprintf("[net.tcp %s %s, %d bytes]\n%s", f.Dir, f.What, len(f.Bytes), hex.Dump(f.Bytes))
}

// RecordReader reads records from a connection (buffered), with a read
// deadline that starts at a record's first octet, keeping the bytes of the
// last record for transcripts when capturing. It serves both roles (the
// reference server in fixtures/ipamtcp uses it too).
type RecordReader struct {
	conn    net.Conn
	br      *bufio.Reader
	lim     nmf.Limits
	timeout time.Duration // per record, from its first octet
	idle    time.Duration // before the first octet; 0 = no limit
	capture bool
	buf     []byte
}

// NewRecordReader reads records from c: timeout bounds a record from its
// first octet, idle the wait for a first octet (0: no bound); capture
// keeps the raw bytes.
func NewRecordReader(c net.Conn, lim nmf.Limits, timeout, idle time.Duration, capture bool) *RecordReader {
	return &RecordReader{conn: c, br: bufio.NewReaderSize(c, 32<<10), lim: lim, timeout: timeout, idle: idle, capture: capture}
}

// Reader returns the buffered reader under the records (for
// nmf.ReadPreambleLimits); the caller sets the connection's read
// deadline.
func (r *RecordReader) Reader() io.Reader { return r.br }

// teeReader feeds nmf.ReadRecordLimits and records what it consumed.
type teeReader struct{ r *RecordReader }

func (t teeReader) Read(p []byte) (int, error) {
	n, err := t.r.br.Read(p)
	if t.r.capture && n > 0 {
		t.r.buf = append(t.r.buf, p[:n]...)
	}
	return n, err
}

// next reads one record; raw is its bytes when capturing. With a zero
// deadline the wait for the first octet is bounded by idle (unbounded when
// idle is 0) and the rest of the record by timeout; otherwise deadline
// bounds the whole record.
func (r *RecordReader) Next(deadline time.Time) (rec nmf.Record, raw []byte, err error) {
	r.buf = r.buf[:0]
	switch {
	case !deadline.IsZero():
		_ = r.conn.SetReadDeadline(deadline)
	case r.idle > 0:
		_ = r.conn.SetReadDeadline(time.Now().Add(r.idle))
	default:
		_ = r.conn.SetReadDeadline(time.Time{})
	}
	if _, err := r.br.Peek(1); err != nil {
		if err == io.EOF {
			return nmf.EndRecord{EOF: true}, nil, nil
		}
		return nil, nil, err
	}
	if deadline.IsZero() && r.timeout > 0 {
		_ = r.conn.SetReadDeadline(time.Now().Add(r.timeout))
	}
	rec, err = nmf.ReadRecordLimits(teeReader{r}, r.lim)
	if r.capture {
		raw = append([]byte(nil), r.buf...)
	}
	return rec, raw, err
}

// recordName names a record for transcripts.
func recordName(rec nmf.Record) string {
	if rec == nil {
		return "FaultRecord"
	}
	if e, ok := rec.(nmf.EndRecord); ok && e.EOF {
		return "end of stream"
	}
	return rec.Type().String()
}
