package duplex

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/specgate/specgate/internal/nettcp/nmf"
)

// A WCF service throttles sessions (ServiceThrottlingBehavior
// MaxConcurrentSessions, 10 by default in Mono, 100 per CPU in .NET 4):
// at the limit its listener accepts no new connection until a session
// channel closes, and every net.tcp connection is a session channel, a
// short-lived one for a session-less call included. The client sees a
// connection that is established but never gets its Preamble Ack. A
// session the client abandons instead of ending (no End record) keeps its
// slot until the server's own timeouts expire, so the transport ends every
// connection with the End record, and when a new one is not accepted in
// time it ends the connections it can spare.

// ackResult is what reading the Preamble Ack gave.
type ackResult struct {
	rec nmf.Record
	raw []byte
	err error
}

// probe is how long a Preamble Ack may take before the server is
// treated as throttling: Options.ThrottleProbe, or twice the smoothed ack
// time plus four deviations when longer. Once the server was seen at its
// limit, dials at that many open connections end the spare ones first.
func (t *Transport) probe() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.opts.ThrottleProbe
	if t.acks.n > 0 {
		p = max(p, 2*(t.acks.srtt+4*t.acks.rttvar))
	}
	return p
}

// relieve ends the connections that can be spared to free a server slot:
// the idle session-less ones and the sessions marked with Retire (their
// events are kept until CloseSession). It returns how many it ended.
func (t *Transport) relieve() int {
	t.mu.Lock()
	spare := t.idle
	t.idle = nil
	for _, c := range t.sessions {
		if c.retired && !c.closing && c.err == nil {
			spare = append(spare, c)
		}
	}
	t.throttle.Released += len(spare)
	t.mu.Unlock()
	for _, c := range spare {
		c.close()
	}
	return len(spare)
}

// shareable returns an open session connection a session-less call can
// ride on, nil when there is none; it notes the throttle limit seen.
func (t *Transport) shareable() *conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	var best *conn
	open := len(t.temps)
	for _, c := range t.sessions {
		if c.err != nil || c.closing {
			continue
		}
		open++
		if best == nil || c.id < best.id {
			best = c
		}
	}
	if best != nil && (t.throttle.Limit == 0 || open < t.throttle.Limit) {
		t.throttle.Limit = open
	}
	return best
}

// atLimitCount reports whether the transport holds as many connections
// as the server was seen to accept.
func (t *Transport) atLimitCount() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.throttle.Limit == 0 {
		return false
	}
	open := len(t.temps)
	for _, c := range t.sessions {
		if c.err == nil && !c.closing {
			open++
		}
	}
	return open >= t.throttle.Limit
}

// atLimit returns a session connection to ride on when the transport
// already holds as many connections as the server was seen to accept.
func (t *Transport) atLimit() *conn {
	t.mu.Lock()
	limit := t.throttle.Limit
	open := len(t.temps)
	for _, c := range t.sessions {
		if c.err == nil && !c.closing {
			open++
		}
	}
	t.mu.Unlock()
	if limit == 0 || open < limit {
		return nil
	}
	return t.shareable()
}

func (t *Transport) noteWait(d time.Duration) {
	t.mu.Lock()
	t.throttle.Waits++
	t.throttle.Wait += d
	t.mu.Unlock()
}

func (t *Transport) noteShared(begin time.Time) {
	t.mu.Lock()
	t.throttle.Waits++
	t.throttle.Wait += time.Since(begin)
	t.mu.Unlock()
}

// finishLate waits, in the background, for the Preamble Ack of a
// connection a session-less call gave up on; once acknowledged the
// connection is kept idle for the next call (or ended the WCF way), so
// the server never sees it abandoned.
func (t *Transport) finishLate(c *conn, acked <-chan ackResult, stop func() bool, cancel context.CancelFunc) {
	defer cancel()
	r := <-acked
	stop()
	if r.raw != nil {
		t.frame(c.id, Received, recordName(r.rec), r.raw)
	}
	if _, ok := r.rec.(nmf.PreambleAckRecord); !ok || r.err != nil {
		_ = c.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = c.nc.Write([]byte{byte(nmf.TypeEnd)})
		c.nc.Close()
		return
	}
	_ = c.nc.SetDeadline(time.Time{})
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		c.nc.Close()
		return
	}
	t.temps[c] = struct{}{}
	t.mu.Unlock()
	go c.readLoop()
	t.putIdle(c)
}

// Retire marks a session the caller no longer expects anything of but
// still reads the events of: when the server throttles, it is among the
// first connections ended (End record), its events kept until
// CloseSession.
func (t *Transport) Retire(session string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.sessions[session]; ok {
		c.retired = true
	}
}

// Throttle reports how the server throttled the transport's connections.
func (t *Transport) Throttle() ThrottleStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.throttle
}

// OpenConns counts the connections the transport holds open (sessions,
// in-use and idle session-less ones).
func (t *Transport) OpenConns() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.temps)
	for _, c := range t.sessions {
		if c.err == nil && !c.closing {
			n++
		}
	}
	return n
}

// tempConn returns a connection for a session-less call: an idle one, an
// open session's when the server was seen throttling at this many
// connections (shared), or a new one.
func (t *Transport) tempConn(ctx context.Context) (c *conn, shared bool, err error) {
	t.mu.Lock()
	for len(t.idle) > 0 {
		c = t.idle[len(t.idle)-1]
		t.idle = t.idle[:len(t.idle)-1]
		if c.err == nil && !c.closing {
			t.mu.Unlock()
			return c, false, nil
		}
	}
	t.mu.Unlock()
	if sc := t.atLimit(); sc != nil {
		t.mu.Lock()
		t.throttle.Shared++
		t.mu.Unlock()
		return sc, true, nil
	}
	c, sc, err := t.dialShare(ctx, "", true)
	if err != nil {
		return nil, false, err
	}
	if sc != nil {
		t.mu.Lock()
		t.throttle.Shared++
		t.mu.Unlock()
		return sc, true, nil
	}
	return c, false, nil
}

// putIdle keeps a session-less connection for the next call, or ends it.
func (t *Transport) putIdle(c *conn) {
	t.mu.Lock()
	if !t.closed && c.err == nil && !c.closing && len(t.idle) < t.opts.IdleConns && !slices.Contains(t.idle, c) {
		t.idle = append(t.idle, c)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	c.close()
}

// ThrottleReport is one line for the run's warnings when the server
// throttled the transport ("" when it never did): connection waits are
// the server's admission control, not a failure.
func (t *Transport) ThrottleReport() string {
	st := t.Throttle()
	if st.Waits == 0 {
		return ""
	}
	line := fmt.Sprintf("the server throttled new connections (WCF MaxConcurrentSessions or alike): %d connection wait(s), %v in all; "+
		"%d spare connection(s) ended to free a slot, %d session-less call(s) made on an open session",
		st.Waits, st.Wait.Round(time.Millisecond), st.Released, st.Shared)
	if st.Limit > 0 {
		line += fmt.Sprintf("; no new connection was accepted while %d were open", st.Limit)
	}
	return line
}
