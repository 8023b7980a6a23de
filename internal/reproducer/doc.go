// Package reproducer turns a saved failure file into a standalone
// reproducer that needs nothing of specgate: a JSON-lines script of shim
// requests with the answers the model allows and a Python 3 runner for it
// (VDI), or a Go test for a vendor's own CI that calls the public checker
// API (suites/checker).
package reproducer
