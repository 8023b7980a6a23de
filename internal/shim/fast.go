package shim

import (
	"math"

	"github.com/specgate/specgate/internal/vdiapi"
)

// Fast paths for the hot lines of the protocol. Each one accepts only the
// plain shape specgate itself produces (known keys spelled exactly, no
// duplicates, printable-ASCII strings without escapes, non-negative
// integers) and answers "not handled" for anything else, which then goes
// through encoding/json and its precise error messages. A fast path never
// reports an error and never accepts a line the slow path would reject or
// decode differently; FuzzFastPaths checks that.

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// eat consumes c after optional whitespace.
func (s *scanner) eat(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes.
func (s *scanner) str() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == '"' {
			s.i++
			return s.b[start : s.i-1], true
		}
		if c < 0x20 || c > 0x7e || c == '\\' {
			return nil, false
		}
		s.i++
	}
	return nil, false
}

// key reads an object key and the colon after it.
func (s *scanner) key() ([]byte, bool) {
	k, ok := s.str()
	if !ok || !s.eat(':') {
		return nil, false
	}
	return k, true
}

// uint reads a non-negative integer no larger than max.
func (s *scanner) uint(max uint64) (uint64, bool) {
	s.ws()
	start := s.i
	var v uint64
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c < '0' || c > '9' {
			break
		}
		d := uint64(c - '0')
		if v > (max-d)/10 {
			return 0, false
		}
		v = v*10 + d
		s.i++
	}
	n := s.i - start
	if n == 0 || (n > 1 && s.b[start] == '0') {
		return 0, false
	}
	// A fraction or exponent would follow directly.
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return v, true
}

func (s *scanner) u32() (uint32, bool) {
	v, ok := s.uint(math.MaxUint32)
	return uint32(v), ok
}

func (s *scanner) u64() (uint64, bool) { return s.uint(math.MaxUint64) }

// object calls member for each key of an object; member returns false to
// give up. Duplicate keys are detected by member through seen bits.
func (s *scanner) object(member func(k []byte) bool) bool {
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		return true
	}
	for {
		k, ok := s.key()
		if !ok || !member(k) {
			return false
		}
		if s.eat(',') {
			continue
		}
		return s.eat('}')
	}
}

// end reports whether only whitespace remains.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// seen tracks keys met in one object.
type seen uint32

func (f *seen) first(bit uint32) bool {
	if uint32(*f)&bit != 0 {
		return false
	}
	*f |= seen(bit)
	return true
}

func (s *scanner) config(c *vdiapi.Config) bool {
	var keys seen
	return s.object(func(k []byte) bool {
		var p *uint32
		var bit uint32
		switch string(k) {
		case "deviceCount":
			p, bit = &c.DeviceCount, 1
		case "features":
			p, bit = &c.Features, 2
		case "prefixZoneSize":
			p, bit = &c.PrefixZoneSize, 4
		case "alignment":
			p, bit = &c.Alignment, 8
		case "softFileMarkBlockSize":
			p, bit = &c.SoftFileMarkBlockSize, 16
		case "EOMWarningSize":
			p, bit = &c.EOMWarningSize, 32
		case "serverTimeOut":
			p, bit = &c.ServerTimeOut, 64
		case "blockSize":
			p, bit = &c.BlockSize, 128
		case "maxIODepth":
			p, bit = &c.MaxIODepth, 256
		case "maxTransferSize":
			p, bit = &c.MaxTransferSize, 512
		case "bufferAreaSize":
			p, bit = &c.BufferAreaSize, 1024
		default:
			return false
		}
		if !keys.first(bit) {
			return false
		}
		var ok bool
		*p, ok = s.u32()
		return ok
	})
}

// fastResponse decodes the common shapes of a successful response.
func fastResponse(line []byte, m methodID, id uint64, out *result) bool {
	if m == mHello {
		return false
	}
	s := scanner{b: line}
	var (
		top, res, cmdKeys seen
		gotID             uint64
		hr                uint32
		r                 result
	)
	ok := s.object(func(k []byte) bool {
		switch string(k) {
		case "jsonrpc":
			v, ok := s.str()
			return top.first(1) && ok && string(v) == "2.0"
		case "id":
			var ok bool
			gotID, ok = s.u64()
			return top.first(2) && ok
		case "result":
			return top.first(4) && s.object(func(k []byte) bool {
				switch string(k) {
				case "hr":
					v, ok := s.str()
					if !ok || !res.first(1) {
						return false
					}
					hr, ok = parseHR(v)
					return ok
				case "config":
					return m == mGetConfiguration && res.first(2) && s.config(&r.config)
				case "command":
					if !res.first(4) {
						return false
					}
					switch m {
					case mServerSendCommand:
						var ok bool
						r.cmdID, ok = s.u64()
						return ok
					case mGetCommand:
						return s.object(func(k []byte) bool {
							var ok bool
							switch string(k) {
							case "id":
								r.command.ID, ok = s.u64()
								return ok && cmdKeys.first(1)
							case "code":
								r.command.Code, ok = s.u32()
								return ok && cmdKeys.first(2)
							case "size":
								r.command.Size, ok = s.u32()
								return ok && cmdKeys.first(4)
							case "position":
								r.command.Position, ok = s.u64()
								return ok && cmdKeys.first(8)
							}
							return false
						})
					}
				}
				return false
			})
		}
		return false
	})
	if !ok || !s.end() || top != 7 || gotID != id || res&1 == 0 {
		return false
	}
	r.hr = hr
	switch m {
	case mReset:
		if hr != 0 {
			return false
		}
	case mGetConfiguration:
		if hr == 0 && res&2 == 0 {
			return false
		}
	case mGetCommand:
		if hr == 0 && (cmdKeys != 15 || r.command.ID == 0) {
			return false
		}
	case mServerSendCommand:
		if hr == 0 && (res&4 == 0 || r.cmdID == 0) {
			return false
		}
	}
	// Out-values only count when the call succeeded.
	if hr != 0 {
		r.config, r.command, r.cmdID = vdiapi.Config{}, vdiapi.Command{}, 0
	}
	*out = r
	return true
}

// Presence bits of params fields.
const (
	pProtocol uint32 = 1 << iota
	pProfile
	pSet
	pInstance
	pConfig
	pTimeout
	pDevice
	pCommand
	pCompletionCode
	pBytesTransferred
	pPosition
	pDevices
	pCode
	pSize
)

// params are the decoded params of a request; has holds presence bits.
type params struct {
	has                                       uint32
	protocol, profile, set, instance, device  string
	config                                    vdiapi.Config
	timeout, completionCode, bytesTransferred uint32
	code, size                                uint32
	command, position                         uint64
	devices                                   []string
}

// fastRequest decodes the common shape of a request. id aliases line.
func fastRequest(line []byte, p *params) (id []byte, m methodID, ok bool) {
	s := scanner{b: line}
	var top seen
	ok = s.object(func(k []byte) bool {
		switch string(k) {
		case "jsonrpc":
			v, ok := s.str()
			return top.first(1) && ok && string(v) == "2.0"
		case "id":
			s.ws()
			start := s.i
			if _, ok := s.u64(); !ok || !top.first(2) {
				return false
			}
			id = line[start:s.i]
			return true
		case "method":
			v, ok := s.str()
			if !ok || !top.first(4) {
				return false
			}
			m, ok = lookupMethod(string(v))
			return ok
		case "params":
			return top.first(8) && s.params(p)
		}
		return false
	})
	if !ok || !s.end() || top != 15 || p.missing(m) != "" {
		return nil, 0, false
	}
	return id, m, true
}

func (s *scanner) params(p *params) bool {
	return s.object(func(k []byte) bool {
		var bit uint32
		var ok bool
		str := func(dst *string) {
			var v []byte
			v, ok = s.str()
			*dst = string(v)
		}
		switch string(k) {
		case "protocol":
			bit = pProtocol
			str(&p.protocol)
		case "profile":
			bit = pProfile
			str(&p.profile)
		case "set":
			bit = pSet
			str(&p.set)
		case "instance":
			bit = pInstance
			str(&p.instance)
		case "device":
			bit = pDevice
			str(&p.device)
		case "config":
			bit = pConfig
			ok = s.config(&p.config)
		case "timeout":
			bit = pTimeout
			p.timeout, ok = s.u32()
		case "completionCode":
			bit = pCompletionCode
			p.completionCode, ok = s.u32()
		case "bytesTransferred":
			bit = pBytesTransferred
			p.bytesTransferred, ok = s.u32()
		case "code":
			bit = pCode
			p.code, ok = s.u32()
		case "size":
			bit = pSize
			p.size, ok = s.u32()
		case "command":
			bit = pCommand
			p.command, ok = s.u64()
		case "position":
			bit = pPosition
			p.position, ok = s.u64()
		case "devices":
			bit = pDevices
			ok = s.strings(&p.devices)
		default:
			return false
		}
		if !ok || p.has&bit != 0 {
			return false
		}
		p.has |= bit
		return true
	})
}

func (s *scanner) strings(dst *[]string) bool {
	if !s.eat('[') {
		return false
	}
	list := []string{}
	if s.eat(']') {
		*dst = list
		return true
	}
	for {
		v, ok := s.str()
		if !ok {
			return false
		}
		list = append(list, string(v))
		if s.eat(',') {
			continue
		}
		if !s.eat(']') {
			return false
		}
		*dst = list
		return true
	}
}
