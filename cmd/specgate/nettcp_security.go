package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/jcmturner/gokrb5/v8/config"

	"github.com/specgate/specgate/internal/krb5gss"
	"github.com/specgate/specgate/internal/nettcp/nns"
	"github.com/specgate/specgate/internal/ntlm"
	"github.com/specgate/specgate/internal/spnego"
)

// netTCPSecurity returns the dial hook for --security transport: MS-NNS
// (NegotiateStream, [MS-NNS]) on the MC-NMF upgrade "application/negotiate",
// with --auth negotiate (SPNEGO around Kerberos when the user is
// user@REALM, around NTLM otherwise), kerberos or ntlm, and --protection
// encryptandsign (the NetTcpBinding default), sign or none. The account
// comes from the credential sources ($SPECGATE_AUTH or --auth-file,
// USER:PASSWORD with USER as DOMAIN\user or user@REALM), never from a flag.
// It returns nil for --security none (or unset).
func netTCPSecurity(rf *runFlags, endpoint string, enc byte) (func(ctx context.Context, network, addr string) (net.Conn, error), error) {
	switch strings.ToLower(rf.security) {
	case "", "none":
		return nil, nil
	case "transport":
	default:
		return nil, usagef("--security must be none or transport, got %q", rf.security)
	}
	level, err := nns.ParseProtectionLevel(rf.protection)
	if err != nil {
		return nil, usagef("--protection must be encryptandsign, sign or none, got %q", rf.protection)
	}
	user, pw, err := accountOf(rf.auth)
	if err != nil {
		return nil, usagef("--security transport: %v", err)
	}
	via := rf.via
	if via == "" {
		via = endpoint
	}
	u, err := url.Parse(via)
	if err != nil {
		return nil, usagef("--via: %v", err)
	}
	spn := rf.spn
	if spn == "" {
		spn = "host/" + u.Hostname()
	}
	mech := strings.ToLower(rf.authMech)
	domain, name, realm := splitAccount(user)
	if mech == "negotiate" && realm != "" {
		mech = "spnego-kerberos"
	}
	var newCtx func() (nns.SecurityContext, error)
	switch mech {
	case "ntlm", "negotiate":
		ncfg := ntlm.ClientConfig{
			Credentials: ntlm.Credentials{Domain: domain, User: name, Password: pw},
			Workstation: "SPECGATE", TargetName: spn,
			Integrity: level >= nns.Sign, Confidentiality: level == nns.EncryptAndSign,
		}
		newCtx = func() (nns.SecurityContext, error) {
			if mech == "ntlm" {
				return ntlm.NewClientContext(ncfg), nil
			}
			return spnego.NewInitiator(spnego.OIDNTLM, ntlm.NewClientContext(ncfg)), nil
		}
	case "kerberos", "spnego-kerberos":
		if realm == "" {
			return nil, usagef("--auth kerberos needs the account as user@REALM in $%s or --auth-file", AuthEnv)
		}
		kc, err := krb5Config()
		if err != nil {
			return nil, usagef("--auth kerberos: %v", err)
		}
		kcfg := krb5gss.Config{Credentials: krb5gss.Credentials{User: name, Realm: realm, Password: pw}, SPN: spn, KRB5Conf: kc}
		newCtx = func() (nns.SecurityContext, error) {
			if mech == "kerberos" {
				return krb5gss.NewInitiator(kcfg), nil
			}
			return spnego.NewInitiator(spnego.OIDKerberos, krb5gss.NewInitiator(kcfg)), nil
		}
	default:
		return nil, usagef("--auth must be negotiate, kerberos or ntlm, got %q", rf.authMech)
	}
	d := &nns.Dialer{Via: via, Encoding: enc, NewContext: newCtx, Config: nns.Config{Level: level}}
	return d.DialContext, nil
}

// accountOf recovers USER:PASSWORD from the loaded credential (loadAuth
// keeps it as an HTTP Basic header value).
func accountOf(auth string) (user, password string, err error) {
	b, ok := strings.CutPrefix(auth, "Basic ")
	if !ok {
		return "", "", fmt.Errorf("the account must be USER:PASSWORD in $%s or --auth-file", AuthEnv)
	}
	dec, err := base64.StdEncoding.DecodeString(b)
	if err != nil {
		return "", "", errors.New("the credential is not valid base64")
	}
	user, password, ok = strings.Cut(string(dec), ":")
	if !ok || user == "" {
		return "", "", fmt.Errorf("the account must be USER:PASSWORD in $%s or --auth-file", AuthEnv)
	}
	return user, password, nil
}

// splitAccount splits DOMAIN\user or user@REALM.
func splitAccount(user string) (domain, name, realm string) {
	if d, n, ok := strings.Cut(user, `\`); ok {
		return d, n, ""
	}
	if n, r, ok := strings.Cut(user, "@"); ok {
		return strings.ToUpper(strings.SplitN(r, ".", 2)[0]), n, strings.ToUpper(r)
	}
	return "", user, ""
}

// krb5Config loads $KRB5_CONFIG (or /etc/krb5.conf).
func krb5Config() (*config.Config, error) {
	path := os.Getenv("KRB5_CONFIG")
	if path == "" {
		path = "/etc/krb5.conf"
	}
	c, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("krb5.conf %s: %w", path, err)
	}
	return c, nil
}
