package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/fixtures/ipamtcp"
)

// startNetTCP serves the reference (or a mutant) over net.tcp in this
// process and returns the target and control URLs.
func startNetTCP(t *testing.T, mutant string) (endpoint, control string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan ipamtcp.Info, 1)
	done := make(chan error, 1)
	go func() {
		done <- ipamtcp.ListenAndServe(ctx, "127.0.0.1:0", ipamtcp.Options{Ref: ipamref.Options{Profile: "documented", Mutant: mutant}},
			func(i ipamtcp.Info) { ready <- i })
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case i := <-ready:
		return i.Endpoint, i.Control
	case err := <-done:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("net.tcp server did not start")
	}
	return "", ""
}

// TestNetTCPTarget runs the IPAM model over the spec's own transport
// (MC-NMF duplex sessions) in both encodings against the reference net.tcp
// server, and catches a mutant over it.
func TestNetTCPTarget(t *testing.T) {
	endpoint, control := startNetTCP(t, "")
	for _, enc := range []string{"binary", "text"} {
		r := specgate(t, 5*time.Minute, "run", "--model", "ipam", "--target", "soap:"+endpoint, "--control", control,
			"--encoding", enc, "--checks", "150", "--steps", "12", "--seed", "6", "--out", t.TempDir(), "--progress", "none")
		if r.code != 0 || !strings.Contains(r.stdout, "ipam: 150 checks") {
			t.Fatalf("%s: exit %d\n%s\n%s", enc, r.code, r.stdout, r.stderr)
		}
	}
	mEndpoint, mControl := startNetTCP(t, "duplicate-complete")
	r := specgate(t, 5*time.Minute, "run", "--model", "ipam", "--target", "soap:"+mEndpoint, "--control", mControl,
		"--checks", "100", "--steps", "12", "--seed", "6", "--out", t.TempDir(), "--progress", "none", "--fail-fast", "--settle", "50ms")
	if r.code != 1 || !strings.Contains(r.stdout, "ipam/3.17.1.1/Completed") {
		t.Fatalf("mutant over net.tcp: exit %d\n%s", r.code, r.stdout)
	}
}
