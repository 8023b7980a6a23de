#!/usr/bin/env bash
# Installs the real GSSAPI NegotiateStream peer's packages for the MS-NNS interop test
# (interop/nns): MIT Kerberos GSSAPI with the gss-ntlmssp NTLM plugin, python3-gssapi for
# Debian's /usr/bin/python3, the MIT KDC and client tools (for Kerberos), winbind's ntlm_auth
# (a second NTLM judge) and tshark (an independent MC-NMF / MS-NNS dissector).
#
#   scripts/install-nns.sh
#
# Idempotent: when every package is already installed it does nothing. Otherwise it runs
# `apt-get install -y --no-install-recommends` for the missing ones, with `apt-get update`
# first when apt does not know one of them. Needs root (or passwordless sudo) and a Debian
# mirror. Exit status: 0 when /usr/bin/python3 imports gssapi and the gss-ntlmssp plugin is
# registered afterwards, 127 when there is no apt-get, 1 on any other failure.
set -euo pipefail

pkgs=(gss-ntlmssp python3-gssapi krb5-user krb5-kdc krb5-admin-server winbind tshark)

have() { command -v "$1" >/dev/null 2>&1; }
ready() {
	/usr/bin/python3 -c 'import gssapi' >/dev/null 2>&1 && ls /etc/gss/mech.d/*ntlmssp* >/dev/null 2>&1
}

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]] && ready; then
	echo "install-nns: ${pkgs[*]} already installed"
	exit 0
fi

if ! have apt-get; then
	echo "install-nns: apt-get not found; install ${missing[*]} by other means" >&2
	exit 127
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	if have sudo && sudo -n true 2>/dev/null; then
		sudo=(sudo -n)
	else
		echo "install-nns: not root and no passwordless sudo; cannot apt-get install ${missing[*]}" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
for p in "${missing[@]}"; do
	if ! apt-cache show "$p" >/dev/null 2>&1; then
		echo "install-nns: apt-get update ($p unknown to apt)"
		"${sudo[@]}" apt-get update -q || { echo "install-nns: apt-get update failed" >&2; exit 1; }
		break
	fi
done
echo "install-nns: apt-get install -y --no-install-recommends ${missing[*]}"
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
	echo "install-nns: first attempt failed; apt-get update and retry"
	"${sudo[@]}" apt-get update -q || true
	"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" || {
		echo "install-nns: apt-get install ${missing[*]} failed" >&2
		exit 1
	}
fi

if ! ready; then
	echo "install-nns: packages installed but /usr/bin/python3 cannot import gssapi or gss-ntlmssp is not registered" >&2
	exit 1
fi
echo "install-nns: installed ${missing[*]}"
