package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/internal/soap"
)

type pki struct {
	caPEM                 []byte
	caCert                *x509.Certificate
	caKey                 *ecdsa.PrivateKey
	serverCert, clientTLS tls.Certificate
}

func newCert(t *testing.T, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, []byte, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kder, _ := x509.MarshalECPrivateKey(key)
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// writePKI makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, and writes the PEM files the CLI reads.
func writePKI(t *testing.T, dir string) (serverTLS *tls.Config) {
	now := time.Now()
	ca, caKey, caPEM, _ := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "specgate test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	_, _, srvPEM, srvKey := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, ca, caKey)
	_, _, cliPEM, cliKey := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "specgate client"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, ca, caKey)
	for name, data := range map[string][]byte{"ca.pem": caPEM, "client.pem": cliPEM, "client-key.pem": cliKey} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := tls.X509KeyPair(srvPEM, srvKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &tls.Config{Certificates: []tls.Certificate{srv}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
}

const secret = "tok-5f3a9c81d2"

// TestHTTPSWithCustomCAClientCertAndRedactedCredentials runs the IPAM model
// against the reference behind TLS that requires a client certificate and a
// bearer token, with a server that echoes the token into a SOAP fault; the
// token must not appear in any output.
func TestHTTPSWithCustomCAClientCertAndRedactedCredentials(t *testing.T) {
	dir := t.TempDir()
	srvTLS := writePKI(t, dir)
	ref := ipamref.New(ipamref.Options{Profile: "documented"})
	t.Cleanup(func() { ref.Close() })
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secret {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if strings.Contains(r.Header.Get("Content-Type"), "IsSchemaConversionInProgress") {
			// A careless server echoing the credential in a fault.
			body, _ := io.ReadAll(r.Body)
			env, err := soap.Parse(body, soap.Limits{})
			if err != nil {
				http.Error(w, "bad", 400)
				return
			}
			f := soap.BuildFault(soap.CodeSender, "denied for Authorization: "+r.Header.Get("Authorization"), nil)
			resp := soap.NewFaultResponse(env, &soap.Fault{})
			resp.Body = soap.NewBody(f)
			w.Header().Set("Content-Type", soap.ContentType(""))
			w.WriteHeader(http.StatusInternalServerError)
			w.Write(resp.Marshal())
			return
		}
		ref.ServeHTTP(w, r)
	})
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = srvTLS
	srv.StartTLS()
	t.Cleanup(srv.Close)
	base := srv.URL
	args := []string{"run", "--model", "ipam", "--target", "soap:" + base + "/ipam", "--control", base + "/control",
		"--checks", "40", "--seed", "3", "--call-timeout", "2s", "--quiescence", "2s", "--progress", "none",
		"--ca-cert", filepath.Join(dir, "ca.pem"), "--client-cert", filepath.Join(dir, "client.pem"),
		"--client-key", filepath.Join(dir, "client-key.pem")}
	run := func(env string, extra ...string) result {
		out := filepath.Join(dir, "out")
		cmd := exec.Command(specgateBin, append(append(args, "--out", out), extra...)...)
		cmd.Env = append(os.Environ(), env)
		var so, se strings.Builder
		cmd.Stdout, cmd.Stderr = &so, &se
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return result{code: code, stdout: so.String(), stderr: se.String()}
	}
	r := run("SPECGATE_AUTH=Bearer " + secret)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (the echoed fault is a divergence)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Fatal("the credential appears in the terminal output")
	}
	leaks := 0
	filepath.Walk(filepath.Join(dir, "out"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			data, _ := os.ReadFile(p)
			if strings.Contains(string(data), secret) {
				t.Errorf("the credential leaks into %s", p)
				leaks++
			}
			if strings.Contains(string(data), "[REDACTED]") {
				leaks-- // the echoed value was there and was masked
			}
		}
		return nil
	})
	if leaks >= 0 {
		t.Error("no output shows the masked credential: the echo never reached a report, so redaction was not exercised")
	}
	// Without the CA the server certificate is rejected: unreachable, one line.
	r = run("SPECGATE_AUTH=Bearer "+secret, "--ca-cert", "")
	if r.code != 3 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || strings.Contains(r.stderr, secret) {
		t.Fatalf("without the CA: exit %d stderr %q", r.code, r.stderr)
	}
	// Credentials are never a flag value, and never part of the target URL.
	r = specgate(t, time.Minute, "run", "--model", "ipam", "--target", "soap:https://user:pw@127.0.0.1:1/ipam")
	if r.code != 2 || strings.Contains(r.stderr, "pw@") {
		t.Fatalf("credentials in the URL: exit %d stderr %q", r.code, r.stderr)
	}
}
