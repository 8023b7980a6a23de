package shim

import (
	"context"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/vdiapi"
)

// slowStart is how long the "slowstart" child takes before it reads its
// first request: four times the call deadline of the tests below.
const slowStart = 800 * time.Millisecond

// TestSlowStartIsNotAHang: a child whose start-up takes longer than the
// call deadline answers its first shim.hello within the start-up
// allowance, also when a restart after a fault re-sends the hello; only
// the calls after it are held to the call deadline.
func TestSlowStartIsNotAHang(t *testing.T) {
	c := dialChild(t, "slowstart", Options{CallTimeout: slowStart / 4, StartTimeout: time.Minute})
	ctx := context.Background()
	if _, err := c.Hello(ctx, "strict"); err != nil {
		t.Fatalf("first hello of a slow-starting child: %v", err)
	}
	// A hang is still judged by the call deadline, not the allowance.
	start := time.Now()
	if _, err := c.Create(ctx, "hang", vdiapi.Config{}); err == nil {
		t.Fatal("a hanging call succeeded")
	} else {
		asShimError(t, err, KindTimeout)
	}
	if elapsed := time.Since(start); elapsed >= time.Minute {
		t.Fatalf("hang judged after %v: the start-up allowance applied to a later call", elapsed)
	}
	// The next call starts a new (slow) child and re-sends the hello
	// first: the allowance covers it, so the call succeeds.
	hr, err := c.Create(ctx, "after", vdiapi.Config{})
	if err != nil {
		t.Fatalf("call on a restarted slow-starting child: %v", err)
	}
	if want := sum("Create", "after", vdiapi.Config{}); hr != want {
		t.Fatalf("hr %#x, want %#x", hr, want)
	}
	if c.Restarts() != 1 {
		t.Fatalf("Restarts = %d, want 1", c.Restarts())
	}
}

// TestStartAllowanceIsBounded: with no more allowance than the call
// deadline, the same slow start is a hang in shim.hello (so the test above
// shows the allowance, not a generous machine).
func TestStartAllowanceIsBounded(t *testing.T) {
	c := dialChild(t, "slowstart", Options{CallTimeout: slowStart / 4, StartTimeout: slowStart / 8})
	_, err := c.Hello(context.Background(), "strict")
	se := asShimError(t, err, KindTimeout)
	if got, want := se.Error(), "shim hang in shim.hello: no response before the call deadline"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
