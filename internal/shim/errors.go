package shim

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind classifies a shim fault.
type Kind uint8

// The kinds of shim faults. None of them is a VDI status code: those travel
// as results.
const (
	// KindTimeout: the shim did not answer before the call deadline (a
	// hang). The child is killed (exec) or the connection closed (tcp).
	KindTimeout Kind = iota + 1
	// KindCrash: the shim exited or closed its output or connection
	// before it finished a response.
	KindCrash
	// KindMalformed: the shim wrote something that is not a valid
	// response to the request: invalid JSON, a wrong id, a missing or
	// garbled "hr", a missing out-value, a line longer than 1 MiB.
	KindMalformed
	// KindRPC: the shim answered with a JSON-RPC error object.
	KindRPC
	// KindUnreachable: the shim could not be started or connected to.
	KindUnreachable
)

// String returns the short name used in Error messages and reports.
func (k Kind) String() string {
	switch k {
	case KindTimeout:
		return "hang"
	case KindCrash:
		return "crash"
	case KindMalformed:
		return "malformed"
	case KindRPC:
		return "rpc-error"
	case KindUnreachable:
		return "unreachable"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a shim fault: the call could not be made or answered. VDI status
// codes are never reported as an Error.
//
// Error() is one deterministic line: it never contains pids, ports,
// durations, timestamps or other values that differ between runs, so
// failure messages can be compared while shrinking. Run-specific details go
// to the Logger of the Options instead.
type Error struct {
	Kind Kind
	// Method is the JSON-RPC method of the failed call ("vdi.GetCommand"),
	// empty for Dial.
	Method string
	// Detail says what went wrong, in one line.
	Detail string
	// StderrTail holds the last few KiB the child wrote to stderr (exec
	// targets only). It is not part of Error().
	StderrTail string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("shim ")
	b.WriteString(e.Kind.String())
	if e.Method != "" {
		b.WriteString(" in ")
		b.WriteString(e.Method)
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return oneLine(b.String())
}

// ErrCrash and ErrHang are sentinels a vdiapi.VDI served by Serve or
// ListenAndServe may return (wrapped or not) to simulate a broken shim:
//
//   - ErrCrash: the server writes the start of a response line
//     (`{"jsonrpc":"2.0","id":`) and then, under Serve, exits the process
//     with CrashExitCode through ExitFunc; under ListenAndServe it closes
//     that connection.
//   - ErrHang: the server never answers the request; it reads and discards
//     its input until the stream ends or ctx is done.
var (
	ErrCrash = errors.New("shim: simulated crash")
	ErrHang  = errors.New("shim: simulated hang")
)

// oneLine replaces control characters so a message stays on one line.
func oneLine(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c == 0x7f {
			b[i] = ' '
		}
	}
	return string(b)
}

// quoteTrunc quotes shim-provided text for a Detail, shortened to n bytes
// (on a rune boundary).
func quoteTrunc(s string, n int) string {
	if len(s) <= n {
		return strconv.Quote(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strconv.Quote(s[:n]) + "..."
}
