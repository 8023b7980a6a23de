// Package shim speaks the specgate VDI shim protocol: newline-delimited
// JSON-RPC 2.0 between the harness (client) and a vendor's shim (server)
// over a child process's stdin/stdout ("exec:" targets) or a TCP connection
// ("tcp://" targets). docs/vdi-shim-protocol.md is the contract.
//
// Client implements vdiapi.VDI on top of a shim and turns every way a shim
// can misbehave (hang, crash, garbage, JSON-RPC error, unreachable) into a
// typed *Error; it never blocks past a call's deadline. Serve and
// ListenAndServe expose any vdiapi.VDI as a shim, which is how specgate's
// own fixtures and tests become shims.
package shim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/specgate/specgate/internal/vdiapi"
)

// Transcript directions passed to Options.Transcript.
const (
	DirSend = "send" // a request line written to the shim
	DirRecv = "recv" // a line (or the part of one) read from the shim
)

// DefaultCallTimeout is the per-call deadline when Options.CallTimeout is 0.
const DefaultCallTimeout = 5 * time.Second

// DefaultStartTimeout is the deadline of the first shim.hello a new child
// or connection answers when Options.StartTimeout is 0. That answer
// includes the child's start-up (an interpreter loading, a library
// initialising), which on a loaded machine takes seconds; judging it by
// the call deadline would report a slow start as a hang of the SUT.
const DefaultStartTimeout = 30 * time.Second

// Options configure a Client.
type Options struct {
	// CallTimeout bounds every call (the earlier of it and the context's
	// deadline applies). 0 means DefaultCallTimeout.
	CallTimeout time.Duration
	// StartTimeout bounds the first shim.hello on a new child or
	// connection (the start-up allowance); the larger of it and
	// CallTimeout applies. 0 means DefaultStartTimeout.
	StartTimeout time.Duration
	// Env holds extra "KEY=value" entries for an exec child, on top of the
	// minimal environment (PATH, HOME, TMPDIR, LANG when set).
	Env []string
	// Logger receives run-specific details (pids, addresses, causes) that
	// Error() leaves out. nil discards them.
	Logger *slog.Logger
	// Transcript, when set, is called with every raw line sent (DirSend)
	// and received (DirRecv), without its terminator. line is only valid
	// during the call; copy it to keep it. It runs under the Client's lock.
	Transcript func(dir string, line []byte)
}

// transport is one live exec child or TCP connection.
type transport interface {
	// Write sends a whole request line.
	io.Writer
	reader() *bufio.Reader
	// setDeadline bounds the I/O of the current call.
	setDeadline(t time.Time)
	// disarm ends the current call's deadline handling.
	disarm()
	// interrupt makes pending I/O fail now (context cancelled).
	interrupt()
	// timedOut reports whether err comes from the deadline or interrupt.
	timedOut(err error) bool
	// ioFailure describes why the stream ended or broke; partial tells
	// whether part of a response line had arrived. It may block briefly
	// (exec: wait for the exit status).
	ioFailure(err error, partial bool) string
	// stderrTail returns the end of the child's stderr ("" for tcp).
	stderrTail() string
	// close tears the transport down for good; graceful lets an exec
	// child exit on its own first.
	close(graceful bool)
}

// Client is a connection to a shim. It implements vdiapi.VDI. Calls are
// serialised; a Client is safe for concurrent use.
type Client struct {
	opts Options
	log  *slog.Logger
	// connect opens a fresh transport (starts the child, dials).
	connect func(ctx context.Context, deadline time.Time) (transport, error)

	mu       sync.Mutex
	tr       transport
	shutdown bool
	nextID   uint64
	enc      enc // request being built; its buffer is reused
	rbuf     []byte

	restarts atomic.Int64
	// helloProfile is the profile of the last Hello; restarted marks a
	// transport that has not been sent shim.hello yet.
	helloProfile string
	restarted    bool
	// fresh marks a transport that has not answered anything yet: its
	// first shim.hello gets the start-up allowance.
	fresh bool
}

var _ vdiapi.VDI = (*Client)(nil)

// Dial connects to the shim named by target:
//
//	exec:<command line>   start a child; the command line is split like a
//	                      POSIX shell would (quotes, backslashes), without
//	                      expansions
//	tcp://host:port       connect to a listening shim ("tcp:host:port"
//	                      is accepted too)
//
// ctx bounds only the connection attempt; an exec child outlives it. A
// malformed target is reported as a plain error; a shim that cannot be
// started or reached as a KindUnreachable *Error.
func Dial(ctx context.Context, target string, opts Options) (*Client, error) {
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
	c := &Client{opts: opts, log: log}
	c.enc.b = make([]byte, 0, 512)
	switch {
	case strings.HasPrefix(target, "exec:"):
		argv, err := SplitCommandLine(strings.TrimPrefix(target, "exec:"))
		if err != nil {
			return nil, fmt.Errorf("shim target %q: %w", target, err)
		}
		if len(argv) == 0 {
			return nil, fmt.Errorf("shim target %q: empty command line", target)
		}
		env := childEnv(opts.Env)
		c.connect = func(context.Context, time.Time) (transport, error) {
			return startExec(argv, env, log)
		}
	case strings.HasPrefix(target, "tcp:"):
		addr, err := parseTCPTarget(target)
		if err != nil {
			return nil, err
		}
		c.connect = func(ctx context.Context, deadline time.Time) (transport, error) {
			return dialTCP(ctx, addr, deadline, log)
		}
	default:
		return nil, fmt.Errorf("shim target %q: want exec:<command line> or tcp://host:port", target)
	}
	deadline := time.Now().Add(opts.CallTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	tr, err := c.connect(ctx, deadline)
	if err != nil {
		return nil, err
	}
	c.tr, c.fresh = tr, true
	return c, nil
}

// Restarts reports how many times the Client replaced its child process or
// connection after a fault. A caller that sees it grow knows the shim lost
// its state and must send shim.hello (and shim.reset) again.
func (c *Client) Restarts() int { return int(c.restarts.Load()) }

var errShutdown = errors.New("shim: client is shut down")

// Shutdown closes the connection or stops the child (stdin is closed
// first; a child that has not exited after a short grace period is
// killed). Later calls fail.
func (c *Client) Shutdown() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shutdown = true
	if c.tr != nil {
		c.tr.close(true)
		c.tr = nil
	}
	return nil
}

// call performs one request/response exchange. build appends the params
// members. On any fault except a JSON-RPC error the transport is dropped
// and the next call opens a new one.
func (c *Client) call(ctx context.Context, m methodID, build func(*enc), out *result) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shutdown {
		return errShutdown
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("shim %s: %w", m, err)
	}
	deadline := time.Now().Add(c.opts.CallTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if c.tr == nil {
		tr, err := c.connect(ctx, deadline)
		if err != nil {
			var se *Error
			if errors.As(err, &se) {
				se.Method = m.String()
			}
			return err
		}
		c.tr, c.fresh = tr, true
		c.restarts.Add(1)
		c.restarted = true
		c.log.Debug("shim restarted", "method", m.String())
	}
	tr := c.tr
	if c.restarted && m != mHello && c.helloProfile != "" {
		// A new child or connection has not been told the profile yet.
		var hr result
		if err := c.roundTrip(ctx, tr, mHello, func(e *enc) {
			e.str("protocol", vdiapi.ProtocolVersion)
			e.str("profile", c.helloProfile)
		}, &hr, c.startDeadline(ctx, deadline)); err != nil {
			return err
		}
		deadline = time.Now().Add(c.opts.CallTimeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
	}
	c.restarted = false
	if m == mHello {
		deadline = c.startDeadline(ctx, deadline)
	}
	return c.roundTrip(ctx, tr, m, build, out, deadline)
}

// startDeadline is the deadline of a shim.hello: on a transport that has
// not answered yet it allows the start-up (the larger of StartTimeout and
// CallTimeout, never past ctx's deadline); otherwise it is the call's.
func (c *Client) startDeadline(ctx context.Context, call time.Time) time.Time {
	if !c.fresh {
		return call
	}
	limit := max(c.opts.StartTimeout, c.opts.CallTimeout)
	deadline := time.Now().Add(limit)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	return deadline
}

// roundTrip writes one request on tr and reads its response.
func (c *Client) roundTrip(ctx context.Context, tr transport, m methodID, build func(*enc), out *result, deadline time.Time) error {
	c.nextID++
	id := c.nextID
	e := &c.enc
	e.b, e.first = append(e.b[:0], requestHead...), true
	e.b = strconv.AppendUint(e.b, id, 10)
	e.b = append(e.b, requestMid[m]...)
	build(e)
	e.b = append(e.b, '}', '}', '\n')

	if c.opts.Transcript != nil {
		c.opts.Transcript(DirSend, e.b[:len(e.b)-1])
	}
	tr.setDeadline(deadline)
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, tr.interrupt)
	}
	var line []byte
	_, err := tr.Write(e.b)
	if err == nil {
		line, err = readLine(tr.reader(), &c.rbuf)
	}
	if stop != nil {
		stop()
	}
	tr.disarm()
	if c.opts.Transcript != nil && len(line) > 0 {
		c.opts.Transcript(DirRecv, line)
	}
	if err != nil {
		return c.fail(ctx, m, err, len(line) > 0)
	}
	c.fresh = false // it answered: its start-up is over
	if b, ok := tr.(interface{ broken() bool }); ok && b.broken() {
		// An interrupt raced with the answer and killed the child.
		c.drop(nil)
	}
	if se := decodeResponse(line, m, id, out); se != nil {
		if se.Kind != KindRPC {
			c.drop(se)
		} else {
			se.StderrTail = tr.stderrTail()
		}
		c.log.Debug("shim fault", "method", m.String(), "error", se.Error())
		return se
	}
	return nil
}

// fail classifies an I/O error of the current call and drops the transport.
func (c *Client) fail(ctx context.Context, m methodID, err error, partial bool) error {
	tr := c.tr
	var se *Error
	switch {
	case errors.Is(err, errLineTooLong):
		se = &Error{Kind: KindMalformed, Method: m.String(), Detail: "response line longer than 1 MiB"}
	case tr.timedOut(err):
		if ctxErr := ctx.Err(); errors.Is(ctxErr, context.Canceled) {
			c.log.Debug("shim call cancelled", "method", m.String())
			c.drop(nil)
			return fmt.Errorf("shim %s: call abandoned: %w", m, ctxErr)
		}
		se = &Error{Kind: KindTimeout, Method: m.String(), Detail: "no response before the call deadline"}
	default:
		c.log.Debug("shim i/o failure", "method", m.String(), "cause", err)
		se = &Error{Kind: KindCrash, Method: m.String(), Detail: tr.ioFailure(err, partial)}
	}
	c.drop(se)
	c.log.Debug("shim fault", "method", m.String(), "error", se.Error())
	return se
}

// drop closes the current transport, recording its stderr tail in se.
func (c *Client) drop(se *Error) {
	if c.tr == nil {
		return
	}
	c.tr.close(false)
	if se != nil {
		se.StderrTail = c.tr.stderrTail()
	}
	c.tr = nil
}

// Hello sends shim.hello with specgate's protocol version and profile.
func (c *Client) Hello(ctx context.Context, profile string) (vdiapi.Hello, error) {
	c.mu.Lock()
	c.helloProfile = profile // re-sent on every new child or connection
	c.mu.Unlock()
	var r result
	err := c.call(ctx, mHello, func(e *enc) {
		e.str("protocol", vdiapi.ProtocolVersion)
		e.str("profile", profile)
	}, &r)
	return r.hello, err
}

// Reset sends shim.reset for set, or for every set when set is "".
func (c *Client) Reset(ctx context.Context, set string) error {
	var r result
	return c.call(ctx, mReset, func(e *enc) {
		if set != "" {
			e.str("set", set)
		}
	}, &r)
}

// Create calls IClientVirtualDeviceSet::Create.
func (c *Client) Create(ctx context.Context, set string, cfg vdiapi.Config) (uint32, error) {
	var r result
	err := c.call(ctx, mCreate, func(e *enc) {
		e.str("set", set)
		e.config("config", cfg)
	}, &r)
	return r.hr, err
}

// CreateEx calls IClientVirtualDeviceSet2::CreateEx.
func (c *Client) CreateEx(ctx context.Context, instance, set string, cfg vdiapi.Config) (uint32, error) {
	var r result
	err := c.call(ctx, mCreateEx, func(e *enc) {
		e.str("instance", instance)
		e.str("set", set)
		e.config("config", cfg)
	}, &r)
	return r.hr, err
}

// GetConfiguration calls IClientVirtualDeviceSet2::GetConfiguration.
func (c *Client) GetConfiguration(ctx context.Context, set string, timeoutMs uint32) (uint32, vdiapi.Config, error) {
	var r result
	err := c.call(ctx, mGetConfiguration, func(e *enc) {
		e.str("set", set)
		e.u32("timeout", timeoutMs)
	}, &r)
	return r.hr, r.config, err
}

// OpenDevice calls IClientVirtualDeviceSet2::OpenDevice.
func (c *Client) OpenDevice(ctx context.Context, set, device string) (uint32, error) {
	var r result
	err := c.call(ctx, mOpenDevice, func(e *enc) {
		e.str("set", set)
		e.str("device", device)
	}, &r)
	return r.hr, err
}

// GetCommand calls IClientVirtualDevice::GetCommand.
func (c *Client) GetCommand(ctx context.Context, set, device string, timeoutMs uint32) (uint32, vdiapi.Command, error) {
	var r result
	err := c.call(ctx, mGetCommand, func(e *enc) {
		e.str("set", set)
		e.str("device", device)
		e.u32("timeout", timeoutMs)
	}, &r)
	return r.hr, r.command, err
}

// CompleteCommand calls IClientVirtualDevice::CompleteCommand.
func (c *Client) CompleteCommand(ctx context.Context, set, device string, id uint64, completionCode, bytesTransferred uint32, position uint64) (uint32, error) {
	var r result
	err := c.call(ctx, mCompleteCommand, func(e *enc) {
		e.str("set", set)
		e.str("device", device)
		e.u64("command", id)
		e.u32("completionCode", completionCode)
		e.u32("bytesTransferred", bytesTransferred)
		e.u64("position", position)
	}, &r)
	return r.hr, err
}

// SignalAbort calls IClientVirtualDeviceSet2::SignalAbort.
func (c *Client) SignalAbort(ctx context.Context, set string) (uint32, error) {
	return c.setOnly(ctx, mSignalAbort, set)
}

// Close calls IClientVirtualDeviceSet2::Close.
func (c *Client) Close(ctx context.Context, set string) (uint32, error) {
	return c.setOnly(ctx, mClose, set)
}

// ServerOpen drives the server side: Open + BeginConfiguration +
// EndConfiguration with the given VIRTUAL_DEVICE names.
func (c *Client) ServerOpen(ctx context.Context, set string, devices []string) (uint32, error) {
	var r result
	err := c.call(ctx, mServerOpen, func(e *enc) {
		e.str("set", set)
		e.strs("devices", devices)
	}, &r)
	return r.hr, err
}

// ServerSendCommand drives IServerVirtualDevice::SendCommand and returns
// the id GetCommand will deliver.
func (c *Client) ServerSendCommand(ctx context.Context, set, device string, code, size uint32) (uint32, uint64, error) {
	var r result
	err := c.call(ctx, mServerSendCommand, func(e *enc) {
		e.str("set", set)
		e.str("device", device)
		e.u32("code", code)
		e.u32("size", size)
	}, &r)
	return r.hr, r.cmdID, err
}

// ServerCloseDevice drives IServerVirtualDevice::CloseDevice.
func (c *Client) ServerCloseDevice(ctx context.Context, set, device string) (uint32, error) {
	var r result
	err := c.call(ctx, mServerCloseDevice, func(e *enc) {
		e.str("set", set)
		e.str("device", device)
	}, &r)
	return r.hr, err
}

// ServerSignalAbort drives IServerVirtualDeviceSet2::SignalAbort.
func (c *Client) ServerSignalAbort(ctx context.Context, set string) (uint32, error) {
	return c.setOnly(ctx, mServerSignalAbort, set)
}

func (c *Client) setOnly(ctx context.Context, m methodID, set string) (uint32, error) {
	var r result
	err := c.call(ctx, m, func(e *enc) { e.str("set", set) }, &r)
	return r.hr, err
}
