package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/fixtures/vdiref"
)

// TestFixtureBadMutantList: an unknown name in a --mutant list is a usage
// error (exit code 2) on one line that names it and lists the valid ones.
func TestFixtureBadMutantList(t *testing.T) {
	for _, tc := range []struct {
		fixture, list, unknown, valid string
	}{
		{"vdi-shim", "wrong-code,nope,lifo", "nope", "first-close"},
		{"vdi-shim", "lifo,", "", "shared-state"},
		{"ipam-server", "checkpoint-after-complete,bogus", "bogus", "never-completes"},
		{"ipam-server", "combined,flaky", "flaky", "no-start"}, // a VDI mutant
	} {
		var stdout, stderr bytes.Buffer
		err := cmdFixture([]string{tc.fixture, "--mutant", tc.list}, &stdout, &stderr)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%s --mutant %s: error %v, want a usage error", tc.fixture, tc.list, err)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.Contains(msg, `unknown mutant "`+tc.unknown+`"`) || !strings.Contains(msg, tc.valid) {
			t.Errorf("%s --mutant %s: %q", tc.fixture, tc.list, msg)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s --mutant %s: printed %q", tc.fixture, tc.list, stdout.String())
		}
		if code := run([]string{"fixture", tc.fixture, "--mutant", tc.list}, &stdout, &stderr); code != ExitUsage {
			t.Errorf("%s --mutant %s: exit code %d, want %d", tc.fixture, tc.list, code, ExitUsage)
		}
	}
}

// TestFixtureMutantListing: --mutant list prints every mutant and the
// combined list.
func TestFixtureMutantListing(t *testing.T) {
	var out bytes.Buffer
	if err := cmdFixture([]string{"vdi-shim", "--mutant", "list"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, m := range append(append([]vdiref.MutantInfo(nil), vdiref.Mutants...), vdiref.Unstable...) {
		if !strings.Contains(out.String(), m.Name+" ") || !strings.Contains(out.String(), m.Cell) {
			t.Errorf("vdi-shim --mutant list lacks %s", m.Name)
		}
	}
	if !strings.Contains(out.String(), vdiref.Combined) {
		t.Errorf("vdi-shim --mutant list lacks the combined list")
	}
	out.Reset()
	if err := cmdFixture([]string{"ipam-server", "--mutant", "list"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, m := range ipamref.Mutants {
		if !strings.Contains(out.String(), m.Name+" ") {
			t.Errorf("ipam-server --mutant list lacks %s", m.Name)
		}
	}
	if !strings.Contains(out.String(), ipamref.Combined) {
		t.Errorf("ipam-server --mutant list lacks the combined list")
	}
}

// readyWriter cancels a context once the fixture announces its address.
type readyWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel context.CancelFunc
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "listening on ") {
		w.cancel()
	}
	return len(p), nil
}

// TestFixtureServesMutantList: a valid list (and combined) starts the
// fixture; it stops when the context ends, right after it is ready.
func TestFixtureServesMutantList(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		run     func(context.Context, []string, *readyWriter) error
		list    string
	}{
		{"vdi-shim", func(ctx context.Context, args []string, w *readyWriter) error {
			return fixtureVDIShim(ctx, args, w, w)
		}, "wrong-code,lifo,deep"},
		{"vdi-shim", func(ctx context.Context, args []string, w *readyWriter) error {
			return fixtureVDIShim(ctx, args, w, w)
		}, "combined,flaky"},
		{"ipam-server", func(ctx context.Context, args []string, w *readyWriter) error {
			return fixtureIPAMServer(ctx, args, w, w)
		}, "combined"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		w := &readyWriter{cancel: cancel}
		err := tc.run(ctx, []string{"--mutant", tc.list, "--listen", "127.0.0.1:0"}, w)
		cancel()
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("%s --mutant %s: %v", tc.fixture, tc.list, err)
		}
		if !strings.Contains(w.buf.String(), "listening on ") {
			t.Errorf("%s --mutant %s: never ready: %q", tc.fixture, tc.list, w.buf.String())
		}
	}
}
