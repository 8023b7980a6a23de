package tcpserve

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"
)

func TestListenAddr(t *testing.T) {
	for in, want := range map[string]string{
		":0":                 "127.0.0.1:0",
		"tcp://:7000":        "127.0.0.1:7000",
		"tcp://0.0.0.0:7000": "0.0.0.0:7000",
		"[::1]:9":            "[::1]:9",
		"":                   "127.0.0.1:0",
		"http://:80":         "127.0.0.1:80",
		"net.tcp://:808":     "127.0.0.1:808",
	} {
		got, err := ListenAddr(in)
		if err != nil || got != want {
			t.Errorf("ListenAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ListenAddr("no-port"); err == nil {
		t.Error("ListenAddr accepted an address without a port")
	}
}

// TestServeEchoAndShutdown serves an echo handler, talks to it, then
// cancels with a connection still open: Serve must close it, wait for
// its handler and return nil.
func TestServeEchoAndShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan net.Addr, 1)
	handled := make(chan struct{}, 4)
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ":0", func(a net.Addr) { addrc <- a }, func(c net.Conn) {
			defer func() { handled <- struct{}{} }()
			br := bufio.NewReader(c)
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if _, err := c.Write([]byte(line)); err != nil {
					return
				}
			}
		})
	}()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not become ready")
	}
	if ip := addr.(*net.TCPAddr).IP; !ip.IsLoopback() {
		t.Fatalf("bound %v, want loopback", addr)
	}
	c, err := net.DialTimeout("tcp", addr.String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != "ping\n" {
		t.Fatalf("echo = %q, %v", got, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel (open connection not closed?)")
	}
	select {
	case <-handled:
	default:
		t.Fatal("Serve returned before the handler ended")
	}
}

func TestServeListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := Serve(context.Background(), ln.Addr().String(), nil, func(net.Conn) {}); err == nil {
		t.Fatal("Serve on a taken port returned nil")
	}
}
