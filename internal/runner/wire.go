package runner

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/shim"
)

// WireLog keeps the raw wire lines of the current step for transcripts.
type WireLog struct {
	mu    sync.Mutex
	lines []string
}

// Mark starts a new step.
func (w *WireLog) Mark() {
	w.mu.Lock()
	w.lines = w.lines[:0]
	w.mu.Unlock()
}

// maxWireLine bounds a transcript line; the rest is elided.
const maxWireLine = 4096

// Add records one line in direction dir ("->" or "send" for sent, "<-" or
// "recv" for received). Lines are cut at 4 KiB so a huge answer cannot
// flood reports.
func (w *WireLog) Add(dir string, line []byte) {
	switch dir {
	case "send":
		dir = "->"
	case "recv":
		dir = "<-"
	}
	text := strings.TrimRight(string(line), "\r\n")
	if len(text) > maxWireLine {
		text = text[:maxWireLine] + "… (" + strconv.Itoa(len(text)) + " bytes)"
	}
	w.mu.Lock()
	if len(w.lines) < 64 {
		w.lines = append(w.lines, dir+" "+text)
	}
	w.mu.Unlock()
}

// Lines returns a copy of the current step's lines.
func (w *WireLog) Lines() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.lines...)
}

// FaultKinder is implemented by driver errors that know their category
// (hang, crash, malformed, unreachable).
type FaultKinder interface {
	FaultKind() string
}

// Classify maps a driver error to a divergence kind and a deterministic
// one-line detail.
func Classify(err error) (kind, detail string) {
	var se *shim.Error
	if errors.As(err, &se) {
		switch se.Kind {
		case shim.KindTimeout:
			return engine.KindHang, err.Error()
		case shim.KindMalformed, shim.KindRPC:
			return engine.KindMalformed, err.Error()
		case shim.KindUnreachable:
			return engine.KindUnreachable, err.Error()
		}
		return engine.KindCrash, err.Error()
	}
	var fk FaultKinder
	if errors.As(err, &fk) {
		return fk.FaultKind(), err.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return engine.KindHang, "no answer before the deadline"
	}
	return engine.KindCrash, err.Error()
}
