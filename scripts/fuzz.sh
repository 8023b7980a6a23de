#!/usr/bin/env bash
# Runs every native fuzz target of the project for a bounded time each.
# Usage: scripts/fuzz.sh [DURATION]   (default 30s per target)
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-30s}"
targets=(
  "./fuzz FuzzVDIStrict"
  "./fuzz FuzzVDIDocumented"
  "./internal/shim FuzzDecodeResponse"
  "./internal/shim FuzzFastPaths"
  "./internal/soap FuzzParseEnvelope"
  "./internal/soap FuzzParseFault"
  "./internal/failfile FuzzParse"
  "./fuzz FuzzIPAMStrict"
  "./fuzz FuzzIPAMDocumented"
  "./internal/report FuzzParseBaseline"
  "./internal/report FuzzParseReport"
  "./internal/nettcp/nmf FuzzNMFRecord"
  "./internal/nettcp/nbfx FuzzNBFXDecode"
  "./internal/nettcp/nbfx FuzzNBFXEncode"
)
for entry in "${targets[@]}"; do
  set -- $entry
  echo "== $1 $2 ($t)"
  go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "$t"
done
