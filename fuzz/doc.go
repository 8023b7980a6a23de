// Package fuzz holds the native `go test -fuzz` targets that drive the
// engine against the embedded references through rapid.MakeFuzz. Parser fuzz
// targets live next to their parsers (internal/shim, internal/soap,
// internal/failfile, internal/report). `make test` runs the seed corpora;
// `make fuzz` fuzzes every target for a bounded time.
package fuzz
