package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/redact"
)

// AuthEnv is the environment variable that carries a target's credential.
const AuthEnv = "SPECGATE_AUTH"

// loadAuth reads the target credential from --auth-file or $SPECGATE_AUTH,
// never from a flag value. Accepted forms: "Bearer TOKEN", "Basic BASE64",
// or "USER:PASSWORD" (sent as HTTP basic auth). It returns the
// Authorization header value ("" when none is configured).
func loadAuth(file string) (string, error) {
	v := os.Getenv(AuthEnv)
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--auth-file: %w", err)
		}
		v = string(data)
	}
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", nil
	case strings.HasPrefix(v, "Bearer "), strings.HasPrefix(v, "Basic "):
		return v, nil
	case strings.Contains(v, ":") && !strings.ContainsAny(v, " \t\r\n"):
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(v)), nil
	}
	return "", fmt.Errorf("credential in %s/--auth-file must be \"Bearer TOKEN\", \"Basic BASE64\" or \"USER:PASSWORD\"", AuthEnv)
}

// secretsOf lists every form of the credential that could be echoed back.
func secretsOf(auth string) []string {
	if auth == "" {
		return nil
	}
	out := []string{auth}
	if b, ok := strings.CutPrefix(auth, "Basic "); ok {
		if dec, err := base64.StdEncoding.DecodeString(b); err == nil {
			out = append(out, string(dec))
			if _, pw, ok := strings.Cut(string(dec), ":"); ok && len(pw) >= 4 {
				out = append(out, pw)
			}
		}
	}
	return out
}

// tlsConfig builds the TLS configuration of an https target from PEM files.
func tlsConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	if caFile == "" && certFile == "" && keyFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-cert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-cert %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("--client-cert and --client-key go together")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// authHeader returns the extra HTTP headers for a target.
func authHeader(auth string) http.Header {
	if auth == "" {
		return nil
	}
	return http.Header{"Authorization": []string{auth}}
}

// redactFailure masks secrets in everything a failure stores or prints.
func redactFailure(r *redact.Redactor, f *engine.Failure) {
	f.Transcript = r.Strings(f.Transcript)
	f.Divergence.Observed = r.String(f.Divergence.Observed)
	f.Divergence.Detail = r.String(f.Divergence.Detail)
	f.Divergence.Expected = r.Strings(f.Divergence.Expected)
}
