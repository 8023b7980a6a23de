#!/usr/bin/env bash
# Installs Debian's headless-capable `chromium` (/usr/bin/chromium), which the HTML report's
# browser test (internal/report, TestHTMLInBrowser) renders the report with.
#
#   scripts/install-browser.sh
#
# Idempotent: exits 0 at once when chromium is already installed. Otherwise runs
# `apt-get update` and `apt-get install -y --no-install-recommends chromium`, which needs
# root (or sudo) and access to the Debian mirrors. Exits 127 when apt-get is missing (not a
# Debian-like system) and 1 on any other failure.
set -euo pipefail

die() {
	echo "install-browser: $*" >&2
	exit 1
}

have_chromium() {
	[[ -x /usr/bin/chromium ]] || command -v chromium >/dev/null 2>&1
}

if have_chromium; then
	bin=$(command -v chromium || echo /usr/bin/chromium)
	echo "install-browser: chromium is already installed ($bin: $("$bin" --version 2>/dev/null || echo 'version unknown'))"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-browser: apt-get is not available; install Chromium by other means so that /usr/bin/chromium exists" >&2
	exit 127
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null 2>&1 || die "not root and sudo is not installed: run as root"
	sudo=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-browser: apt-get update"
"${sudo[@]}" apt-get update -qq || die "apt-get update failed (are the Debian mirrors reachable?)"
echo "install-browser: apt-get install -y --no-install-recommends chromium"
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium || die "apt-get install chromium failed"

have_chromium || die "chromium is not on PATH after apt-get install"
bin=$(command -v chromium || echo /usr/bin/chromium)
echo "install-browser: installed $("$bin" --version 2>/dev/null || echo chromium) at $bin"
