// Package redact removes secrets (credentials for a target) from every
// string specgate prints or stores: transcripts, reports, failure files and
// logs.
package redact

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// Mask replaces a secret.
const Mask = "[REDACTED]"

// Redactor knows the secrets of a run.
type Redactor struct {
	secrets []string
}

// New returns a redactor for the given secrets; empty ones are ignored.
// Each secret's parts after a scheme ("Bearer xyz" -> "xyz") are secrets too.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		r.secrets = append(r.secrets, s)
		if _, rest, ok := strings.Cut(s, " "); ok && len(rest) >= 4 {
			r.secrets = append(r.secrets, strings.TrimSpace(rest))
		}
	}
	return r
}

// String returns s with every secret masked.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, Mask)
	}
	return s
}

// Strings masks every element of ss in place and returns it.
func (r *Redactor) Strings(ss []string) []string {
	for i := range ss {
		ss[i] = r.String(ss[i])
	}
	return ss
}

// Writer returns a writer that masks secrets in what is written to w.
// Writes are line-buffered so a secret split across two Write calls of one
// line is still masked.
func (r *Redactor) Writer(w io.Writer) io.Writer {
	if r == nil || len(r.secrets) == 0 {
		return w
	}
	return &writer{r: r, w: w}
}

type writer struct {
	mu  sync.Mutex
	r   *Redactor
	w   io.Writer
	buf []byte
}

func (x *writer) Write(p []byte) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.buf = append(x.buf, p...)
	for {
		i := bytes.IndexAny(x.buf, "\n\r")
		if i < 0 {
			break
		}
		if _, err := io.WriteString(x.w, x.r.String(string(x.buf[:i+1]))); err != nil {
			return 0, err
		}
		x.buf = x.buf[i+1:]
	}
	if len(x.buf) > 64<<10 { // no newline for a long time: flush what cannot hold a whole secret
		if _, err := io.WriteString(x.w, x.r.String(string(x.buf))); err != nil {
			return 0, err
		}
		x.buf = x.buf[:0]
	}
	return len(p), nil
}

// Flush writes out a partial last line held by a Writer from this package.
func Flush(w io.Writer) {
	if x, ok := w.(*writer); ok {
		x.mu.Lock()
		defer x.mu.Unlock()
		if len(x.buf) > 0 {
			_, _ = io.WriteString(x.w, x.r.String(string(x.buf)))
			x.buf = x.buf[:0]
		}
	}
}
