#!/usr/bin/env bash
# Installs Mono (Debian's mono-complete: mcs, mono, System.ServiceModel) for the WCF net.tcp
# interop test (interop/mono).
#
#   scripts/install-mono.sh
#
# Idempotent: when mcs and mono are already on PATH it does nothing. Otherwise it runs
# `apt-get install -y --no-install-recommends mono-complete` (about 45 s and 75 MB on a warm
# mirror), with `apt-get update` first when the package is unknown to apt. Needs root (or
# sudo without a password) and a reachable Debian/Ubuntu mirror. Exit status: 0 when mcs and
# mono are usable afterwards, 127 when there is no apt-get, 1 on any other failure.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have mcs && have mono; then
	echo "install-mono: mcs and mono already installed ($(mono --version 2>/dev/null | head -n1))"
	exit 0
fi

if ! have apt-get; then
	echo "install-mono: apt-get not found; install Mono (mono-complete) by other means" >&2
	exit 127
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	if have sudo && sudo -n true 2>/dev/null; then
		sudo=(sudo -n)
	else
		echo "install-mono: not root and no passwordless sudo; cannot apt-get install mono-complete" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show mono-complete >/dev/null 2>&1; then
	echo "install-mono: apt-get update (mono-complete unknown to apt)"
	"${sudo[@]}" apt-get update -q || { echo "install-mono: apt-get update failed" >&2; exit 1; }
fi
echo "install-mono: apt-get install -y --no-install-recommends mono-complete"
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends mono-complete; then
	echo "install-mono: first attempt failed; apt-get update and retry"
	"${sudo[@]}" apt-get update -q || true
	"${sudo[@]}" apt-get install -y -q --no-install-recommends mono-complete || {
		echo "install-mono: apt-get install mono-complete failed" >&2
		exit 1
	}
fi

if ! have mcs || ! have mono; then
	echo "install-mono: mono-complete installed but mcs/mono still not on PATH" >&2
	exit 1
fi
echo "install-mono: installed $(mono --version | head -n1)"
