package main

import (
	"context"
	"fmt"
	"io"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/fixtures/ipamtcp"
)

// fixtureIPAMNetTCP serves the IPAM reference (or its mutants) over
// net.tcp on addr, with its HTTP control endpoint on controlAddr, until
// ctx is done, and prints where once it is ready.
func fixtureIPAMNetTCP(ctx context.Context, addr, controlAddr string, opts ipamref.Options, stdout io.Writer) error {
	err := ipamtcp.ListenAndServe(ctx, addr, ipamtcp.Options{Ref: opts, ControlAddr: controlAddr}, func(i ipamtcp.Info) {
		fmt.Fprintf(stdout, "listening on %s control %s\n", i.Endpoint, i.Control)
	})
	if err != nil {
		return fmt.Errorf("fixture ipam-server --nettcp: %w", err)
	}
	return nil
}
