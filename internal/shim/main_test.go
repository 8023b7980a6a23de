package shim

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/vdiapi"
)

// The test binary doubles as the shim under test: when childEnvVar is set,
// TestMain runs the named child mode instead of the tests.
const (
	childEnvVar = "SPECGATE_SHIM_TEST_CHILD"
	replyEnvVar = "SPECGATE_SHIM_TEST_REPLY"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnvVar); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

func nopLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func farFuture() time.Time { return time.Now().Add(time.Hour) }

func runChild(mode string) int {
	ctx := context.Background()
	switch mode {
	case "serve":
		if err := Serve(ctx, os.Stdin, os.Stdout, fakeImpl{}); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			return 1
		}
		return 0
	case "servequick":
		if err := Serve(ctx, os.Stdin, os.Stdout, quickImpl{}); err != nil {
			return 1
		}
		return 0
	case "echo":
		if err := Echo(os.Stdin, os.Stdout); err != nil {
			return 1
		}
		return 0
	case "exit3":
		fmt.Fprintln(os.Stderr, "fake shim: giving up at startup")
		return 3
	case "raw":
		return runRaw(os.Getenv(replyEnvVar))
	case "spawn":
		// Start a grandchild that shares stdout/stderr and sleeps, then
		// serve. A hang must take the grandchild down too.
		gc := exec.Command(os.Args[0])
		gc.Env = append(os.Environ(), childEnvVar+"=sleep")
		gc.Stdout, gc.Stderr = os.Stdout, os.Stderr
		if err := gc.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "spawn:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "grandchild pid %d\n", gc.Process.Pid)
		Serve(ctx, os.Stdin, os.Stdout, fakeImpl{})
		return 0
	case "sleep":
		time.Sleep(time.Minute)
		return 0
	case "slowstart":
		// A child whose start-up (an interpreter loading, say) takes
		// longer than one call deadline, then answers every call at once.
		time.Sleep(slowStart)
		if err := Serve(ctx, os.Stdin, os.Stdout, fakeImpl{}); err != nil {
			return 1
		}
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown child mode", mode)
	return 2
}

// runRaw answers every request with the reply template, "$ID" replaced by
// the request's id. "@huge" answers with a line longer than MaxLineBytes.
func runRaw(reply string) int {
	br := bufio.NewReader(os.Stdin)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return 0
		}
		var req struct {
			ID json.RawMessage `json:"id"`
		}
		json.Unmarshal(line, &req)
		if reply == "@huge" {
			os.Stdout.WriteString(`{"jsonrpc":"2.0","id":` + string(req.ID) + `,"result":{"hr":"` + strings.Repeat("0", MaxLineBytes) + "\"}}\n")
			continue
		}
		os.Stdout.WriteString(strings.ReplaceAll(reply, "$ID", string(req.ID)) + "\n")
	}
}

// fakeImpl is a deterministic vdiapi.VDI: every result is a checksum of
// the method name and all arguments, so a test can tell whether each
// argument and each result crossed the wire intact by comparing a call
// through a shim with the same call made directly. Special set names
// simulate faults: "hang" (ErrHang), "crash" (ErrCrash after a stderr
// message), "fail" (a plain error). Sets and devices starting with "ok"
// make the calls with out-values succeed.
type fakeImpl struct{}

func sum(parts ...any) uint32 {
	return crc32.ChecksumIEEE([]byte(fmt.Sprintf("%q", parts))) | 1
}

func fault(set string) error {
	switch set {
	case "hang":
		return fmt.Errorf("stuck: %w", ErrHang)
	case "crash":
		if os.Getenv(childEnvVar) != "" {
			fmt.Fprintln(os.Stderr, "fake shim: crashing on purpose")
		}
		return fmt.Errorf("boom: %w", ErrCrash)
	case "fail":
		return errors.New("fake failure")
	}
	return nil
}

func (fakeImpl) Hello(_ context.Context, profile string) (vdiapi.Hello, error) {
	if err := fault(profile); err != nil {
		return vdiapi.Hello{}, err
	}
	h := vdiapi.Hello{Protocol: vdiapi.ProtocolVersion, Implementation: "fake", Version: profile,
		Capabilities: vdiapi.Capabilities{ConcurrentSets: len(profile)%2 == 0, Server: true}}
	if profile == "env" {
		var keys []string
		for _, kv := range os.Environ() {
			k, _, _ := strings.Cut(kv, "=")
			keys = append(keys, k)
		}
		sort.Strings(keys)
		h.Implementation = strings.Join(keys, ",")
	}
	return h, nil
}

func (fakeImpl) Reset(_ context.Context, set string) error { return fault(set) }

func (fakeImpl) Create(_ context.Context, set string, cfg vdiapi.Config) (uint32, error) {
	return sum("Create", set, cfg), fault(set)
}

func (fakeImpl) CreateEx(_ context.Context, instance, set string, cfg vdiapi.Config) (uint32, error) {
	return sum("CreateEx", instance, set, cfg), fault(set)
}

func (fakeImpl) GetConfiguration(_ context.Context, set string, timeoutMs uint32) (uint32, vdiapi.Config, error) {
	if err := fault(set); err != nil {
		return 0, vdiapi.Config{}, err
	}
	s := sum("GetConfiguration", set, timeoutMs)
	if !strings.HasPrefix(set, "ok") {
		return s, vdiapi.Config{}, nil
	}
	return 0, vdiapi.Config{DeviceCount: s, Features: s + 1, PrefixZoneSize: s + 2, Alignment: s + 3,
		SoftFileMarkBlockSize: s + 4, EOMWarningSize: s + 5, ServerTimeOut: s + 6, BlockSize: s + 7,
		MaxIODepth: s + 8, MaxTransferSize: s + 9, BufferAreaSize: ^s}, nil
}

func (fakeImpl) OpenDevice(_ context.Context, set, device string) (uint32, error) {
	return sum("OpenDevice", set, device), fault(set)
}

func (fakeImpl) GetCommand(_ context.Context, set, device string, timeoutMs uint32) (uint32, vdiapi.Command, error) {
	if err := fault(set); err != nil {
		return 0, vdiapi.Command{}, err
	}
	s := sum("GetCommand", set, device, timeoutMs)
	if !strings.HasPrefix(device, "ok") {
		return s, vdiapi.Command{}, nil
	}
	return 0, vdiapi.Command{ID: uint64(s)<<32 | 7, Code: s, Size: ^s, Position: uint64(^s)<<31 | 3}, nil
}

func (fakeImpl) CompleteCommand(_ context.Context, set, device string, id uint64, cc, bt uint32, pos uint64) (uint32, error) {
	return sum("CompleteCommand", set, device, id, cc, bt, pos), fault(set)
}

func (fakeImpl) SignalAbort(_ context.Context, set string) (uint32, error) {
	return sum("SignalAbort", set), fault(set)
}

func (fakeImpl) Close(_ context.Context, set string) (uint32, error) {
	return sum("Close", set), fault(set)
}

func (fakeImpl) ServerOpen(_ context.Context, set string, devices []string) (uint32, error) {
	return sum("ServerOpen", set, devices), fault(set)
}

func (fakeImpl) ServerSendCommand(_ context.Context, set, device string, code, size uint32) (uint32, uint64, error) {
	if err := fault(set); err != nil {
		return 0, 0, err
	}
	s := sum("ServerSendCommand", set, device, code, size)
	if !strings.HasPrefix(device, "ok") {
		return s, 0, nil
	}
	return 0, uint64(s)<<24 | 1, nil
}

func (fakeImpl) ServerCloseDevice(_ context.Context, set, device string) (uint32, error) {
	return sum("ServerCloseDevice", set, device), fault(set)
}

func (fakeImpl) ServerSignalAbort(_ context.Context, set string) (uint32, error) {
	return sum("ServerSignalAbort", set), fault(set)
}

func (fakeImpl) Shutdown() error { return nil }
