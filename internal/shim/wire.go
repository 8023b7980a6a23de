package shim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/specgate/specgate/internal/vdiapi"
)

// MaxLineBytes bounds one protocol line (without its terminator). A longer
// line is a protocol fault.
const MaxLineBytes = 1 << 20

// Method names on the wire.
const (
	MethodHello             = "shim.hello"
	MethodReset             = "shim.reset"
	MethodCreate            = "vdi.Create"
	MethodCreateEx          = "vdi.CreateEx"
	MethodGetConfiguration  = "vdi.GetConfiguration"
	MethodOpenDevice        = "vdi.OpenDevice"
	MethodGetCommand        = "vdi.GetCommand"
	MethodCompleteCommand   = "vdi.CompleteCommand"
	MethodSignalAbort       = "vdi.SignalAbort"
	MethodClose             = "vdi.Close"
	MethodServerOpen        = "server.Open"
	MethodServerSendCommand = "server.SendCommand"
	MethodServerCloseDevice = "server.CloseDevice"
	MethodServerSignalAbort = "server.SignalAbort"
)

type methodID uint8

const (
	mHello methodID = iota
	mReset
	mCreate
	mCreateEx
	mGetConfiguration
	mOpenDevice
	mGetCommand
	mCompleteCommand
	mSignalAbort
	mClose
	mServerOpen
	mServerSendCommand
	mServerCloseDevice
	mServerSignalAbort
	numMethods
)

var methodNames = [numMethods]string{
	MethodHello, MethodReset, MethodCreate, MethodCreateEx, MethodGetConfiguration,
	MethodOpenDevice, MethodGetCommand, MethodCompleteCommand, MethodSignalAbort,
	MethodClose, MethodServerOpen, MethodServerSendCommand, MethodServerCloseDevice,
	MethodServerSignalAbort,
}

func (m methodID) String() string { return methodNames[m] }

// requestHead[m] is the request line up to the id; requestMid[m] follows the
// id and opens the params object.
var requestMid [numMethods]string

const requestHead = `{"jsonrpc":"2.0","id":`

func init() {
	for m, name := range methodNames {
		requestMid[m] = `,"method":"` + name + `","params":{`
	}
}

// enc appends the members of a params object.
type enc struct {
	b     []byte
	first bool
}

func (e *enc) key(k string) {
	if !e.first {
		e.b = append(e.b, ',')
	}
	e.first = false
	e.b = append(e.b, '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, '"', ':')
}

func (e *enc) str(k, v string) {
	e.key(k)
	e.b = appendJSONString(e.b, v)
}

func (e *enc) u32(k string, v uint32) {
	e.key(k)
	e.b = strconv.AppendUint(e.b, uint64(v), 10)
}

func (e *enc) u64(k string, v uint64) {
	e.key(k)
	e.b = strconv.AppendUint(e.b, v, 10)
}

func (e *enc) strs(k string, v []string) {
	e.key(k)
	e.b = append(e.b, '[')
	for i, s := range v {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = appendJSONString(e.b, s)
	}
	e.b = append(e.b, ']')
}

func (e *enc) config(k string, c vdiapi.Config) {
	e.key(k)
	e.b = appendConfig(e.b, c)
}

func appendConfig(b []byte, c vdiapi.Config) []byte {
	b = append(b, `{"deviceCount":`...)
	b = strconv.AppendUint(b, uint64(c.DeviceCount), 10)
	b = append(b, `,"features":`...)
	b = strconv.AppendUint(b, uint64(c.Features), 10)
	b = append(b, `,"prefixZoneSize":`...)
	b = strconv.AppendUint(b, uint64(c.PrefixZoneSize), 10)
	b = append(b, `,"alignment":`...)
	b = strconv.AppendUint(b, uint64(c.Alignment), 10)
	b = append(b, `,"softFileMarkBlockSize":`...)
	b = strconv.AppendUint(b, uint64(c.SoftFileMarkBlockSize), 10)
	b = append(b, `,"EOMWarningSize":`...)
	b = strconv.AppendUint(b, uint64(c.EOMWarningSize), 10)
	b = append(b, `,"serverTimeOut":`...)
	b = strconv.AppendUint(b, uint64(c.ServerTimeOut), 10)
	b = append(b, `,"blockSize":`...)
	b = strconv.AppendUint(b, uint64(c.BlockSize), 10)
	b = append(b, `,"maxIODepth":`...)
	b = strconv.AppendUint(b, uint64(c.MaxIODepth), 10)
	b = append(b, `,"maxTransferSize":`...)
	b = strconv.AppendUint(b, uint64(c.MaxTransferSize), 10)
	b = append(b, `,"bufferAreaSize":`...)
	b = strconv.AppendUint(b, uint64(c.BufferAreaSize), 10)
	return append(b, '}')
}

const hexDigits = "0123456789ABCDEF"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// like encoding/json.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendHR appends the wire form of an HRESULT: "0x8077000C".
func appendHR(b []byte, hr uint32) []byte {
	b = append(b, '"', '0', 'x')
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[(hr>>uint(shift))&0xF])
	}
	return append(b, '"')
}

// FormatHR renders an HRESULT the way the protocol carries it: "0x8077000C".
func FormatHR(hr uint32) string {
	b := appendHR(make([]byte, 0, 12), hr)
	return string(b[1 : len(b)-1])
}

// ParseHR parses the wire form of an HRESULT: "0x" or "0X" followed by one
// to eight hexadecimal digits of either case.
func ParseHR(s string) (uint32, bool) { return parseHR(s) }

func parseHR[T string | []byte](s T) (uint32, bool) {
	if len(s) < 3 || len(s) > 10 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return 0, false
	}
	var v uint32
	for i := 2; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(c)
	}
	return v, true
}

// errLineTooLong reports a line longer than MaxLineBytes whose rest is
// still unread; errLongLine one that was read up to its end.
var (
	errLineTooLong = errors.New("line longer than 1 MiB")
	errLongLine    = fmt.Errorf("%w (read to its end)", errLineTooLong)
)

// readLine returns the next line without its "\n" or "\r\n" terminator.
// The result may alias r's buffer or *scratch and is valid until the next
// read. At the end of the stream it returns the bytes of an unterminated
// line (possibly none) with io.EOF or the read error. A line longer than
// MaxLineBytes yields errLineTooLong as soon as that is known, with the
// rest of the line unread, or errLongLine when it was read to its end.
func readLine(r *bufio.Reader, scratch *[]byte) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err == nil {
		return trimEOL(line), checkLen(line)
	}
	buf := append((*scratch)[:0], line...)
	for err == bufio.ErrBufferFull {
		if len(buf) > MaxLineBytes+1 {
			*scratch = buf[:0]
			return buf, errLineTooLong
		}
		line, err = r.ReadSlice('\n')
		buf = append(buf, line...)
	}
	*scratch = buf[:0]
	if err != nil {
		if len(buf) > MaxLineBytes {
			return buf, errLongLine
		}
		return buf, err
	}
	return trimEOL(buf), checkLen(buf)
}

func checkLen(line []byte) error {
	n := len(line) - 1
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	if n > MaxLineBytes {
		return errLongLine
	}
	return nil
}

func trimEOL(line []byte) []byte {
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// result is the decoded result of one call.
type result struct {
	hr      uint32
	config  vdiapi.Config
	command vdiapi.Command
	cmdID   uint64
	hello   vdiapi.Hello
}

type wireResponse struct {
	JSONRPC *string         `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  *wireResult     `json:"result"`
	Error   *wireError      `json:"error"`
}

type wireError struct {
	Code    *int64          `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

type wireResult struct {
	HR             *string              `json:"hr"`
	Config         *vdiapi.Config       `json:"config"`
	Command        json.RawMessage      `json:"command"`
	Protocol       string               `json:"protocol"`
	Implementation string               `json:"implementation"`
	Version        string               `json:"version"`
	Capabilities   *vdiapi.Capabilities `json:"capabilities"`
}

type wireCommand struct {
	ID       *uint64 `json:"id"`
	Code     *uint32 `json:"code"`
	Size     *uint32 `json:"size"`
	Position *uint64 `json:"position"`
}

func malformed(m methodID, format string, args ...any) *Error {
	return &Error{Kind: KindMalformed, Method: m.String(), Detail: fmt.Sprintf(format, args...)}
}

// decodeResponse parses one response line (without its terminator) to a
// call of m with the given id. It returns a KindMalformed or KindRPC *Error
// when the line is not an acceptable answer.
func decodeResponse(line []byte, m methodID, id uint64, out *result) *Error {
	if fastResponse(line, m, id, out) {
		return nil
	}
	return decodeResponseSlow(line, m, id, out)
}

// decodeResponseSlow is decodeResponse with encoding/json only.
func decodeResponseSlow(line []byte, m methodID, id uint64, out *result) *Error {
	if len(bytes.TrimSpace(line)) == 0 {
		return malformed(m, "empty response line")
	}
	var resp wireResponse
	if err := json.Unmarshal(line, &resp); err != nil {
		return malformed(m, "%s", describeJSONError(err, "response"))
	}
	if resp.JSONRPC == nil || *resp.JSONRPC != "2.0" {
		return malformed(m, `response lacks "jsonrpc":"2.0"`)
	}
	rawID := bytes.TrimSpace(resp.ID)
	if resp.Error != nil && resp.Result != nil {
		return malformed(m, "response has both result and error")
	}
	if resp.Error != nil && bytes.Equal(rawID, []byte("null")) {
		// The shim could not read the request at all.
		return rpcError(m, resp.Error)
	}
	if len(rawID) == 0 {
		return malformed(m, "response lacks an id (want %d)", id)
	}
	var want [20]byte
	if !bytes.Equal(rawID, strconv.AppendUint(want[:0], id, 10)) {
		return malformed(m, "response id %s does not match request id %d", showJSON(rawID), id)
	}
	if resp.Error != nil {
		return rpcError(m, resp.Error)
	}
	r := resp.Result
	if r == nil {
		return malformed(m, "response has neither result nor error")
	}
	if r.HR == nil {
		return malformed(m, `result lacks "hr"`)
	}
	hr, ok := ParseHR(*r.HR)
	if !ok {
		return malformed(m, `result.hr %s is not an HRESULT like "0x8077000C"`, quoteTrunc(*r.HR, 40))
	}
	*out = result{hr: hr}
	switch m {
	case mHello:
		if hr != 0 {
			return &Error{Kind: KindRPC, Method: m.String(), Detail: "shim.hello answered hr " + FormatHR(hr)}
		}
		if r.Protocol == "" {
			return malformed(m, `result lacks "protocol"`)
		}
		out.hello = vdiapi.Hello{Protocol: r.Protocol, Implementation: r.Implementation, Version: r.Version}
		if r.Capabilities != nil {
			out.hello.Capabilities = *r.Capabilities
		}
	case mReset:
		if hr != 0 {
			return &Error{Kind: KindRPC, Method: m.String(), Detail: "shim.reset answered hr " + FormatHR(hr)}
		}
	case mGetConfiguration:
		if hr == 0 {
			if r.Config == nil {
				return malformed(m, `result lacks "config" (required when hr is 0x00000000)`)
			}
			out.config = *r.Config
		}
	case mGetCommand:
		if hr == 0 {
			// NOERROR without a command is the implementation's fault, not
			// the shim's: report it (ID 0) and let the runner judge it.
			if len(r.Command) == 0 || string(r.Command) == "null" {
				break
			}
			if r.Command[0] != '{' {
				return malformed(m, `result.command must be an object {id,code,size,position} or null when hr is 0x00000000`)
			}
			var c wireCommand
			if err := json.Unmarshal(r.Command, &c); err != nil {
				return malformed(m, "%s", describeJSONError(err, "result.command"))
			}
			switch {
			case c.ID == nil:
				return malformed(m, "result.command lacks \"id\"")
			case *c.ID == 0: // "no command", judged by the runner
			case c.Code == nil:
				return malformed(m, `result.command lacks "code"`)
			case c.Size == nil:
				return malformed(m, `result.command lacks "size"`)
			case c.Position == nil:
				return malformed(m, `result.command lacks "position"`)
			}
			if *c.ID != 0 {
				out.command = vdiapi.Command{ID: *c.ID, Code: *c.Code, Size: *c.Size, Position: *c.Position}
			}
		}
	case mServerSendCommand:
		if hr == 0 {
			v, err := strconv.ParseUint(string(r.Command), 10, 64)
			if err != nil || v == 0 {
				return malformed(m, "result.command must be the non-zero id of the queued command when hr is 0x00000000")
			}
			out.cmdID = v
		}
	}
	return nil
}

// showJSON renders a raw JSON value for a Detail: as is when it is short
// printable ASCII, quoted otherwise.
func showJSON(raw []byte) string {
	if len(raw) <= 40 {
		printable := true
		for _, c := range raw {
			if c < 0x20 || c >= 0x7f {
				printable = false
				break
			}
		}
		if printable {
			return string(raw)
		}
	}
	return quoteTrunc(string(raw), 40)
}

func rpcError(m methodID, e *wireError) *Error {
	if e.Code == nil {
		return malformed(m, `error object lacks "code"`)
	}
	return &Error{Kind: KindRPC, Method: m.String(),
		Detail: fmt.Sprintf("JSON-RPC error %d: %s", *e.Code, quoteTrunc(e.Message, 200))}
}

// describeJSONError turns an encoding/json error into a deterministic
// sentence naming the offending field.
func describeJSONError(err error, what string) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return what + " is not valid JSON (" + se.Error() + "); stdout must carry protocol lines only"
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return what + " is not a JSON object"
		}
		field := te.Field
		if what != "response" {
			field = what + "." + field
		}
		return fmt.Sprintf("field %s has the wrong type: got %s, want %s", field, te.Value, describeType(te.Type))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return what + " is truncated JSON"
	}
	return what + " cannot be decoded: " + err.Error()
}

func describeType(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Uint32:
		return "an integer in [0, 4294967295]"
	case reflect.Uint64:
		return "an integer in [0, 18446744073709551615]"
	case reflect.Int64, reflect.Int:
		return "an integer"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice:
		return "an array"
	}
	return "a " + t.Kind().String()
}
