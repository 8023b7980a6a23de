#!/usr/bin/env bash
# Says, before `make test` runs, which optional test dependencies are missing, so that the
# tests that need them (and are skipped without them: go test prints nothing for a skip
# unless -v) are not skipped silently. Installs nothing: `make deps` does.
#
#   scripts/check-deps.sh          # exit 0; one "missing" line per absent dependency
#   CI=true scripts/check-deps.sh  # the same lines, and exit 1 when anything is missing
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
missing=0
warn() {
	echo "check-deps: missing $1: $2 will be SKIPPED (with CI=true they fail); run \`make deps\` to install it" >&2
	missing=1
}
have() { command -v "$1" >/dev/null 2>&1; }

have mcs && have mono || warn "Mono (mcs, mono)" "the WCF net.tcp interop tests (interop/mono)"

lock="$root/interop/node/package-lock.json"
stamp="$root/interop/node/node_modules/.specgate-lock.sha256"
if ! have node || ! have npm; then
	warn "Node.js and npm" "the node-soap interop tests (interop/node)"
elif [[ ! -f "$stamp" ]] || [[ "$(cat "$stamp")" != "$(sha256sum "$lock" | cut -d' ' -f1)" ]]; then
	warn "node-soap (interop/node/node_modules)" "the node-soap interop tests (interop/node)"
fi

if [[ -z "${SPECGATE_CHROMIUM:-}" && ! -x /usr/bin/chromium ]] && ! have chromium; then
	warn "Chromium" "the HTML report's browser test (internal/report TestHTMLInBrowser)"
fi

if ! /usr/bin/python3 -c 'import gssapi' >/dev/null 2>&1 || ! ls /etc/gss/mech.d/*ntlmssp* >/dev/null 2>&1; then
	warn "the GSSAPI NegotiateStream peer (python3-gssapi, gss-ntlmssp)" "the MS-NNS interop tests (interop/nns)"
fi
have krb5kdc && have kdb5_util || warn "MIT Kerberos KDC (krb5-kdc)" "the Kerberos MS-NNS interop tests (interop/nns)"
have ntlm_auth || warn "Samba ntlm_auth (winbind)" "the second NTLM judge (interop/nns)"
have tshark || warn "tshark" "the MS-NNS capture check (interop/nns)"

if ((missing)) && [[ "${CI:-}" == "true" ]]; then
	echo "check-deps: CI=true: every test must run; run \`make deps\` first" >&2
	exit 1
fi
exit 0
