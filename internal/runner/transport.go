package runner

import (
	"context"

	"github.com/specgate/specgate/internal/soap"
)

// IPAMTransport carries IPAM messages for the runner: request/response and
// one-way calls, and the callbacks of each client session. The HTTP binding
// posts requests and hosts a callback endpoint per session (callbacks are
// matched by their per-session path); the net.tcp binding carries a session
// on one duplex connection (callbacks are matched by connection).
type IPAMTransport interface {
	// OpenSession starts a client session; replyTo is the address its
	// requests carry in wsa:ReplyTo.
	OpenSession(ctx context.Context) (id, replyTo string, err error)
	// Call sends a request/response message on a session ("" for
	// session-less port types such as IIpamServer).
	Call(ctx context.Context, session string, env *soap.Envelope) (*soap.Response, error)
	// Send sends a one-way message on a session.
	Send(ctx context.Context, session string, env *soap.Envelope) (*soap.Response, error)
	// Events returns the callbacks a session received, in order.
	Events(session string) []soap.Event
	// Wait blocks until pred holds for the session's events or ctx ends.
	Wait(ctx context.Context, session string, pred func([]soap.Event) bool) ([]soap.Event, error)
	// Stray returns the callbacks that matched no session and were kept.
	Stray() []soap.Event
	// StrayCount counts every callback that matched no session, kept or
	// refused once the stray list was full: it only grows.
	StrayCount() int
	// LateCount counts callbacks that arrived for sessions already
	// closed with CloseSession (and were dropped): it only grows.
	LateCount() int
	// CloseSession ends a session whose operation is over (or never
	// started) and forgets its callbacks: any later callback to it counts
	// in LateCount.
	CloseSession(session string)
	// AbandonSession ends a session the harness stops following while its
	// operation may still be sending callbacks (one held in progress at
	// the end of a sequence). Later callbacks to it are dropped and are
	// not counted in LateCount.
	AbandonSession(session string)
	// Endpoint is the target URI requests are addressed to (wsa:To).
	Endpoint() string
}

// HTTPTransport is the HTTP binding (docs/ipam-soap-binding.md).
type HTTPTransport struct {
	URL    string
	Client *soap.Client
	Host   *soap.CallbackHost
}

// OpenSession makes a new unguessable callback path.
func (h *HTTPTransport) OpenSession(context.Context) (string, string, error) {
	id, url := h.Host.NewSession()
	return id, url, nil
}

// Call posts a request and returns the HTTP response's envelope.
func (h *HTTPTransport) Call(ctx context.Context, _ string, env *soap.Envelope) (*soap.Response, error) {
	return h.Client.Call(ctx, h.URL, env)
}

// Send posts a one-way message.
func (h *HTTPTransport) Send(ctx context.Context, _ string, env *soap.Envelope) (*soap.Response, error) {
	return h.Client.Send(ctx, h.URL, env)
}

// Events returns the session's callbacks.
func (h *HTTPTransport) Events(session string) []soap.Event { return h.Host.Events(session) }

// Wait waits on the callback host.
func (h *HTTPTransport) Wait(ctx context.Context, session string, pred func([]soap.Event) bool) ([]soap.Event, error) {
	return h.Host.Wait(ctx, session, pred)
}

// Stray returns callbacks to unknown paths.
func (h *HTTPTransport) Stray() []soap.Event { return h.Host.Stray() }

// StrayCount counts callbacks to unknown paths, kept or refused.
func (h *HTTPTransport) StrayCount() int { return len(h.Host.Stray()) + h.Host.Dropped("") }

// LateCount counts callbacks to forgotten session paths.
func (h *HTTPTransport) LateCount() int { return h.Host.LateDropped() }

// CloseSession forgets the session's path.
func (h *HTTPTransport) CloseSession(session string) { h.Host.Forget(session) }

// AbandonSession forgets the session's path; callbacks still on their
// way to it are dropped without counting as late.
func (h *HTTPTransport) AbandonSession(session string) { h.Host.Abandon(session) }

// Endpoint is the SOAP URL.
func (h *HTTPTransport) Endpoint() string { return h.URL }
