package nns

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/specgate/specgate/internal/nettcp/nmf"
)

// Dialer opens net.tcp connections with Windows transport security, for
// use as the Dial hook of an MC-NMF client that writes its own preamble
// (internal/nettcp/duplex): DialContext dials TCP, sends the preamble
// records and the Upgrade Request itself, runs the handshake, and returns
// a net.Conn whose traffic goes through the upgraded stream. The client's
// first write must be the same preamble (Version, Mode Duplex, Via, Known
// Encoding) followed by Preamble End: the records already sent before the
// upgrade are dropped and only the rest travels inside it, as [MC-NMF]
// §3.1.4 orders them.
type Dialer struct {
	// Dial dials TCP; net.Dialer when nil.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Via and Encoding are the preamble's, exactly as the client writes
	// them.
	Via      string
	Encoding byte
	// NewContext returns a fresh security context for each connection.
	NewContext func() (SecurityContext, error)
	// Config is the required protection level.
	Config Config
}

// DialContext dials addr and returns the upgraded connection. The
// context's deadline bounds the upgrade and the handshake.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	dial := d.Dial
	if dial == nil {
		dial = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
	}
	sec, err := d.NewContext()
	if err != nil {
		return nil, fmt.Errorf("nns: security context: %w", err)
	}
	pre, err := nmf.AppendPreamble(nil, nmf.Preamble{Major: 1, Minor: 0, Mode: nmf.ModeDuplex, Via: d.Via, Encoding: d.Encoding})
	if err != nil {
		return nil, fmt.Errorf("nns: preamble: %w", err)
	}
	nc, err := dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := RequestUpgrade(nc, d.Via, d.Encoding); err != nil {
		nc.Close()
		return nil, fmt.Errorf("nns: %s: %w", addr, err)
	}
	c, err := Client(nc, sec, d.Config)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nns: %s: %w", addr, err)
	}
	if !stop() {
		nc.Close()
		return nil, fmt.Errorf("nns: handshake with %s: %w", addr, ctx.Err())
	}
	_ = nc.SetDeadline(time.Time{})
	return &netConn{Conn: nc, nns: c, preamble: pre}, nil
}

// netConn is a net.Conn whose Read and Write go through the upgraded
// stream; deadlines, addresses and Close are the TCP connection's.
type netConn struct {
	net.Conn
	nns      *Conn
	mu       sync.Mutex
	preamble []byte // still to be dropped from the first write
}

func (c *netConn) Read(p []byte) (int, error) { return c.nns.Read(p) }

func (c *netConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	pre := c.preamble
	c.preamble = nil
	c.mu.Unlock()
	if pre == nil {
		return c.nns.Write(p)
	}
	if !bytes.HasPrefix(p, pre) {
		return 0, fmt.Errorf("nns: the first write is not the preamble already sent before the upgrade")
	}
	if rest := p[len(pre):]; len(rest) > 0 {
		if _, err := c.nns.Write(rest); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
