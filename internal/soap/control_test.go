package soap

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

func TestEndpointURL(t *testing.T) {
	if got := EndpointURL("http://h/ipam", PortIIpamServer, false); got != "http://h/ipam" {
		t.Fatal(got)
	}
	if got := EndpointURL("http://h/ipam/", PortIIpamAsyncSchemaConversion, true); got != "http://h/ipam/IIpamAsyncSchemaConversion" {
		t.Fatal(got)
	}
}

func TestControl(t *testing.T) {
	var mu sync.Mutex
	state := map[string]any{"schemaConversionRequired": false, "ipamConfigured": false, "checkpoints": 0}
	resets := 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ctl/adm", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Authorization") != "k" {
			http.Error(w, "headers", 400)
			return
		}
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		for k, v := range in {
			state[k] = v
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /ctl/adm", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]any{"schemaConversionInProgress": false}
		for k, v := range state {
			out[k] = v
		}
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("POST /ctl/reset", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		resets++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()

	c := &Control{URL: srv.URL + "/ctl/", Header: http.Header{"Authorization": {"k"}}}
	if err := c.Set(ctx, ADM{SchemaConversionRequired: Bool(true), Checkpoints: Int(3), SchemaConversionInProgress: Bool(true)}); err != nil {
		t.Fatal(err)
	}
	a, err := c.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.SchemaConversionRequired == nil || !*a.SchemaConversionRequired || *a.Checkpoints != 3 ||
		a.IpamConfigured == nil || *a.IpamConfigured || a.SchemaConversionInProgress == nil || *a.SchemaConversionInProgress {
		t.Fatalf("%+v", a)
	}
	if _, present := state["schemaConversionInProgress"]; present {
		t.Fatal("read-only field was sent")
	}
	if err := c.Reset(ctx); err != nil || resets != 1 {
		t.Fatal(err)
	}
	none := &Control{URL: srv.URL + "/nothing"}
	if err := none.Reset(ctx); !errors.Is(err, ErrNoControl) {
		t.Fatal(err)
	}
	bad := &Control{URL: srv.URL + "/ctl"} // no Authorization header: 400
	if err := bad.Set(ctx, ADM{}); err == nil || errors.Is(err, ErrNoControl) {
		t.Fatal(err)
	}
}
