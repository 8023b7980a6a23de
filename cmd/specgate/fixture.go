package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/specgate/specgate/fixtures/chaos"
	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/internal/shim"
)

const fixtureHelp = `Usage: specgate fixture NAME [flags]

Runs a system under test bundled with specgate.

Fixtures:
  vdi-shim    the reference VDI implementation (or mutants) as a JSON-RPC shim,
              on stdin/stdout, or on TCP with --listen
  ipam-server the reference IPAM management server (or mutants) over HTTP, with its
              control endpoint: SOAP on /ipam, control on /control; over net.tcp
              with --nettcp ADDR (control then on HTTP at --listen)
  chaos-vdi   a VDI shim that misbehaves on command (--mode NAME[:METHOD][@N|%N][+DELAY]; --mode list)
  chaos-soap  an IPAM server that misbehaves on command (same --mode syntax)
  echo        echoes every stdin line (the raw-pipe baseline of the benchmarks)

Run "specgate fixture vdi-shim --help" for its flags; --mutant list prints the mutants.
--mutant takes a comma-separated list (every bug planted at once, e.g.
--mutant wrong-code,lifo,deep); --mutant combined plants the fixture's Combined list.
`

func cmdFixture(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, fixtureHelp)
		if len(args) == 0 {
			return usagef("fixture: missing fixture name")
		}
		return errHelp
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "vdi-shim":
		return fixtureVDIShim(ctx, args[1:], stdout, stderr)
	case "ipam-server":
		return fixtureIPAMServer(ctx, args[1:], stdout, stderr)
	case "chaos-vdi", "chaos-soap":
		return fixtureChaos(ctx, args[0], args[1:], stdout, stderr)
	case "echo":
		return shim.Echo(os.Stdin, os.Stdout)
	}
	return usagef("fixture: unknown fixture %q (want vdi-shim, ipam-server, chaos-vdi, chaos-soap or echo)", args[0])
}

func fixtureVDIShim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fixture vdi-shim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", "documented", "profile to emulate until shim.hello names one")
	mutant := fs.String("mutant", "", "plant these mutants, comma-separated (\"combined\": "+vdiref.Combined+"; \"list\" prints them)")
	listen := fs.String("listen", "", "serve TCP on this address (e.g. 127.0.0.1:7000) instead of stdin/stdout")
	fixed := fs.Bool("fixed", false, "keep --profile whatever shim.hello names (a product with one behaviour)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: specgate fixture vdi-shim [--profile P] [--fixed] [--mutant NAME[,NAME...]] [--listen ADDR]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			return errHelp
		}
		return usagef("fixture vdi-shim: %v", err)
	}
	if *mutant == "list" {
		for _, m := range vdiref.Mutants {
			fmt.Fprintf(stdout, "%-14s %-10s %-44s minimal %d steps (%s), shows %s in %s observed %q: %s\n", m.Name, m.Kind, m.Clause, m.MinLen,
				strings.Join(m.Profiles, ","), m.Shows, m.Cell, m.Observed, m.Description)
		}
		for _, m := range vdiref.Unstable {
			fmt.Fprintf(stdout, "%-14s %-10s %-44s unstable (%s), shows %s in %s observed %q: %s\n", m.Name, m.Kind, m.Clause,
				strings.Join(m.Profiles, ","), m.Shows, m.Cell, m.Observed, m.Description)
		}
		fmt.Fprintf(stdout, "%-14s %s (documented profile)\n", "combined", vdiref.Combined)
		return nil
	}
	opts := vdiref.Options{Profile: *profile, Mutant: *mutant, Fixed: *fixed}
	if err := opts.Validate(); err != nil {
		return usagef("fixture vdi-shim: %v", err)
	}
	impl := vdiref.New(opts)
	if *listen == "" {
		return shim.Serve(ctx, os.Stdin, os.Stdout, impl)
	}
	return shim.ListenAndServe(ctx, *listen, impl, func(a net.Addr) {
		fmt.Fprintf(stdout, "listening on %s\n", a)
	})
}

func fixtureIPAMServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fixture ipam-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", "documented", "profile to emulate: strict or documented")
	mutant := fs.String("mutant", "", "plant these mutants, comma-separated (\"combined\": "+ipamref.Combined+"; \"list\" prints them)")
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	checkpoints := fs.Int("checkpoints", 1, "checkpoints per operation")
	nettcp := fs.String("nettcp", "", "serve SOAP over net.tcp (MC-NMF duplex, binary 0x08 or text 0x03) on this address instead of HTTP; --listen is then the control endpoint's address")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: specgate fixture ipam-server [--profile P] [--mutant NAME[,NAME...]] [--listen ADDR] [--nettcp ADDR]\n\nPrints \"listening on ADDR\" when ready; SOAP on http://ADDR/ipam, control on http://ADDR/control.\nWith --nettcp it prints \"listening on net.tcp://ADDR/ipam control http://ADDR/control\".\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			return errHelp
		}
		return usagef("fixture ipam-server: %v", err)
	}
	if *mutant == "list" {
		for _, m := range ipamref.Mutants {
			fmt.Fprintf(stdout, "%-30s %-36s minimal %d steps (%s), shows %s in %s observed %q: %s\n", m.Name, m.Clause, m.MinLen,
				strings.Join(m.Profiles, ","), m.Reported(), m.Cell, m.ObservedIn(*profile), m.Description)
		}
		fmt.Fprintf(stdout, "%-30s %s\n", "combined", ipamref.Combined)
		return nil
	}
	if err := intInRange("fixture ipam-server", "checkpoints", *checkpoints, 0, maxCheckpoints); err != nil {
		return err
	}
	opts := ipamref.Options{Profile: *profile, Mutant: *mutant, Checkpoints: *checkpoints}
	if err := opts.Validate(); err != nil {
		return usagef("fixture ipam-server: %v", err)
	}
	if *nettcp != "" {
		return fixtureIPAMNetTCP(ctx, *nettcp, *listen, opts, stdout)
	}
	srv := ipamref.New(opts)
	defer srv.Close()
	return ipamref.ListenAndServe(ctx, *listen, srv, func(a net.Addr) {
		fmt.Fprintf(stdout, "listening on %s\n", a)
	})
}

func fixtureChaos(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fixture "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "", "misbehaviour: NAME[:METHOD][@N|%N][+DELAY] (\"list\" prints them)")
	listen := fs.String("listen", "", "serve on this address (chaos-soap default 127.0.0.1:0; chaos-vdi default stdin/stdout)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: specgate fixture %s --mode NAME [--listen ADDR]\n\nFlags:\n", name)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			return errHelp
		}
		return usagef("fixture %s: %v", name, err)
	}
	tr := chaos.TransportVDI
	if name == "chaos-soap" {
		tr = chaos.TransportSOAP
	}
	if *mode == "list" || *mode == "" {
		for _, m := range chaos.ModesFor(tr) {
			fmt.Fprintf(stdout, "%-20s %s\n", m, chaos.Describe(m))
		}
		if *mode == "" {
			return usagef("fixture %s: --mode is required", name)
		}
		return nil
	}
	m, err := chaos.ParseMode(*mode)
	if err == nil {
		err = m.Supports(tr)
	}
	if err != nil {
		return usagef("fixture %s: %v", name, err)
	}
	ready := func(a net.Addr) { fmt.Fprintf(stdout, "listening on %s\n", a) }
	if name == "chaos-soap" {
		if *listen == "" {
			*listen = "127.0.0.1:0"
		}
		return chaos.ListenSOAP(ctx, *listen, m, ipamref.Options{}, ready)
	}
	if *listen == "" {
		return chaos.ServeVDI(ctx, os.Stdin, os.Stdout, m)
	}
	return chaos.ListenVDI(ctx, *listen, m, ready)
}
