// Package bench holds specgate's benchmarks (all in its _test.go files):
// the harness measured side by side with a raw baseline in the same run,
// per transport (in-process, exec shim, TCP shim, SOAP over HTTP), the
// memory of a long in-process run, and the time-to-detect comparison of
// the engine with a uniform random walk over the VDI mutants.
//
//	make bench                                  # benchmarks only
//	BENCH_TABLE=1 make bench                    # + ratio table, reports/bench/latest.{json,txt}
//	BENCH_DETECT=1 go test -run TestDetect -v ./internal/bench/   # reports/bench/detect.json
//
// The numbers are for comparing runs on one machine (benchstat reads
// reports/bench/latest.txt); no test asserts a timing.
package bench
