package soap

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// MediaType is the SOAP 1.2 media type (RFC 3902).
const MediaType = "application/soap+xml"

// ContentType returns the Content-Type of a SOAP 1.2 request carrying
// action: application/soap+xml; charset=utf-8; action="<action>". The
// action parameter is omitted when action is empty.
func ContentType(action string) string {
	if action == "" {
		return MediaType + "; charset=utf-8"
	}
	a := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(action)
	return MediaType + `; charset=utf-8; action="` + a + `"`
}

// DefaultTimeout is the per-call deadline of a Client with Timeout zero.
const DefaultTimeout = 30 * time.Second

// Client sends SOAP 1.2 messages over HTTP POST. The zero value is usable;
// fields must not be changed after the first call.
type Client struct {
	// Timeout bounds every call (in addition to the caller's context);
	// DefaultTimeout when zero.
	Timeout time.Duration
	// Limits bound response bodies (size) and their parsing (depth).
	Limits Limits
	// TLSConfig is used for https URLs (custom CA, client certificates).
	TLSConfig *tls.Config
	// Header holds extra request headers (e.g. Authorization) added to
	// every request; they may override User-Agent but not Content-Type.
	Header http.Header
	// Transport replaces the built-in keep-alive transport when set.
	Transport http.RoundTripper

	once sync.Once
	hc   *http.Client
}

// Response is what a call observed. Raw holds the response body (at most
// Limits.MaxBytes); Envelope is nil when the body was empty or did not
// parse; Fault is set when the body is a SOAP 1.2 Fault that parsed.
type Response struct {
	Status   int
	Header   http.Header
	Envelope *Envelope
	Raw      []byte
	Fault    *Fault
	Elapsed  time.Duration
}

// Client errors (besides the parse errors and transport errors).
var (
	// ErrEmptyResponse: a request/response call got no body.
	ErrEmptyResponse = errors.New("soap: empty response body")
	// ErrUnexpectedStatus: a one-way send got a status other than 200/202
	// and no SOAP fault.
	ErrUnexpectedStatus = errors.New("soap: unexpected HTTP status")
)

func (c *Client) init() {
	c.once.Do(func() {
		rt := c.Transport
		if rt == nil {
			t := &http.Transport{
				Proxy: http.ProxyFromEnvironment,
				DialContext: (&net.Dialer{
					Timeout:   10 * time.Second,
					KeepAlive: 30 * time.Second,
				}).DialContext,
				MaxIdleConns:          64,
				MaxIdleConnsPerHost:   16,
				IdleConnTimeout:       90 * time.Second,
				TLSHandshakeTimeout:   10 * time.Second,
				ResponseHeaderTimeout: 0, // bounded by the call deadline
				ForceAttemptHTTP2:     false,
			}
			if c.TLSConfig != nil {
				t.TLSClientConfig = c.TLSConfig.Clone()
			}
			rt = t
		}
		c.hc = &http.Client{
			Transport: rt,
			// A redirect is an observation, not something to follow.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	})
}

// CloseIdleConnections closes idle keep-alive connections.
func (c *Client) CloseIdleConnections() {
	c.init()
	c.hc.CloseIdleConnections()
}

// Call performs a request/response exchange: it POSTs env and parses the
// response envelope whatever the HTTP status (a fault typically comes with
// 400 or 500). err is nil when a well-formed envelope came back, a Fault
// included; otherwise err says why, and resp is still returned (non-nil)
// whenever an HTTP response was received, so the caller can record it.
func (c *Client) Call(ctx context.Context, url string, env *Envelope) (*Response, error) {
	resp, err := c.Post(ctx, url, ContentType(env.Header.Action), env.Marshal())
	if err != nil {
		return resp, err
	}
	if resp.Envelope == nil {
		return resp, fmt.Errorf("%w (HTTP %d)", ErrEmptyResponse, resp.Status)
	}
	return resp, nil
}

// Send performs a one-way exchange: it POSTs env and accepts 200 or 202
// with an empty body or an envelope. A SOAP fault in the response (any
// status) is returned in resp.Fault with a nil error; any other status is
// an error wrapping ErrUnexpectedStatus.
func (c *Client) Send(ctx context.Context, url string, env *Envelope) (*Response, error) {
	resp, err := c.Post(ctx, url, ContentType(env.Header.Action), env.Marshal())
	if err != nil {
		return resp, err
	}
	if resp.Fault != nil {
		return resp, nil
	}
	if resp.Status != http.StatusOK && resp.Status != http.StatusAccepted {
		return resp, fmt.Errorf("%w %d for a one-way message", ErrUnexpectedStatus, resp.Status)
	}
	return resp, nil
}

// Post sends payload verbatim with the given Content-Type, for raw and
// deliberately malformed messages. The response body is read up to
// Limits.MaxBytes and parsed when non-empty: a parse failure is returned as
// the error together with the Response (Raw set, Envelope nil). Transport
// failures and deadline expiry return a nil Response.
func (c *Client) Post(ctx context.Context, url, contentType string, payload []byte) (*Response, error) {
	c.init()
	lim := c.Limits.WithDefaults()
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("soap: bad request: %v", oneLine(err.Error()))
	}
	req.Header.Set("User-Agent", "specgate-soap/1")
	for k, vs := range c.Header {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", contentType)
	start := time.Now()
	hr, err := c.hc.Do(req)
	if err != nil {
		return nil, &transportError{msg: "soap: POST " + url + ": " + oneLine(err.Error()), err: err}
	}
	defer hr.Body.Close()
	resp := &Response{Status: hr.StatusCode, Header: hr.Header}
	raw, err := ReadLimited(hr.Body, lim.MaxBytes)
	resp.Raw = raw
	resp.Elapsed = time.Since(start)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return resp, err
		}
		return resp, &transportError{msg: "soap: reading response from " + url + ": " + oneLine(err.Error()), err: err}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return resp, nil
	}
	env, err := Parse(raw, lim)
	if err != nil {
		return resp, err // the body's own problem is the clearer report
	}
	resp.Envelope = env
	if env.Body.IsFault() {
		f, err := ParseFaultLimits(env.Body.Inner, lim)
		if err != nil {
			return resp, err
		}
		resp.Fault = f
	}
	if _, problem := checkContentType(hr.Header.Get("Content-Type")); problem != "" && resp.Fault == nil {
		return resp, fmt.Errorf("%w: %s", ErrBadContentType, problem)
	}
	return resp, nil
}

// ErrBadContentType is returned when a response body is not labelled as
// a SOAP 1.2 message (application/soap+xml; charset utf-8).
var ErrBadContentType = errors.New("soap: response is not application/soap+xml")

// transportError keeps a one-line message while letting callers see the
// cause (a deadline, a network timeout) with errors.Is / errors.As.
type transportError struct {
	msg string
	err error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.err }
