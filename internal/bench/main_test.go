package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/shim"
)

// The test binary doubles as the exec shim child: when childEnv is set,
// TestMain serves instead of running tests and benchmarks.
const childEnv = "SPECGATE_BENCH_CHILD"

// Child modes.
const (
	childVDIRef    = "vdiref"     // shim.Serve over a conformant vdiref.Impl
	childEcho      = "echo"       // shim.Echo, the raw-pipe baseline
	childVDIRefTCP = "vdiref-tcp" // shim.ListenAndServe over vdiref on 127.0.0.1
	childEchoTCP   = "echo-tcp"   // shim.Echo on every connection, on 127.0.0.1
)

var tableFlag = flag.Bool("bench.table", false, "after the benchmarks, print the ratio table and write reports/bench/latest.{json,txt} (same as BENCH_TABLE=1)")

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	flag.Parse()
	code := m.Run()
	if *tableFlag || os.Getenv("BENCH_TABLE") == "1" {
		if err := writeTable(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench table:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

func runChild(mode string) int {
	var err error
	switch mode {
	case childVDIRef:
		err = shim.Serve(context.Background(), os.Stdin, os.Stdout, vdiref.New(vdiref.Options{}))
	case childEcho:
		err = shim.Echo(os.Stdin, os.Stdout)
	case childVDIRefTCP, childEchoTCP:
		err = serveTCPChild(mode)
	default:
		err = fmt.Errorf("unknown child mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 1
	}
	return 0
}
