# specgate — see README.md. Every target works on a fresh clone.
GO       ?= go
BIN      ?= bin
PKGS     := ./...
FUZZTIME ?= 30s

.PHONY: all build deps check-deps test test-short bench bench-detect nightly fuzz suites suites-parallel vet fmt clean expected

all: build

build:
	$(GO) build -o $(BIN)/specgate ./cmd/specgate

vet:
	$(GO) vet $(PKGS)

# What the interop and browser tests need and `make test` never installs:
# Mono (apt-get mono-complete), node-soap (npm ci in interop/node) and
# Chromium (apt-get chromium), the MS-NNS GSSAPI peer (apt-get gss-ntlmssp,
# python3-gssapi, MIT Kerberos, winbind, tshark). Needs root or sudo and the package mirrors.
# Every script is idempotent. .ci/run runs this before `make test`.
deps:
	bash scripts/install-mono.sh
	bash scripts/install-interop-node.sh
	bash scripts/install-browser.sh
	bash scripts/install-nns.sh

# Says which of those are missing (their tests are skipped, or fail under
# CI=true); installs nothing.
check-deps:
	@bash scripts/check-deps.sh

# The whole test suite: unit tests, properties, fuzz seed corpora, Ginkgo
# suites, mutants and end-to-end CLI tests. Installs nothing (see deps).
# Used by .ci/run.
test: vet check-deps
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

# The suites in parallel Ginkgo processes, with merged reports. TARGET,
# CONTROL and PROFILE are passed to the suites as -target, -control and
# -profile (unset: the suites' defaults, the embedded references), e.g.
#   make suites-parallel TARGET=soap:http://host:8080/ipam CONTROL=http://host:8080/control
TARGET  ?=
CONTROL ?=
PROFILE ?=
sq = '$(subst ','\'',$(1))'
SUITE_FLAGS = $(if $(TARGET),-target=$(call sq,$(TARGET))) $(if $(CONTROL),-control=$(call sq,$(CONTROL))) $(if $(PROFILE),-profile=$(call sq,$(PROFILE)))
suites-parallel:
	$(GO) run github.com/onsi/ginkgo/v2/ginkgo -p --junit-report=junit.xml --json-report=report.json --output-dir=reports/ginkgo ./suites/conformance $(if $(strip $(SUITE_FLAGS)),-- $(SUITE_FLAGS))

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

# The generated expected-behaviour pages (docs/expected); a test fails when
# they differ from what the models render.
expected:
	for m in vdi ipam; do \
	  $(GO) run ./cmd/specgate models --format markdown --model $$m > docs/expected/$$m.md && \
	  $(GO) run ./cmd/specgate models --format expected-json --model $$m > docs/expected/$$m.json && \
	  $(GO) run ./cmd/specgate models --format csv --model $$m > docs/expected/$$m.csv; \
	done
