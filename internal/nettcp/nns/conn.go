package nns

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrIntegrity is wrapped when a data message does not unwrap (a tampered,
// reordered or forged frame); the stream is unusable afterwards.
var ErrIntegrity = errors.New("nns: data message failed verification")

// Conn is the upgraded stream of [MS-NNS] §3.1.5.2: each Write sends the
// data wrapped in data messages of at most MaxDataPlaintext octets of
// plaintext; Read returns the unwrapped data of the peer's messages. When
// the context negotiated neither integrity nor confidentiality (level
// None) the stream is passed through unframed. One reader and one writer
// may use a Conn concurrently.
type Conn struct {
	rw     io.ReadWriter
	ctx    SecurityContext
	framed bool

	rmu    sync.Mutex
	rbuf   []byte
	rerr   error
	frames int // data messages received

	wmu sync.Mutex
}

func newConn(rw io.ReadWriter, ctx SecurityContext) *Conn {
	return &Conn{rw: rw, ctx: ctx, framed: ctx.Integrity() || ctx.Confidentiality()}
}

// Level returns the protection level the context gives.
func (c *Conn) Level() ProtectionLevel { return granted(c.ctx) }

// Context returns the established security context.
func (c *Conn) Context() SecurityContext { return c.ctx }

// Read reads unwrapped data. A data message that does not verify returns
// an error wrapping ErrIntegrity, and so does every later Read.
func (c *Conn) Read(p []byte) (int, error) {
	if !c.framed {
		return c.rw.Read(p)
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for len(c.rbuf) == 0 {
		if c.rerr != nil {
			return 0, c.rerr
		}
		tok, err := ReadData(c.rw)
		if err != nil {
			if err != io.EOF {
				c.rerr = err
			}
			return 0, err
		}
		c.frames++
		msg, err := c.ctx.Unwrap(tok)
		if err != nil {
			c.rerr = fmt.Errorf("%w: data message %d (%d octets): %w", ErrIntegrity, c.frames, len(tok), err)
			return 0, c.rerr
		}
		c.rbuf = msg
	}
	n := copy(p, c.rbuf)
	c.rbuf = c.rbuf[n:]
	return n, nil
}

// Write wraps p into data messages and writes them in one Write.
func (c *Conn) Write(p []byte) (int, error) {
	if !c.framed {
		return c.rw.Write(p)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	limit := MaxDataPlaintext
	if l, ok := c.ctx.(WrapSizeLimiter); ok {
		limit = min(limit, l.WrapSizeLimit(MaxDataPayload))
	}
	if limit <= 0 {
		return 0, fmt.Errorf("nns: the security context leaves no room for data in a %d-octet data message", MaxDataPayload)
	}
	var out []byte
	for rest := p; len(rest) > 0; {
		chunk := rest[:min(len(rest), limit)]
		rest = rest[len(chunk):]
		tok, err := c.ctx.Wrap(chunk)
		if err != nil {
			return 0, fmt.Errorf("nns: wrapping %d octets: %w", len(chunk), err)
		}
		if out, err = AppendData(out, tok); err != nil {
			return 0, err
		}
	}
	if _, err := c.rw.Write(out); err != nil {
		return 0, fmt.Errorf("nns: writing data messages: %w", err)
	}
	return len(p), nil
}
