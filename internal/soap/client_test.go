package soap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestContentType(t *testing.T) {
	if got := ContentType(ActionIsIpamConfigured); got != `application/soap+xml; charset=utf-8; action="http://Microsoft.Windows.Ipam/IIpamServer/IsIpamConfigured"` {
		t.Fatal(got)
	}
	if got := ContentType(`a"b\c`); got != `application/soap+xml; charset=utf-8; action="a\"b\\c"` {
		t.Fatal(got)
	}
	if got := ContentType(""); got != "application/soap+xml; charset=utf-8" {
		t.Fatal(got)
	}
}

// fakeSUT answers Is* queries, Initialize, and one-way Starts.
func fakeSUT(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method", http.StatusMethodNotAllowed)
			return
		}
		env, err := ParseReader(r.Body, Limits{})
		if err != nil {
			w.Header().Set("Content-Type", ContentType(""))
			w.WriteHeader(http.StatusBadRequest)
			w.Write(NewFaultResponse(nil, &Fault{Code: CodeSender, Reasons: []FaultText{{Text: err.Error()}}}).Marshal())
			return
		}
		if want := ContentType(env.Header.Action); r.Header.Get("Content-Type") != want {
			t.Errorf("Content-Type %q, want %q", r.Header.Get("Content-Type"), want)
		}
		reply := func(status int, e *Envelope) {
			w.Header().Set("Content-Type", ContentType(e.Header.Action))
			w.WriteHeader(status)
			w.Write(e.Marshal())
		}
		switch env.Header.Action {
		case ActionIsIpamConfigured:
			reply(200, NewResponse(env, ActionIsIpamConfiguredResponse, BoolResponseBody("IsIpamConfigured", true)))
		case ActionInitializeAsyncProvisioning:
			reply(200, NewResponse(env, ActionInitializeAsyncProvisioningResponse, InitializeResponseBody(FamilyProvision)))
		case ActionStartAsyncProvisioning:
			w.WriteHeader(http.StatusAccepted)
		case ActionStartAsyncSchemaConversion:
			// One-way answered with an envelope and 200 (Mono WCF style).
			reply(200, &Envelope{})
		case ActionIsSchemaConversionRequired:
			f := &Fault{Code: CodeSender, Reasons: []FaultText{{Lang: "en-US", Text: "not configured"}}}
			reply(500, NewFaultResponse(env, f))
		case ActionInitializeAsyncSchemaConversion:
			// Fault for a one-way-looking request path is tested via Start below.
			reply(200, NewResponse(env, ActionInitializeAsyncSchemaConversionResponse, InitializeResponseBody(FamilySchema)))
		default:
			http.NotFound(w, r)
		}
	})
}

func TestClientCallAndSend(t *testing.T) {
	srv := httptest.NewServer(fakeSUT(t))
	defer srv.Close()
	c := &Client{Timeout: 5 * time.Second}
	ctx := context.Background()

	req := NewRequest(ActionIsIpamConfigured, srv.URL, "", IsIpamConfiguredBody())
	resp, err := c.Call(ctx, srv.URL, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || resp.Envelope.Header.RelatesTo != req.Header.MessageID || resp.Fault != nil || len(resp.Raw) == 0 {
		t.Fatalf("%+v", resp)
	}
	if v, err := ParseBoolResponse(resp.Envelope, "IsIpamConfiguredResult"); err != nil || !v {
		t.Fatalf("%v %v", v, err)
	}

	// Fault with HTTP 500 is an observation, not an error.
	resp, err = c.Call(ctx, srv.URL, NewRequest(ActionIsSchemaConversionRequired, "", "", IsSchemaConversionRequiredBody()))
	if err != nil || resp.Status != 500 || resp.Fault == nil || resp.Fault.Reason() != "not configured" {
		t.Fatalf("fault: %+v %v", resp, err)
	}

	// One-way 202 empty.
	resp, err = c.Send(ctx, srv.URL, NewRequest(ActionStartAsyncProvisioning, "", "http://127.0.0.1:1/cb/x", StartAsyncProvisioningBody()))
	if err != nil || resp.Status != 202 || resp.Envelope != nil {
		t.Fatalf("one-way 202: %+v %v", resp, err)
	}
	// One-way 200 with an envelope.
	resp, err = c.Send(ctx, srv.URL, NewRequest(ActionStartAsyncSchemaConversion, "", "", StartAsyncSchemaConversionBody()))
	if err != nil || resp.Status != 200 || resp.Envelope == nil {
		t.Fatalf("one-way 200: %+v %v", resp, err)
	}
	// One-way fault.
	resp, err = c.Send(ctx, srv.URL, NewRequest(ActionIsSchemaConversionRequired, "", "", IsSchemaConversionRequiredBody()))
	if err != nil || resp.Fault == nil {
		t.Fatalf("one-way fault: %+v %v", resp, err)
	}
	// One-way unexpected status (404, text body).
	resp, err = c.Send(ctx, srv.URL, NewRequest("urn:unknown", "", "", nil))
	if !errors.Is(err, ErrUnexpectedStatus) && !errors.Is(err, ErrNotXML) {
		t.Fatalf("404: %+v %v", resp, err)
	}
	if resp == nil || resp.Status != 404 {
		t.Fatalf("404 response not returned: %+v", resp)
	}
	// Request/response answered with nothing.
	resp, err = c.Call(ctx, srv.URL, NewRequest(ActionStartAsyncProvisioning, "", "", StartAsyncProvisioningBody()))
	if !errors.Is(err, ErrEmptyResponse) || resp == nil || resp.Status != 202 {
		t.Fatalf("empty: %+v %v", resp, err)
	}
	checkOneLine(t, err)
}

func TestClientMalformedResponses(t *testing.T) {
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(200)
		w.Write(body.Load().([]byte))
	}))
	defer srv.Close()
	c := &Client{Limits: Limits{MaxBytes: 4096}}
	env := NewRequest(ActionIsIpamConfigured, "", "", IsIpamConfiguredBody())
	cases := []struct {
		name string
		body []byte
		want error
	}{
		{"html", []byte("<html><body>oops</body></html>"), ErrNotEnvelope},
		{"soap11", RawEnvelope(NSSoap11, "", "<x/>"), ErrSOAP11},
		{"too large", []byte(strings.Repeat(" ", 5000)), ErrTooLarge},
		{"bad fault", RawEnvelope(NSSoap12, "", `<s:Fault/>`), ErrMalformed},
	}
	for _, cse := range cases {
		body.Store(cse.body)
		resp, err := c.Call(context.Background(), srv.URL, env)
		if !errors.Is(err, cse.want) {
			t.Errorf("%s: %v, want %v", cse.name, err, cse.want)
		}
		if resp == nil || resp.Status != 200 || len(resp.Raw) == 0 {
			t.Errorf("%s: response not kept: %+v", cse.name, resp)
		}
		checkOneLine(t, err)
	}
}

func TestClientDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	env := NewRequest(ActionIsIpamConfigured, "", "", IsIpamConfiguredBody())
	c := &Client{Timeout: 150 * time.Millisecond}
	start := time.Now()
	resp, err := c.Call(context.Background(), srv.URL, env)
	if err == nil || resp != nil {
		t.Fatalf("no timeout: %+v %v", resp, err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Client.Timeout not applied: %v", d)
	}
	checkOneLine(t, err)

	// The caller's context applies too.
	c = &Client{Timeout: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := c.Send(ctx, srv.URL, env); err == nil {
		t.Fatal("no timeout")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("ctx deadline not applied: %v", d)
	}
}

func TestClientKeepAliveAndHeaders(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t" || r.Header.Get("User-Agent") != "specgate-test" {
			t.Errorf("headers: %v", r.Header)
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), MediaType) {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := &Client{Header: http.Header{"Authorization": {"Bearer t"}, "User-Agent": {"specgate-test"}, "Content-Type": {"text/plain"}}}
	for range 5 {
		if _, err := c.Send(context.Background(), srv.URL, NewRequest(ActionStartAsyncProvisioning, "", "", StartAsyncProvisioningBody())); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 5 sequential calls, want 1 (keep-alive)", n)
	}
	c.CloseIdleConnections()
}

func TestClientTLSConfig(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	env := NewRequest(ActionStartAsyncProvisioning, "", "", StartAsyncProvisioningBody())
	if _, err := (&Client{}).Send(context.Background(), srv.URL, env); err == nil {
		t.Fatal("untrusted certificate accepted")
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c := &Client{TLSConfig: &tls.Config{RootCAs: pool}}
	if _, err := c.Send(context.Background(), srv.URL, env); err != nil {
		t.Fatal(err)
	}
}

func TestClientPostRaw(t *testing.T) {
	var gotCT atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotCT.Store(r.Header.Get("Content-Type"))
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusUnsupportedMediaType)
	}))
	defer srv.Close()
	resp, err := (&Client{}).Post(context.Background(), srv.URL, "text/xml; charset=utf-8", RawEnvelope(NSSoap11, "", ""))
	if err != nil || resp.Status != 415 {
		t.Fatalf("%+v %v", resp, err)
	}
	if gotCT.Load() != "text/xml; charset=utf-8" {
		t.Fatalf("content type %v", gotCT.Load())
	}
	if _, err := (&Client{}).Post(context.Background(), "http://127.0.0.1:1/", MediaType, nil); err == nil {
		t.Fatal("connection refused not reported")
	}
	if _, err := (&Client{}).Post(context.Background(), "::bad", MediaType, nil); err == nil {
		t.Fatal("bad URL not reported")
	}
}
