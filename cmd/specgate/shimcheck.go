package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/specgate/specgate/internal/shim"
	"github.com/specgate/specgate/internal/target"
	"github.com/specgate/specgate/internal/vdiapi"
	"github.com/specgate/specgate/models/vdi"
)

const shimCheckHelp = `Usage: specgate shim-check --target vdi:exec:'CMD' | vdi:tcp://HOST:PORT [flags]

Tells a vendor writing a VDI shim whether it speaks the shim protocol
(docs/vdi-shim-protocol.md) before any model runs: the shim.hello handshake,
shim.reset, and one call of every method on a scratch device set, each of
which must be answered in time with a well-formed result. It does not judge
the status codes: "specgate run" does.

Exit status: 0 the shim speaks the protocol, 1 problems were found,
2 usage error, 3 the shim could not be started or reached.

Flags:
`

func cmdShimCheck(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("shim-check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tgt := fs.String("target", "", "the shim: vdi:exec:'CMD ARGS' or vdi:tcp://HOST:PORT")
	callTimeout := fs.Duration("call-timeout", 5*time.Second, "deadline of every call")
	startTimeout := fs.Duration("start-timeout", shim.DefaultStartTimeout, "deadline of the first shim.hello a new child or connection answers (its start-up)")
	var env shimEnv
	fs.Var(&env, "shim-env", "exec shims: NAME=VALUE added to the shim child's environment (repeatable; values are never printed)")
	fs.Usage = func() { fmt.Fprint(fs.Output(), shimCheckHelp); fs.PrintDefaults() }
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			return 0, errHelp
		}
		return 0, usagef("shim-check: %v", err)
	}
	if fs.NArg() > 0 {
		return 0, usagef("shim-check: unexpected argument %q", fs.Arg(0))
	}
	if err := durInRange("shim-check", "call-timeout", *callTimeout, maxCallTimeout, true); err != nil {
		return 0, err
	}
	if err := durInRange("shim-check", "start-timeout", *startTimeout, maxCallTimeout, true); err != nil {
		return 0, err
	}
	if err := env.check("shim-check"); err != nil {
		return 0, err
	}
	spec, err := target.Parse(*tgt)
	if err != nil {
		return 0, usagef("shim-check: %v", err)
	}
	if spec.Family != target.FamilyVDI {
		return 0, usagef("shim-check: --target must be vdi:exec:'CMD' or vdi:tcp://HOST:PORT")
	}
	if err := env.forTarget("shim-check", spec.Kind); err != nil {
		return 0, err
	}
	ctx := context.Background()
	c, err := shim.Dial(ctx, spec.Kind+":"+spec.Addr, shim.Options{CallTimeout: *callTimeout, StartTimeout: *startTimeout, Env: env})
	if err != nil {
		return 0, &unreachableError{fmt.Errorf("shim-check: %w", err)}
	}
	defer c.Shutdown()
	problems := 0
	// The child's stderr tail is printed once, at the end: every failing
	// call carries the same (growing) tail, so the last one holds it all.
	var tail string
	defer func() { printStderrTail(stdout, tail) }()
	report := func(what string, err error, hr uint32, extra string) {
		if err != nil {
			problems++
			fmt.Fprintf(stdout, "  FAIL  %-22s %v\n", what, err)
			var se *shim.Error
			if errors.As(err, &se) && se.StderrTail != "" {
				tail = se.StderrTail
			}
			return
		}
		fmt.Fprintf(stdout, "  ok    %-22s hr=%s (%s)%s\n", what, vdi.HR(hr).Hex(), vdi.HR(hr), extra)
	}
	fmt.Fprintf(stdout, "shim-check %s\n", spec.Raw)
	h, err := c.Hello(ctx, "documented")
	if err != nil {
		report("shim.hello", err, 0, "")
		fmt.Fprintf(stdout, "%d problem(s): the handshake failed, nothing else was tried\n", problems)
		return ExitDivergence, nil
	}
	if h.Protocol != vdiapi.ProtocolVersion {
		problems++
		fmt.Fprintf(stdout, "  FAIL  shim.hello             protocol %q, want %q\n", h.Protocol, vdiapi.ProtocolVersion)
	} else {
		fmt.Fprintf(stdout, "  ok    shim.hello             %s %s %s, concurrentSets=%v server=%v\n",
			h.Protocol, h.Implementation, h.Version, h.Capabilities.ConcurrentSets, h.Capabilities.Server)
	}
	if !h.Capabilities.Server {
		fmt.Fprintln(stdout, "  note  the shim does not implement server.* (capabilities.server=false): specgate cannot drive the server side")
	}
	if !h.Capabilities.ConcurrentSets {
		fmt.Fprintln(stdout, "  note  the shim does not serve concurrent sets: specgate runs its sequences one at a time")
	}
	report("shim.reset", c.Reset(ctx, ""), 0, "")
	set := "shimcheck"
	dev0, dev1 := vdiapi.DeviceName(set, 0), vdiapi.DeviceName(set, 1)
	hr, err := c.CreateEx(ctx, "", set, vdiapi.Config{DeviceCount: 2})
	report("vdi.CreateEx", err, hr, "")
	if h.Capabilities.Server {
		hr, err = c.ServerOpen(ctx, set, []string{dev0, dev1})
		report("server.Open", err, hr, "")
	}
	hr, cfg, err := c.GetConfiguration(ctx, set, 0)
	report("vdi.GetConfiguration", err, hr, fmt.Sprintf(" deviceCount=%d", cfg.DeviceCount))
	hr, err = c.OpenDevice(ctx, set, dev0)
	report("vdi.OpenDevice", err, hr, "")
	var id uint64
	if h.Capabilities.Server {
		hr, id, err = c.ServerSendCommand(ctx, set, dev0, vdi.VDC_Write, 4096)
		report("server.SendCommand", err, hr, fmt.Sprintf(" id=%d", id))
	}
	hr, cmd, err := c.GetCommand(ctx, set, dev0, 0)
	report("vdi.GetCommand", err, hr, fmt.Sprintf(" command={id %d, code %d, size %d}", cmd.ID, cmd.Code, cmd.Size))
	if err == nil && id != 0 && cmd.ID != id {
		problems++
		fmt.Fprintf(stdout, "  FAIL  vdi.GetCommand         delivered command id %d, server.SendCommand returned %d\n", cmd.ID, id)
	}
	hr, err = c.CompleteCommand(ctx, set, dev0, cmd.ID, 0, 4096, 0)
	report("vdi.CompleteCommand", err, hr, "")
	if h.Capabilities.Server {
		hr, err = c.ServerCloseDevice(ctx, set, dev0)
		report("server.CloseDevice", err, hr, "")
		hr, err = c.ServerSignalAbort(ctx, set)
		report("server.SignalAbort", err, hr, "")
	}
	hr, err = c.SignalAbort(ctx, set)
	report("vdi.SignalAbort", err, hr, "")
	hr, err = c.Close(ctx, set)
	report("vdi.Close", err, hr, "")
	hr, err = c.Create(ctx, set, vdiapi.Config{DeviceCount: 1})
	report("vdi.Create", err, hr, "")
	report("shim.reset (set)", c.Reset(ctx, set), 0, "")
	if problems > 0 {
		fmt.Fprintf(stdout, "%d problem(s): fix them before running specgate run\n", problems)
		return ExitDivergence, nil
	}
	fmt.Fprintln(stdout, "the shim speaks specgate-vdi-shim/1; now run: "+program()+" run --target "+shellQuote(spec.Raw))
	return ExitConformant, nil
}

// printStderrTail prints the shim child's stderr tail once, one "| " line
// per line, after every call was tried.
func printStderrTail(w io.Writer, tail string) {
	tail = strings.TrimRight(tail, "\n")
	if tail == "" {
		return
	}
	fmt.Fprintln(w, "shim stderr (its last lines, once for all the calls above):")
	for _, l := range strings.Split(tail, "\n") {
		fmt.Fprintln(w, "  | "+l)
	}
}
