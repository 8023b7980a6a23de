package soap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// EndpointURL returns the URL a message for portType is POSTed to: base
// itself in the single-URL layout, base + "/" + portType in the
// per-port-type layout (docs/ipam-soap-binding.md §2).
func EndpointURL(base, portType string, perPortType bool) string {
	if !perPortType {
		return base
	}
	return strings.TrimSuffix(base, "/") + "/" + portType
}

// ADM is the JSON document of the optional vendor control endpoint
// (docs/ipam-soap-binding.md §8). In a POST, nil fields are left unchanged;
// the two *InProgress fields are read-only and only reported by GET.
type ADM struct {
	SchemaConversionRequired *bool `json:"schemaConversionRequired,omitempty"`
	IpamConfigured           *bool `json:"ipamConfigured,omitempty"`
	NextConversionFails      *bool `json:"nextConversionFails,omitempty"`
	NextProvisioningFails    *bool `json:"nextProvisioningFails,omitempty"`
	Checkpoints              *int  `json:"checkpoints,omitempty"`
	Hold                     *bool `json:"hold,omitempty"`

	SchemaConversionInProgress *bool `json:"schemaConversionInProgress,omitempty"`
	ProvisioningInProgress     *bool `json:"provisioningInProgress,omitempty"`
}

// Bool and Int return pointers for building an ADM literal.
func Bool(v bool) *bool { return &v }

// Int returns a pointer to v.
func Int(v int) *int { return &v }

// ErrNoControl is returned when the SUT has no control endpoint (404 or
// 501): the harness then observes the ADM through IIpamServer instead.
var ErrNoControl = errors.New("soap: SUT has no control endpoint")

// Control is a client of the vendor control endpoint.
type Control struct {
	// URL is the control URL; requests go to URL+"/adm" and URL+"/reset".
	URL string
	// HTTP is the client to use (a client with a 10 s timeout when nil).
	HTTP *http.Client
	// Header holds extra request headers (e.g. Authorization).
	Header http.Header
}

func (c *Control) do(ctx context.Context, method, path string, body any, want int, out any) error {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	url := strings.TrimSuffix(c.URL, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return fmt.Errorf("soap: control: %s", oneLine(err.Error()))
	}
	for k, vs := range c.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("soap: control %s %s: %s", method, url, oneLine(err.Error()))
	}
	defer resp.Body.Close()
	raw, _ := ReadLimited(resp.Body, 64<<10)
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusNotImplemented:
		return fmt.Errorf("%w (%s %s: HTTP %d)", ErrNoControl, method, url, resp.StatusCode)
	case resp.StatusCode != want:
		return fmt.Errorf("soap: control %s %s: HTTP %d, want %d: %s", method, url, resp.StatusCode, want, oneLine(string(raw)))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("soap: control %s %s: bad JSON: %s", method, url, oneLine(err.Error()))
		}
	}
	return nil
}

// Set POSTs the non-nil fields of a to <URL>/adm (expects 204).
func (c *Control) Set(ctx context.Context, a ADM) error {
	a.SchemaConversionInProgress, a.ProvisioningInProgress = nil, nil
	return c.do(ctx, http.MethodPost, "/adm", a, http.StatusNoContent, nil)
}

// Get reads the current values from <URL>/adm (expects 200 and JSON).
func (c *Control) Get(ctx context.Context) (ADM, error) {
	var a ADM
	err := c.do(ctx, http.MethodGet, "/adm", nil, http.StatusOK, &a)
	return a, err
}

// Reset POSTs to <URL>/reset (expects 204): the SUT becomes a freshly
// started server.
func (c *Control) Reset(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/reset", nil, http.StatusNoContent, nil)
}
