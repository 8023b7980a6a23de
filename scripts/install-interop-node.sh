#!/usr/bin/env bash
# Installs the node-soap interop server's dependencies (interop/node/node_modules) from the
# committed interop/node/package.json + package-lock.json with `npm ci`.
#
#   scripts/install-interop-node.sh
#
# Idempotent: when node_modules already matches package-lock.json (a stamp holding the lock's
# SHA-256 is written after a successful install) it does nothing. Needs Node.js >= 20.19 and npm
# with access to the npm registry; exits 127 with a message when node or npm is missing and 1
# on any other failure. The pinned node-soap version is the one in package.json ("soap").
set -euo pipefail

die() {
	echo "install-interop-node: $*" >&2
	exit 1
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir="$root/interop/node"
stamp="$dir/node_modules/.specgate-lock.sha256"

for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "install-interop-node: $tool is not installed (or not on PATH); the node-soap interop server needs Node.js >= 20.19 and npm" >&2
		exit 127
	fi
done

ver=$(node -p 'process.versions.node') || die "cannot run node"
major=${ver%%.*}
rest=${ver#*.}
minor=${rest%%.*}
if ((major < 20 || (major == 20 && minor < 19))); then
	die "node $ver is too old: soap@1.13.0 needs Node.js >= 20.19"
fi

[[ -f "$dir/package.json" && -f "$dir/package-lock.json" ]] || die "missing $dir/package.json or package-lock.json"

if command -v sha256sum >/dev/null 2>&1; then
	want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
else
	want=$(node -e 'process.stdout.write(require("crypto").createHash("sha256").update(require("fs").readFileSync(process.argv[1])).digest("hex"))' "$dir/package-lock.json")
fi

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$dir/node_modules/soap/package.json" ]]; then
	echo "install-interop-node: $dir/node_modules is up to date (soap $(node -p 'require(process.argv[1]).version' "$dir/node_modules/soap/package.json"))"
	exit 0
fi

echo "install-interop-node: npm ci in $dir (node $ver, npm $(npm --version 2>/dev/null))"
# --ignore-scripts: no dependency of soap needs an install script, and none should run.
if ! (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error); then
	die "npm ci failed in $dir (is the npm registry reachable?)"
fi

got=$(node -p 'require(process.argv[1]).version' "$dir/node_modules/soap/package.json" 2>/dev/null) || die "soap is not in $dir/node_modules after npm ci"
pinned=$(node -p 'require(process.argv[1]).dependencies.soap' "$dir/package.json")
[[ "$got" == "$pinned" ]] || die "installed soap $got, but package.json pins $pinned"

echo "$want" >"$stamp"
echo "install-interop-node: installed soap $got in $dir/node_modules"
