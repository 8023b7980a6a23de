package main

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestAccountParsing(t *testing.T) {
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(`TEST\alice:pa:ss`))
	u, pw, err := accountOf(auth)
	if err != nil || u != `TEST\alice` || pw != "pa:ss" {
		t.Fatalf("accountOf = %q %q %v", u, pw, err)
	}
	if _, _, err := accountOf("Bearer tok"); err == nil || strings.Contains(err.Error(), "tok") {
		t.Fatalf("a bearer token: %v", err)
	}
	for in, want := range map[string][3]string{
		`TEST\alice`:           {"TEST", "alice", ""},
		"alice@test.local":     {"TEST", "alice", "TEST.LOCAL"},
		"alice":                {"", "alice", ""},
		`CORP\bob@example.com`: {"CORP", "bob@example.com", ""},
	} {
		d, n, r := splitAccount(in)
		if [3]string{d, n, r} != want {
			t.Errorf("splitAccount(%q) = %q %q %q, want %v", in, d, n, r, want)
		}
	}
}

func TestNetTCPSecurityFlags(t *testing.T) {
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(`TEST\alice:pw`))
	for _, c := range []struct {
		rf   runFlags
		want string // "" for success
	}{
		{runFlags{security: "none"}, ""},
		{runFlags{security: "transport", authMech: "ntlm", protection: "encryptandsign", auth: auth}, ""},
		{runFlags{security: "transport", authMech: "negotiate", protection: "sign", auth: auth}, ""},
		{runFlags{security: "tls"}, "--security"},
		{runFlags{security: "transport", authMech: "ntlm", protection: "max", auth: auth}, "--protection"},
		{runFlags{security: "transport", authMech: "digest", protection: "none", auth: auth}, "--auth"},
		{runFlags{security: "transport", authMech: "kerberos", protection: "none", auth: auth}, "user@REALM"},
		{runFlags{security: "transport", authMech: "ntlm", protection: "none"}, "USER:PASSWORD"},
	} {
		_, err := netTCPSecurity(&c.rf, "net.tcp://127.0.0.1:1/ipam", 0x08)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.rf.security, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s/%s/%s: err = %v, want %q", c.rf.security, c.rf.authMech, c.rf.protection, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
