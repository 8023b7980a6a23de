package shim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/specgate/specgate/internal/tcpserve"
	"github.com/specgate/specgate/internal/vdiapi"
)

// JSON-RPC 2.0 error codes the server side uses.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
)

// CrashExitCode is the exit status of a process whose Serve met ErrCrash
// (EX_SOFTWARE).
const CrashExitCode = 70

// ExitFunc ends the process when an implementation served by Serve returns
// ErrCrash. Tests replace it; if it returns, Serve returns an error
// wrapping ErrCrash.
var ExitFunc = os.Exit

// crashPrefix is what a simulated crash leaves on the wire.
const crashPrefix = `{"jsonrpc":"2.0","id":`

// Serve answers shim requests read line by line from r, dispatching them
// to impl and writing responses to w, until r ends (nil), ctx is done
// (ctx.Err(); ctx is checked between requests, so close r to interrupt a
// blocked read) or writing fails. Malformed requests get JSON-RPC errors.
// An impl error wrapping ErrCrash makes Serve write a partial line and
// exit the process through ExitFunc(CrashExitCode); ErrHang makes it stop
// answering and discard its input until r ends or ctx is done.
func Serve(ctx context.Context, r io.Reader, w io.Writer, impl vdiapi.VDI) error {
	return serveStream(ctx, r, w, impl, func() error {
		ExitFunc(CrashExitCode)
		return fmt.Errorf("%w: ExitFunc returned", ErrCrash)
	})
}

// ListenAndServe listens on addr ("host:port", "tcp://host:port" or
// ":port"; an empty host means 127.0.0.1) and serves every connection in
// its own goroutine with the shared impl. ready, when set, is called with
// the bound address before the first Accept. ErrCrash closes the affected
// connection after a partial line; ErrHang leaves the request unanswered.
// It returns nil once ctx is done and every connection has ended.
func ListenAndServe(ctx context.Context, addr string, impl vdiapi.VDI, ready func(net.Addr)) error {
	err := tcpserve.Serve(ctx, addr, ready, func(c net.Conn) {
		serveStream(ctx, c, c, impl, c.Close)
	})
	if err != nil {
		return fmt.Errorf("shim: %w", err)
	}
	return nil
}

// Echo copies every line of r back to w unchanged: the raw-pipe baseline
// benchmarks compare a shim against.
func Echo(r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			if _, werr := bw.Write(line); werr != nil {
				return werr
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if ferr := bw.Flush(); ferr != nil {
				return ferr
			}
			if err == io.EOF {
				return nil
			}
			return err
		}
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
	}
}

type wireRequest struct {
	JSONRPC *string         `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  *string         `json:"method"`
	Params  *wireParams     `json:"params"`
}

type wireParams struct {
	Protocol         *string        `json:"protocol"`
	Profile          *string        `json:"profile"`
	Set              *string        `json:"set"`
	Instance         *string        `json:"instance"`
	Config           *vdiapi.Config `json:"config"`
	Timeout          *uint32        `json:"timeout"`
	Device           *string        `json:"device"`
	Command          *uint64        `json:"command"`
	CompletionCode   *uint32        `json:"completionCode"`
	BytesTransferred *uint32        `json:"bytesTransferred"`
	Position         *uint64        `json:"position"`
	Devices          *[]string      `json:"devices"`
	Code             *uint32        `json:"code"`
	Size             *uint32        `json:"size"`
}

// action tells the serve loop what to do after a request.
type action uint8

const (
	actReply action = iota
	actCrash
	actHang
)

type server struct {
	impl vdiapi.VDI
	out  []byte
}

func serveStream(ctx context.Context, r io.Reader, w io.Writer, impl vdiapi.VDI, onCrash func() error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	s := &server{impl: impl, out: make([]byte, 0, 512)}
	var scratch []byte
	for {
		if err := ctx.Err(); err != nil {
			bw.Flush()
			return err
		}
		line, err := readLine(br, &scratch)
		if errors.Is(err, errLineTooLong) {
			if err == errLineTooLong {
				// Skip the rest of the line.
				for {
					_, err = br.ReadSlice('\n')
					if err != bufio.ErrBufferFull {
						break
					}
				}
			} else {
				err = nil
			}
			s.out = appendError(s.out[:0], nil, CodeInvalidRequest, "invalid request: line longer than 1 MiB")
			if _, werr := bw.Write(s.out); werr != nil {
				return werr
			}
			if err != nil {
				ferr := bw.Flush()
				if err == io.EOF {
					return ferr
				}
				return err
			}
			if br.Buffered() == 0 {
				if err := bw.Flush(); err != nil {
					return err
				}
			}
			continue
		}
		if err != nil && len(line) == 0 {
			ferr := bw.Flush()
			if err == io.EOF {
				return ferr
			}
			return err
		}
		readErr := err
		if len(bytes.TrimSpace(line)) != 0 {
			act := s.handle(ctx, line)
			switch act {
			case actCrash:
				bw.Flush()
				io.WriteString(w, crashPrefix)
				return onCrash()
			case actHang:
				bw.Flush()
				drained := make(chan error, 1)
				go func() {
					_, err := io.Copy(io.Discard, br)
					drained <- err
				}()
				select {
				case err := <-drained:
					return err
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			if _, err := bw.Write(s.out); err != nil {
				return err
			}
		}
		if readErr != nil {
			// The last line had no terminator; it has been answered.
			ferr := bw.Flush()
			if readErr == io.EOF {
				return ferr
			}
			return readErr
		}
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
	}
}

func appendError(b []byte, id []byte, code int, msg string) []byte {
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	if len(id) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, id...)
	}
	b = append(b, `,"error":{"code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, msg)
	return append(b, '}', '}', '\n')
}

func appendResultHead(b []byte, id []byte, hr uint32) []byte {
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, id...)
	b = append(b, `,"result":{"hr":`...)
	return appendHR(b, hr)
}

// handle answers one request line into s.out.
func (s *server) handle(ctx context.Context, line []byte) action {
	var p params
	if id, m, ok := fastRequest(line, &p); ok {
		return s.dispatch(ctx, m, id, &p)
	}
	p = params{}
	id, m, code, msg := decodeRequestSlow(line, &p)
	if code != 0 {
		s.out = appendError(s.out[:0], id, code, msg)
		return actReply
	}
	return s.dispatch(ctx, m, id, &p)
}

// decodeRequestSlow decodes a request with encoding/json. A non-zero code
// is the JSON-RPC error to answer with, for the returned id (nil: null).
func decodeRequestSlow(line []byte, p *params) (id []byte, m methodID, code int, msg string) {
	var req wireRequest
	err := json.Unmarshal(line, &req)
	var te *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &te) {
		return nil, 0, CodeParseError, "parse error: request is not valid JSON"
	}
	if te != nil && te.Field == "" {
		if bytes.HasPrefix(bytes.TrimSpace(line), []byte("[")) {
			return nil, 0, CodeInvalidRequest, "invalid request: batches are not supported"
		}
		return nil, 0, CodeInvalidRequest, "invalid request: not a JSON object"
	}
	id = bytes.TrimSpace(req.ID)
	if len(id) == 0 || !(id[0] == '"' || id[0] == '-' || (id[0] >= '0' && id[0] <= '9') || bytes.Equal(id, []byte("null"))) {
		return nil, 0, CodeInvalidRequest, "invalid request: id must be a number or a string"
	}
	var paramsErr string
	if te != nil {
		if te.Field != "params" && !strings.HasPrefix(te.Field, "params.") {
			return id, 0, CodeInvalidRequest, "invalid request: " + te.Field + " has the wrong type"
		}
		paramsErr = "invalid params: " + te.Field + " has the wrong type"
		if te.Field == "params" {
			paramsErr = "invalid params: params must be an object"
		}
	}
	if req.JSONRPC == nil || *req.JSONRPC != "2.0" {
		return id, 0, CodeInvalidRequest, `invalid request: "jsonrpc" must be "2.0"`
	}
	if req.Method == nil {
		return id, 0, CodeInvalidRequest, `invalid request: "method" must be a string`
	}
	m, ok := lookupMethod(*req.Method)
	if !ok {
		return id, 0, CodeMethodNotFound, "method not found: " + *req.Method
	}
	if paramsErr != "" {
		return id, 0, CodeInvalidParams, paramsErr
	}
	if req.Params != nil {
		req.Params.to(p)
	}
	if missing := p.missing(m); missing != "" {
		return id, 0, CodeInvalidParams, "invalid params: missing params." + missing
	}
	return id, m, 0, ""
}

// to copies the present fields into p.
func (w *wireParams) to(p *params) {
	setStr := func(src *string, dst *string, bit uint32) {
		if src != nil {
			*dst = *src
			p.has |= bit
		}
	}
	setU32 := func(src *uint32, dst *uint32, bit uint32) {
		if src != nil {
			*dst = *src
			p.has |= bit
		}
	}
	setU64 := func(src *uint64, dst *uint64, bit uint32) {
		if src != nil {
			*dst = *src
			p.has |= bit
		}
	}
	setStr(w.Protocol, &p.protocol, pProtocol)
	setStr(w.Profile, &p.profile, pProfile)
	setStr(w.Set, &p.set, pSet)
	setStr(w.Instance, &p.instance, pInstance)
	setStr(w.Device, &p.device, pDevice)
	if w.Config != nil {
		p.config = *w.Config
		p.has |= pConfig
	}
	setU32(w.Timeout, &p.timeout, pTimeout)
	setU32(w.CompletionCode, &p.completionCode, pCompletionCode)
	setU32(w.BytesTransferred, &p.bytesTransferred, pBytesTransferred)
	setU32(w.Code, &p.code, pCode)
	setU32(w.Size, &p.size, pSize)
	setU64(w.Command, &p.command, pCommand)
	setU64(w.Position, &p.position, pPosition)
	if w.Devices != nil {
		p.devices = *w.Devices
		p.has |= pDevices
	}
}

func lookupMethod(name string) (methodID, bool) {
	for m, n := range methodNames {
		if n == name {
			return methodID(m), true
		}
	}
	return 0, false
}

// missing names the first required parameter of m that p lacks.
func (p *params) missing(m methodID) string {
	switch m {
	case mHello:
		if p.has&pProtocol == 0 {
			return "protocol"
		}
		return ""
	case mReset:
		return ""
	}
	if p.has&pSet == 0 {
		return "set"
	}
	switch m {
	case mCreate, mCreateEx:
		if p.has&pConfig == 0 {
			return "config"
		}
	case mOpenDevice, mGetCommand, mCompleteCommand, mServerSendCommand, mServerCloseDevice:
		if p.has&pDevice == 0 {
			return "device"
		}
	case mServerOpen:
		if p.has&pDevices == 0 {
			return "devices"
		}
	}
	switch m {
	case mCompleteCommand:
		if p.has&pCommand == 0 {
			return "command"
		}
	case mServerSendCommand:
		if p.has&pCode == 0 {
			return "code"
		}
	}
	return ""
}

// dispatch calls impl and writes the response into s.out.
func (s *server) dispatch(ctx context.Context, m methodID, id []byte, p *params) action {
	var (
		hr  uint32
		err error
		b   []byte
	)
	impl := s.impl
	switch m {
	case mHello:
		var h vdiapi.Hello
		if h, err = impl.Hello(ctx, p.profile); err == nil {
			b = appendResultHead(s.out[:0], id, 0)
			b = append(b, `,"protocol":`...)
			b = appendJSONString(b, h.Protocol)
			b = append(b, `,"implementation":`...)
			b = appendJSONString(b, h.Implementation)
			b = append(b, `,"version":`...)
			b = appendJSONString(b, h.Version)
			b = append(b, `,"capabilities":{"concurrentSets":`...)
			b = strconv.AppendBool(b, h.Capabilities.ConcurrentSets)
			b = append(b, `,"server":`...)
			b = strconv.AppendBool(b, h.Capabilities.Server)
			b = append(b, '}')
		}
	case mReset:
		if err = impl.Reset(ctx, p.set); err == nil {
			b = appendResultHead(s.out[:0], id, 0)
		}
	case mCreate:
		hr, err = impl.Create(ctx, p.set, p.config)
	case mCreateEx:
		hr, err = impl.CreateEx(ctx, p.instance, p.set, p.config)
	case mGetConfiguration:
		var cfg vdiapi.Config
		if hr, cfg, err = impl.GetConfiguration(ctx, p.set, p.timeout); err == nil {
			b = appendResultHead(s.out[:0], id, hr)
			if hr == 0 {
				b = append(b, `,"config":`...)
				b = appendConfig(b, cfg)
			}
		}
	case mOpenDevice:
		hr, err = impl.OpenDevice(ctx, p.set, p.device)
	case mGetCommand:
		var c vdiapi.Command
		if hr, c, err = impl.GetCommand(ctx, p.set, p.device, p.timeout); err == nil {
			b = appendResultHead(s.out[:0], id, hr)
			if hr == 0 && c.ID == 0 {
				b = append(b, `,"command":null`...)
			} else if hr == 0 {
				b = append(b, `,"command":{"id":`...)
				b = strconv.AppendUint(b, c.ID, 10)
				b = append(b, `,"code":`...)
				b = strconv.AppendUint(b, uint64(c.Code), 10)
				b = append(b, `,"size":`...)
				b = strconv.AppendUint(b, uint64(c.Size), 10)
				b = append(b, `,"position":`...)
				b = strconv.AppendUint(b, c.Position, 10)
				b = append(b, '}')
			}
		}
	case mCompleteCommand:
		hr, err = impl.CompleteCommand(ctx, p.set, p.device, p.command, p.completionCode, p.bytesTransferred, p.position)
	case mSignalAbort:
		hr, err = impl.SignalAbort(ctx, p.set)
	case mClose:
		hr, err = impl.Close(ctx, p.set)
	case mServerOpen:
		hr, err = impl.ServerOpen(ctx, p.set, p.devices)
	case mServerSendCommand:
		var cid uint64
		if hr, cid, err = impl.ServerSendCommand(ctx, p.set, p.device, p.code, p.size); err == nil {
			b = appendResultHead(s.out[:0], id, hr)
			if hr == 0 {
				b = append(b, `,"command":`...)
				b = strconv.AppendUint(b, cid, 10)
			}
		}
	case mServerCloseDevice:
		hr, err = impl.ServerCloseDevice(ctx, p.set, p.device)
	case mServerSignalAbort:
		hr, err = impl.ServerSignalAbort(ctx, p.set)
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrCrash):
		return actCrash
	case errors.Is(err, ErrHang):
		return actHang
	default:
		s.out = appendError(s.out[:0], id, CodeInternalError, err.Error())
		return actReply
	}
	if b == nil {
		b = appendResultHead(s.out[:0], id, hr)
	}
	s.out = append(b, '}', '}', '\n')
	return actReply
}
