package krb5gss

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	krbspnego "github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Credentials name a principal and hold its password; String never shows
// the password.
type Credentials struct {
	User, Realm string
	Password    string
}

// String returns user@REALM.
func (c Credentials) String() string { return c.User + "@" + c.Realm }

// GoString keeps %#v from printing the password.
func (c Credentials) GoString() string {
	return "krb5gss.Credentials{" + c.String() + " password redacted}"
}

// Config configures an Initiator.
type Config struct {
	Credentials Credentials
	// SPN is the service principal, e.g. host/server.example.
	SPN string
	// KRB5Conf is the Kerberos configuration (realms, KDCs).
	KRB5Conf *config.Config
}

// Initiator is a Kerberos initiator context requesting mutual
// authentication, integrity and confidentiality.
type Initiator struct {
	cfg        Config
	sessionKey types.EncryptionKey
	auth       types.Authenticator
	key        types.EncryptionKey
	acceptorSK bool
	sendSeq    uint64
	recvSeq    uint64
	step       int
	done       bool
}

// NewInitiator returns an initiator for cfg.
func NewInitiator(cfg Config) *Initiator { return &Initiator{cfg: cfg} }

// Step: the first call logs in, gets a service ticket and returns the
// AP-REQ token ([RFC 4121] §4.1, with the GSS checksum flags mutual,
// integrity and confidentiality and AP option mutual-required); the second
// consumes the acceptor's AP-REP and completes.
func (x *Initiator) Step(in []byte) ([]byte, bool, error) {
	switch x.step {
	case 0:
		c := x.cfg.Credentials
		cl := client.NewWithPassword(c.User, c.Realm, c.Password, x.cfg.KRB5Conf, client.DisablePAFXFAST(true))
		if err := cl.Login(); err != nil {
			return nil, false, fmt.Errorf("krb5: login as %v: %w", c, scrub(err, c.Password))
		}
		tkt, key, err := cl.GetServiceTicket(x.cfg.SPN)
		if err != nil {
			return nil, false, fmt.Errorf("krb5: service ticket for %s: %w", x.cfg.SPN, scrub(err, c.Password))
		}
		tok, err := krbspnego.NewKRB5TokenAPREQ(cl, tkt, key,
			[]int{gssapi.ContextFlagMutual, gssapi.ContextFlagInteg, gssapi.ContextFlagConf},
			[]int{flags.APOptionMutualRequired})
		if err != nil {
			return nil, false, fmt.Errorf("krb5: AP-REQ: %w", err)
		}
		if err := tok.APReq.DecryptAuthenticator(key); err != nil {
			return nil, false, fmt.Errorf("krb5: reading back the authenticator: %w", err)
		}
		x.sessionKey, x.key, x.auth = key, key, tok.APReq.Authenticator
		x.sendSeq = uint64(uint32(x.auth.SeqNumber))
		out, err := tok.Marshal()
		if err != nil {
			return nil, false, fmt.Errorf("krb5: AP-REQ: %w", err)
		}
		x.step++
		return out, false, nil
	case 1:
		var tok krbspnego.KRB5Token
		if err := tok.Unmarshal(in); err != nil {
			return nil, false, fmt.Errorf("krb5: the acceptor's token: %w", err)
		}
		if tok.IsKRBError() {
			return nil, false, fmt.Errorf("krb5: the acceptor answered with KRB-ERROR %d (%s)", tok.KRBError.ErrorCode, tok.KRBError.EText)
		}
		if !tok.IsAPRep() {
			return nil, false, errors.New("krb5: the acceptor's token is not an AP-REP")
		}
		b, err := crypto.DecryptEncPart(tok.APRep.EncPart, x.sessionKey, keyusage.AP_REP_ENCPART)
		if err != nil {
			return nil, false, fmt.Errorf("krb5: decrypting the AP-REP (mutual authentication failed): %w", err)
		}
		var enc messages.EncAPRepPart
		if err := enc.Unmarshal(b); err != nil {
			return nil, false, fmt.Errorf("krb5: EncAPRepPart: %w", err)
		}
		// RFC 4120 §3.2.5: the AP-REP echoes the authenticator's ctime and
		// cusec (x.auth is the authenticator as encoded, in whole seconds).
		if !enc.CTime.Equal(x.auth.CTime) || enc.Cusec != x.auth.Cusec {
			return nil, false, fmt.Errorf("krb5: the AP-REP's ctime/cusec do not match the authenticator (mutual authentication failed)")
		}
		if enc.Subkey.KeyType != 0 && len(enc.Subkey.KeyValue) > 0 {
			x.key, x.acceptorSK = enc.Subkey, true
		}
		x.recvSeq = uint64(uint32(enc.SequenceNumber))
		x.step++
		x.done = true
		return nil, true, nil
	}
	return nil, true, errors.New("krb5: context already established")
}

// scrub removes the password from a library error's text.
func scrub(err error, pw string) error {
	if pw == "" || !bytes.Contains([]byte(err.Error()), []byte(pw)) {
		return err
	}
	return errors.New(string(bytes.ReplaceAll([]byte(err.Error()), []byte(pw), []byte("<redacted>"))))
}

// Integrity reports whether the context is established (integrity is
// always requested and MIT/Windows acceptors grant it).
func (x *Initiator) Integrity() bool { return x.done }

// Confidentiality reports whether the context is established (sealing is
// always requested).
func (x *Initiator) Confidentiality() bool { return x.done }
