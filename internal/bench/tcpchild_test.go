package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/shim"
)

// Environment of a TCP shim child: the mutants to plant and the profile.
const (
	mutantEnv  = "SPECGATE_BENCH_MUTANT"
	profileEnv = "SPECGATE_BENCH_PROFILE"
)

// serveTCPChild is the TCP shim child: it listens on 127.0.0.1, writes the
// address as its first stdout line and serves until its stdin closes (the
// parent's cleanup), like a vendor shim process on TCP.
func serveTCPChild(mode string) error {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
	ready := func(a net.Addr) { fmt.Println(a.String()) }
	if mode == childVDIRefTCP {
		// SPECGATE_BENCH_MUTANT plants mutants in the served reference.
		opts := vdiref.Options{Profile: benchProfile, Mutant: os.Getenv(mutantEnv)}
		if p := os.Getenv(profileEnv); p != "" {
			opts.Profile = p
		}
		return shim.ListenAndServe(ctx, "127.0.0.1:0", vdiref.New(opts), ready)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("echo child: %w", err)
	}
	go func() { <-ctx.Done(); ln.Close() }()
	ready(ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("echo child: %w", err)
		}
		go func() { shim.Echo(c, c); c.Close() }()
	}
}

// startTCPChild starts the test binary as a TCP child (childVDIRefTCP or
// childEchoTCP) for the benchmark's lifetime and returns its address.
func startTCPChild(b testing.TB, mode string, env ...string) string {
	cmd := exec.Command(selfExe(b))
	cmd.Env = append([]string{childEnv + "=" + mode}, env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		waitChild(cmd)
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("%s child: no address: %v", mode, err)
	}
	return strings.TrimSpace(line)
}
