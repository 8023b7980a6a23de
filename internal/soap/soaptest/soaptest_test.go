package soaptest

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/soap"
)

// TestStartHost: the host is tuned before it starts, serves a callback
// on loopback, and is closed when the test ends.
func TestStartHost(t *testing.T) {
	var url string
	t.Run("inner", func(t *testing.T) {
		h := StartHost(t, func(h *soap.CallbackHost) { h.MaxEvents = 1 })
		if h.MaxEvents != 1 {
			t.Fatal("tune not applied")
		}
		var id string
		id, url = h.NewSession()
		env := soap.NewCallback(soap.ActionNotifyAsyncProvisionStart, url, soap.NotifyStartBody(soap.FamilyProvision))
		c := &http.Client{Timeout: 5 * time.Second}
		resp, err := c.Post(url, soap.ContentType(""), bytes.NewReader(env.Marshal()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || len(h.Events(id)) != 1 {
			t.Fatalf("status %d, %d events; want 202 and one event", resp.StatusCode, len(h.Events(id)))
		}
		c.CloseIdleConnections()
	})
	c := &http.Client{Timeout: 5 * time.Second}
	if resp, err := c.Post(url, soap.ContentType(""), bytes.NewReader(nil)); err == nil {
		resp.Body.Close()
		t.Fatalf("the host still answers (%d) after its test ended", resp.StatusCode)
	}
}
