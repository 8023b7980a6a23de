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

// ListenAddr normalises a listen address: "tcp://host:port", "host:port"
// or ":port"; an empty host means 127.0.0.1, so nothing listens beyond
// loopback unless asked to.
func ListenAddr(addr string) (string, error) {
	addr = strings.TrimPrefix(addr, "tcp://")
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "" {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	return addr, nil
}

// Serve listens on addr (see ListenAddr) and runs handle for every
// accepted connection in its own goroutine; the connection is closed
// when handle returns. ready, when set, is called with the bound address
// before the first Accept. When ctx is done the listener and every open
// connection are closed; Serve returns nil once every handler has ended.
// An Accept error other than a timeout closes everything and is returned.
func Serve(ctx context.Context, addr string, ready func(net.Addr), handle func(net.Conn)) error {
	addr, err := ListenAddr(addr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
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
