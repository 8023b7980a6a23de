package shim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// parseTCPTarget checks a tcp://host:port (or tcp:host:port) target and
// returns host:port; an empty host means 127.0.0.1.
func parseTCPTarget(target string) (string, error) {
	addr := strings.TrimPrefix(strings.TrimPrefix(target, "tcp:"), "//")
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || strings.ContainsAny(addr, "/?#") {
		return "", fmt.Errorf("shim target %q: want tcp://host:port", target)
	}
	if host == "" {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	return addr, nil
}

type tcpConn struct {
	c   net.Conn
	r   *bufio.Reader
	log *slog.Logger
}

func dialTCP(ctx context.Context, addr string, deadline time.Time, log *slog.Logger) (*tcpConn, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		log.Debug("shim dial failed", "addr", addr, "cause", err)
		return nil, &Error{Kind: KindUnreachable, Detail: describeDialError(err)}
	}
	log.Debug("shim connected", "local", c.LocalAddr().String(), "remote", c.RemoteAddr().String())
	return &tcpConn{c: c, r: bufio.NewReaderSize(c, 64<<10), log: log}, nil
}

// describeDialError names the cause of a failed dial without addresses or
// ports.
func describeDialError(err error) string {
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "connection attempt timed out"
	case errors.Is(err, context.Canceled):
		return "connection attempt cancelled"
	case errors.As(err, &dns):
		return fmt.Sprintf("cannot resolve host %q", dns.Name)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return "cannot connect: " + errno.Error()
	}
	return "cannot connect"
}

func (t *tcpConn) Write(p []byte) (int, error) { return t.c.Write(p) }
func (t *tcpConn) reader() *bufio.Reader       { return t.r }
func (t *tcpConn) setDeadline(d time.Time)     { t.c.SetDeadline(d) }
func (t *tcpConn) disarm()                     {}
func (t *tcpConn) interrupt()                  { t.c.SetDeadline(time.Unix(1, 0)) }
func (t *tcpConn) stderrTail() string          { return "" }
func (t *tcpConn) close(bool)                  { t.c.Close() }

func (t *tcpConn) timedOut(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

func (t *tcpConn) ioFailure(err error, partial bool) string {
	where := "before answering"
	if partial {
		where = "in the middle of a response line"
	}
	switch {
	case errors.Is(err, io.EOF):
		return "connection closed by the shim " + where
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the shim " + where
	case errors.Is(err, syscall.EPIPE):
		return "connection closed by the shim before the request was sent"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return "connection failed " + where + ": " + errno.Error()
	}
	return "connection failed " + where
}
