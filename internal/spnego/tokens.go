package spnego

import "fmt"

// NegState is the negState of a NegTokenResp ([RFC 4178] §4.2.2).
type NegState int

// The negState values; NegStateAbsent marks a token without the field.
const (
	AcceptCompleted  NegState = 0
	AcceptIncomplete NegState = 1
	Reject           NegState = 2
	RequestMIC       NegState = 3
	NegStateAbsent   NegState = -1
)

func (s NegState) String() string {
	switch s {
	case AcceptCompleted:
		return "accept-completed"
	case AcceptIncomplete:
		return "accept-incomplete"
	case Reject:
		return "reject"
	case RequestMIC:
		return "request-mic"
	case NegStateAbsent:
		return "absent"
	}
	return fmt.Sprintf("negState(%d)", int(s))
}

// NegTokenInit is the initiator's first token ([RFC 4178] §4.2.1).
// ReqFlags is the raw BIT STRING content (deprecated; parsed and kept).
type NegTokenInit struct {
	MechTypes   []OID
	ReqFlags    []byte
	MechToken   []byte
	MechListMIC []byte
}

// NegTokenResp is every later token ([RFC 4178] §4.2.2).
type NegTokenResp struct {
	NegState      NegState
	SupportedMech OID
	ResponseToken []byte
	MechListMIC   []byte
}

// MarshalMechTypes returns the DER of the MechTypeList, the octets the
// mechListMIC covers ([RFC 4178] §5).
func MarshalMechTypes(mechs []OID) []byte {
	var c []byte
	for _, m := range mechs {
		c = appendTLV(c, tagOID, []byte(m))
	}
	return appendTLV(nil, tagSequence, c)
}

// Marshal returns the initial context token: [APPLICATION 0] { SPNEGO
// OID, [0] NegTokenInit } ([RFC 2743] §3.1, [RFC 4178] §4.2).
func (t *NegTokenInit) Marshal() []byte {
	var seq []byte
	seq = appendTLV(seq, tagContext(0), MarshalMechTypes(t.MechTypes))
	if t.ReqFlags != nil {
		seq = appendTLV(seq, tagContext(1), appendTLV(nil, tagBitString, t.ReqFlags))
	}
	if t.MechToken != nil {
		seq = appendTLV(seq, tagContext(2), appendTLV(nil, tagOctetString, t.MechToken))
	}
	if t.MechListMIC != nil {
		seq = appendTLV(seq, tagContext(3), appendTLV(nil, tagOctetString, t.MechListMIC))
	}
	inner := appendTLV(nil, tagContext(0), appendTLV(nil, tagSequence, seq))
	body := append(appendTLV(nil, tagOID, []byte(OIDSPNEGO)), inner...)
	return appendTLV(nil, tagApplication, body)
}

// Marshal returns the token: [1] NegTokenResp.
func (t *NegTokenResp) Marshal() []byte {
	var seq []byte
	if t.NegState != NegStateAbsent {
		seq = appendTLV(seq, tagContext(0), appendTLV(nil, tagEnumerated, []byte{byte(t.NegState)}))
	}
	if t.SupportedMech != "" {
		seq = appendTLV(seq, tagContext(1), appendTLV(nil, tagOID, []byte(t.SupportedMech)))
	}
	if t.ResponseToken != nil {
		seq = appendTLV(seq, tagContext(2), appendTLV(nil, tagOctetString, t.ResponseToken))
	}
	if t.MechListMIC != nil {
		seq = appendTLV(seq, tagContext(3), appendTLV(nil, tagOctetString, t.MechListMIC))
	}
	return appendTLV(nil, tagContext(1), appendTLV(nil, tagSequence, seq))
}

// maxMechs bounds the mechanism list.
const maxMechs = 32

// ParseNegTokenInit parses an initial context token. It also returns the
// DER of the MechTypeList as received (what the mechListMIC covers).
func ParseNegTokenInit(b []byte) (*NegTokenInit, []byte, error) {
	app, rest, err := expect(b, tagApplication, "InitialContextToken")
	if err != nil {
		return nil, nil, err
	}
	if len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: %d octets after the initial token", ErrMalformed, len(rest))
	}
	oid, app, err := expect(app, tagOID, "thisMech")
	if err != nil {
		return nil, nil, err
	}
	if OID(oid) != OIDSPNEGO {
		return nil, nil, fmt.Errorf("%w: initial token for mechanism %v, not SPNEGO", ErrMalformed, OID(oid))
	}
	inner, app, err := expect(app, tagContext(0), "negTokenInit")
	if err != nil {
		return nil, nil, err
	}
	if len(app) != 0 {
		return nil, nil, fmt.Errorf("%w: octets after negTokenInit", ErrMalformed)
	}
	seq, tail, err := expect(inner, tagSequence, "NegTokenInit")
	if err != nil {
		return nil, nil, err
	}
	if len(tail) != 0 {
		return nil, nil, fmt.Errorf("%w: octets after the NegTokenInit sequence", ErrMalformed)
	}
	t := &NegTokenInit{}
	var mechDER []byte
	last := -1
	for len(seq) > 0 {
		tag, c, r, err := readTLV(seq)
		if err != nil {
			return nil, nil, fmt.Errorf("NegTokenInit: %w", err)
		}
		n := int(tag) - 0xa0
		if n < 0 || n > 4 || n <= last {
			return nil, nil, fmt.Errorf("%w: NegTokenInit field tag %#02x out of order or unknown", ErrMalformed, tag)
		}
		last = n
		switch n {
		case 0:
			list, tail, err := expect(c, tagSequence, "mechTypes")
			if err != nil || len(tail) != 0 {
				return nil, nil, fmt.Errorf("%w: mechTypes (%v)", ErrMalformed, err)
			}
			mechDER = c
			for len(list) > 0 {
				var o []byte
				if o, list, err = expect(list, tagOID, "MechType"); err != nil {
					return nil, nil, err
				}
				if len(o) == 0 || len(t.MechTypes) == maxMechs {
					return nil, nil, fmt.Errorf("%w: empty OID or more than %d mechanisms", ErrMalformed, maxMechs)
				}
				t.MechTypes = append(t.MechTypes, OID(o))
			}
		case 1:
			if t.ReqFlags, err = single(c, tagBitString, "reqFlags"); err != nil {
				return nil, nil, err
			}
		case 2:
			if t.MechToken, err = single(c, tagOctetString, "mechToken"); err != nil {
				return nil, nil, err
			}
		case 3:
			if t.MechListMIC, err = single(c, tagOctetString, "mechListMIC"); err != nil {
				return nil, nil, err
			}
		case 4:
			// negHints ([MS-SPNG] §2.2.1), sent by some Windows acceptors in
			// a NegTokenInit2; ignored.
		}
		seq = r
	}
	if len(t.MechTypes) == 0 {
		return nil, nil, fmt.Errorf("%w: NegTokenInit without mechTypes", ErrMalformed)
	}
	return t, mechDER, nil
}

// single reads an element that must be the only content of its wrapper.
func single(b []byte, tag byte, what string) ([]byte, error) {
	c, rest, err := expect(b, tag, what)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: octets after %s", ErrMalformed, what)
	}
	if c == nil {
		c = []byte{}
	}
	return c, nil
}

// ParseNegTokenResp parses a [1] NegTokenResp token.
func ParseNegTokenResp(b []byte) (*NegTokenResp, error) {
	outer, rest, err := expect(b, tagContext(1), "negTokenResp")
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d octets after negTokenResp", ErrMalformed, len(rest))
	}
	seq, tail, err := expect(outer, tagSequence, "NegTokenResp")
	if err != nil {
		return nil, err
	}
	if len(tail) != 0 {
		return nil, fmt.Errorf("%w: octets after the NegTokenResp sequence", ErrMalformed)
	}
	t := &NegTokenResp{NegState: NegStateAbsent}
	last := -1
	for len(seq) > 0 {
		tag, c, r, err := readTLV(seq)
		if err != nil {
			return nil, fmt.Errorf("NegTokenResp: %w", err)
		}
		n := int(tag) - 0xa0
		if n < 0 || n > 3 || n <= last {
			return nil, fmt.Errorf("%w: NegTokenResp field tag %#02x out of order or unknown", ErrMalformed, tag)
		}
		last = n
		switch n {
		case 0:
			e, err := single(c, tagEnumerated, "negState")
			if err != nil {
				return nil, err
			}
			if len(e) != 1 || e[0] > 3 {
				return nil, fmt.Errorf("%w: negState % x", ErrMalformed, e)
			}
			t.NegState = NegState(e[0])
		case 1:
			o, err := single(c, tagOID, "supportedMech")
			if err != nil {
				return nil, err
			}
			if len(o) == 0 {
				return nil, fmt.Errorf("%w: empty supportedMech", ErrMalformed)
			}
			t.SupportedMech = OID(o)
		case 2:
			if t.ResponseToken, err = single(c, tagOctetString, "responseToken"); err != nil {
				return nil, err
			}
		case 3:
			if t.MechListMIC, err = single(c, tagOctetString, "mechListMIC"); err != nil {
				return nil, err
			}
		}
		seq = r
	}
	return t, nil
}
