// Package tcpserve is the accept loop the line-protocol servers share
// (the VDI shim and the chaos fixture): loopback by default, one
// goroutine per connection, and a shutdown that closes every open
// connection and waits for its handler.
package tcpserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
)

// ListenAddr normalises a listen address: "host:port" or ":port",
// optionally after a "tcp://", "http://" or "net.tcp://" scheme. An empty
// host means 127.0.0.1, so nothing listens beyond loopback unless asked
// to; an empty address means 127.0.0.1 and an ephemeral port.
func ListenAddr(addr string) (string, error) {
	for _, scheme := range []string{"tcp://", "http://", "net.tcp://"} {
		addr = strings.TrimPrefix(addr, scheme)
	}
	if addr == "" {
		addr = ":0"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "" {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	return addr, nil
}

// Listen opens a TCP listener on addr, normalised by ListenAddr.
func Listen(addr string) (net.Listener, error) {
	a, err := ListenAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", a)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", a, err)
	}
	return ln, nil
}

// Serve listens on addr (see ListenAddr) and runs handle for every
// accepted connection in its own goroutine; the connection is closed
// when handle returns. ready, when set, is called with the bound address
// before the first Accept. When ctx is done the listener and every open
// connection are closed; Serve returns nil once every handler has ended.
// An Accept error other than a timeout closes everything and is returned.
func Serve(ctx context.Context, addr string, ready func(net.Addr), handle func(net.Conn)) error {
	ln, err := Listen(addr)
	if err != nil {
		return err
	}
	addr = ln.Addr().String()
	if ready != nil {
		ready(ln.Addr())
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
		done  bool
	)
	closeAll := func() {
		mu.Lock()
		defer mu.Unlock()
		done = true
		ln.Close()
		for c := range conns {
			c.Close()
		}
	}
	stop := context.AfterFunc(ctx, closeAll)
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				wg.Wait()
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			closeAll()
			wg.Wait()
			return fmt.Errorf("accept on %s: %w", addr, err)
		}
		mu.Lock()
		if done {
			mu.Unlock()
			c.Close()
			continue
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			handle(c)
			c.Close()
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		}()
	}
}
