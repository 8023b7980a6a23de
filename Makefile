# specgate — see README.md. Every target works on a fresh clone.
GO       ?= go
BIN      ?= bin
PKGS     := ./...
FUZZTIME ?= 30s

.PHONY: all build test test-short bench bench-detect nightly fuzz suites suites-parallel vet fmt clean

all: build

build:
	$(GO) build -o $(BIN)/specgate ./cmd/specgate

vet:
	$(GO) vet $(PKGS)

# The whole test suite: unit tests, properties, fuzz seed corpora, Ginkgo
# suites, mutants and end-to-end CLI tests. Used by .ci/run.
test: vet
	$(GO) test -count=1 -timeout 20m $(PKGS)
	$(GO) test -count=1 -race -timeout 15m $(RACEPKGS)

# The drivers and the runner, under the race detector (part of `make test`).
RACEPKGS := ./internal/shim ./internal/soap ./internal/runner ./internal/engine ./internal/robustness ./internal/nettcp/duplex ./fixtures/ipamtcp

test-short:
	$(GO) test -short -count=1 $(PKGS)

# Benchmarks: one run, side-by-side ratios (see README "Performance").
# Benchmarks: one run prints the side-by-side table (BENCH_TABLE=1) and
# writes reports/bench/latest.json; bench-detect measures time-to-detect.
bench:
	BENCH_TABLE=1 $(GO) test -run '^$$' -bench . -benchtime 2s -count 3 -timeout 20m ./internal/bench/

bench-detect:
	BENCH_DETECT=1 $(GO) test -run TestDetect -v -timeout 20m ./internal/bench/

# One standalone conformance binary with every Ginkgo suite.
suites:
	$(GO) test -c -o $(BIN)/specgate-conformance ./suites/conformance

# The suites in parallel Ginkgo processes, with merged reports.
suites-parallel:
	$(GO) run github.com/onsi/ginkgo/v2/ginkgo -p --junit-report=junit.xml --json-report=report.json --output-dir=reports/ginkgo ./suites/conformance

# Bounded native fuzzing of every fuzz target (seed corpora run in `make test`).
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# Long fuzzing against the embedded references, for nightly CI.
nightly: build
	$(BIN)/specgate run --checks 200000 --steps 60 --profile strict
	$(BIN)/specgate run --checks 200000 --steps 60 --profile documented
	FUZZTIME=5m ./scripts/fuzz.sh 5m

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN) specgate-out
