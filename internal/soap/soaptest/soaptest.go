// Package soaptest starts the harness's SOAP callback host for tests and
// benchmarks, stopped when the test ends.
package soaptest

import (
	"testing"

	"github.com/specgate/specgate/internal/soap"
)

// StartHost starts a callback host on 127.0.0.1 and an ephemeral port
// with the default limits, after tune (when not nil) has adjusted it, and
// closes it when tb ends. A failure to start ends tb.
func StartHost(tb testing.TB, tune func(*soap.CallbackHost)) *soap.CallbackHost {
	tb.Helper()
	h, err := soap.NewCallbackHost("127.0.0.1:0", soap.Limits{})
	if err != nil {
		tb.Fatalf("callback host: %v", err)
	}
	if tune != nil {
		tune(h)
	}
	if err := h.Start(); err != nil {
		tb.Fatalf("callback host: %v", err)
	}
	tb.Cleanup(func() { _ = h.Close() })
	return h
}
