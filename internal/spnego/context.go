package spnego

import (
	"errors"
	"fmt"
)

// Mechanism is the inner security context SPNEGO negotiates: a stepping
// context with per-message protection and MICs (ntlm.ClientContext and
// ntlm.ServerContext are ones).
type Mechanism interface {
	Step(in []byte) (out []byte, done bool, err error)
	Wrap(msg []byte) ([]byte, error)
	Unwrap(token []byte) ([]byte, error)
	GetMIC(msg []byte) ([]byte, error)
	VerifyMIC(msg, sig []byte) error
	Integrity() bool
	Confidentiality() bool
}

// cryptoResetter is implemented by mechanisms whose per-message state
// restarts once the mechListMIC has been exchanged (NTLM: MIT's SPNEGO with
// gss-ntlmssp, and Samba, re-key the RC4 handles then).
type cryptoResetter interface{ ResetCrypto() }

func resetAfterMIC(m Mechanism) {
	if r, ok := m.(cryptoResetter); ok {
		r.ResetCrypto()
	}
}

// ErrRejected is wrapped when the peer answers with negState reject.
var ErrRejected = errors.New("spnego: the peer rejected the negotiation")

// ErrMechListMIC is wrapped when a mechListMIC is missing or does not
// verify (a downgrade of the mechanism list, [RFC 4178] §5).
var ErrMechListMIC = errors.New("spnego: mechListMIC missing or invalid")

// Initiator is the SPNEGO initiator around one mechanism, offered alone
// with an optimistic token ([RFC 4178] §3.2).
type Initiator struct {
	mech     Mechanism
	oid      OID
	mechDER  []byte
	step     int
	mechDone bool
	sentMIC  bool
	done     bool
}

// NewInitiator returns an initiator offering mech under oid.
func NewInitiator(oid OID, mech Mechanism) *Initiator {
	return &Initiator{mech: mech, oid: oid}
}

// Step produces the next token. The exchange is: NegTokenInit with the
// mechanism's first token; the acceptor's accept-incomplete with its
// token; our NegTokenResp with the mechanism's next token and, once the
// mechanism is established with integrity, our mechListMIC; the
// acceptor's accept-completed with its mechListMIC, which is verified.
func (x *Initiator) Step(in []byte) (out []byte, done bool, err error) {
	if x.done {
		return nil, true, errors.New("spnego: context already established")
	}
	if x.step == 0 {
		x.step++
		tok, mdone, err := x.mech.Step(nil)
		if err != nil {
			return nil, false, err
		}
		x.mechDone = mdone
		x.mechDER = MarshalMechTypes([]OID{x.oid})
		t := NegTokenInit{MechTypes: []OID{x.oid}, MechToken: tok}
		return t.Marshal(), false, nil
	}
	x.step++
	resp, err := ParseNegTokenResp(in)
	if err != nil {
		return nil, false, fmt.Errorf("spnego: the acceptor's token: %w", err)
	}
	switch resp.NegState {
	case Reject:
		return nil, false, fmt.Errorf("%w (negState reject)", ErrRejected)
	case AcceptCompleted, AcceptIncomplete, RequestMIC, NegStateAbsent:
	}
	if resp.SupportedMech != "" && resp.SupportedMech != x.oid {
		return nil, false, fmt.Errorf("spnego: the acceptor chose %v, only %v was offered", resp.SupportedMech, x.oid)
	}
	var mechOut []byte
	if len(resp.ResponseToken) > 0 {
		if x.mechDone {
			return nil, false, errors.New("spnego: a mechanism token after the mechanism was established")
		}
		var mdone bool
		if mechOut, mdone, err = x.mech.Step(resp.ResponseToken); err != nil {
			return nil, false, err
		}
		x.mechDone = mdone
	}
	if !x.mechDone {
		if resp.NegState == AcceptCompleted {
			return nil, false, errors.New("spnego: accept-completed before the mechanism was established")
		}
		return (&NegTokenResp{NegState: NegStateAbsent, ResponseToken: mechOut}).Marshal(), false, nil
	}
	if resp.NegState == AcceptCompleted {
		// The acceptor is done. Its mechListMIC must verify when we sent
		// one (the NTLM case, which takes a third leg); when the acceptor
		// completed at once on our only, optimistic mechanism (Kerberos)
		// the MIC is optional ([RFC 4178] §5: nothing could be downgraded)
		// and is checked only if present.
		if x.mech.Integrity() && (x.sentMIC || resp.MechListMIC != nil) {
			if resp.MechListMIC == nil {
				return nil, false, fmt.Errorf("%w: the acceptor sent none", ErrMechListMIC)
			}
			if err := x.mech.VerifyMIC(x.mechDER, resp.MechListMIC); err != nil {
				return nil, false, fmt.Errorf("%w: %w", ErrMechListMIC, err)
			}
			resetAfterMIC(x.mech)
		}
		if mechOut != nil {
			return nil, false, errors.New("spnego: the mechanism has a token left after accept-completed")
		}
		x.done = true
		return nil, true, nil
	}
	// Our mechanism just finished: send its last token and our MIC.
	t := NegTokenResp{NegState: NegStateAbsent, ResponseToken: mechOut}
	if x.mech.Integrity() {
		if t.MechListMIC, err = x.mech.GetMIC(x.mechDER); err != nil {
			return nil, false, err
		}
		x.sentMIC = true
	}
	return t.Marshal(), false, nil
}

// Wrap protects msg with the negotiated mechanism.
func (x *Initiator) Wrap(msg []byte) ([]byte, error) { return x.mech.Wrap(msg) }

// Unwrap verifies a token with the negotiated mechanism.
func (x *Initiator) Unwrap(tok []byte) ([]byte, error) { return x.mech.Unwrap(tok) }

// Integrity reports the mechanism's integrity.
func (x *Initiator) Integrity() bool { return x.done && x.mech.Integrity() }

// Confidentiality reports the mechanism's confidentiality.
func (x *Initiator) Confidentiality() bool { return x.done && x.mech.Confidentiality() }

// Acceptor is an SPNEGO acceptor for one mechanism, for tests.
type Acceptor struct {
	mech    Mechanism
	oid     OID
	mechDER []byte
	step    int
	done    bool
}

// NewAcceptor returns an acceptor that accepts only oid, with mech.
func NewAcceptor(oid OID, mech Mechanism) *Acceptor { return &Acceptor{mech: mech, oid: oid} }

// Step consumes the initiator's token.
func (x *Acceptor) Step(in []byte) (out []byte, done bool, err error) {
	if x.done {
		return nil, true, errors.New("spnego: context already established")
	}
	var mechIn, mic []byte
	if x.step == 0 {
		init, der, err := ParseNegTokenInit(in)
		if err != nil {
			return nil, false, err
		}
		if init.MechTypes[0] != x.oid || init.MechToken == nil {
			return nil, false, fmt.Errorf("spnego: the initiator's first mechanism is %v with no optimistic token for %v", init.MechTypes[0], x.oid)
		}
		x.mechDER = der
		mechIn, mic = init.MechToken, init.MechListMIC
	} else {
		resp, err := ParseNegTokenResp(in)
		if err != nil {
			return nil, false, err
		}
		if resp.NegState == Reject {
			return nil, false, fmt.Errorf("%w (negState reject)", ErrRejected)
		}
		mechIn, mic = resp.ResponseToken, resp.MechListMIC
	}
	first := x.step == 0
	x.step++
	mechOut, mdone, err := x.mech.Step(mechIn)
	if err != nil {
		return nil, false, err
	}
	if !mdone {
		t := NegTokenResp{NegState: AcceptIncomplete, ResponseToken: mechOut}
		if first {
			t.SupportedMech = x.oid
		}
		return t.Marshal(), false, nil
	}
	t := NegTokenResp{NegState: AcceptCompleted, ResponseToken: mechOut}
	if first {
		t.SupportedMech = x.oid
	}
	if x.mech.Integrity() {
		if mic == nil {
			return nil, false, fmt.Errorf("%w: the initiator sent none", ErrMechListMIC)
		}
		if err := x.mech.VerifyMIC(x.mechDER, mic); err != nil {
			return nil, false, fmt.Errorf("%w: %w", ErrMechListMIC, err)
		}
		if t.MechListMIC, err = x.mech.GetMIC(x.mechDER); err != nil {
			return nil, false, err
		}
		resetAfterMIC(x.mech)
	}
	x.done = true
	return t.Marshal(), true, nil
}

// Wrap protects msg with the negotiated mechanism.
func (x *Acceptor) Wrap(msg []byte) ([]byte, error) { return x.mech.Wrap(msg) }

// Unwrap verifies a token with the negotiated mechanism.
func (x *Acceptor) Unwrap(tok []byte) ([]byte, error) { return x.mech.Unwrap(tok) }

// Integrity reports the mechanism's integrity.
func (x *Acceptor) Integrity() bool { return x.done && x.mech.Integrity() }

// Confidentiality reports the mechanism's confidentiality.
func (x *Acceptor) Confidentiality() bool { return x.done && x.mech.Confidentiality() }
