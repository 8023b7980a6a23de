package shim

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"time"
)

// DialConn returns a Client that speaks the protocol on an established
// connection c (for example one end of net.Pipe): the requests it writes
// are byte for byte those a Client dialled with Dial writes. The Client
// does not reconnect: once c fails, every later call fails.
func DialConn(c net.Conn, opts Options) *Client {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cl := &Client{opts: opts, log: log}
	cl.enc.b = make([]byte, 0, 512)
	cl.connect = func(_ context.Context, _ time.Time) (transport, error) {
		return nil, &Error{Kind: KindUnreachable, Detail: "connection closed: " + errConnGone.Error()}
	}
	cl.tr, cl.fresh = &tcpConn{c: c, r: bufio.NewReaderSize(c, 64<<10), log: log}, true
	return cl
}

var errConnGone = errors.New("a Client made by DialConn does not reconnect")
