#
# Sends every step's envelope to SOAP_URL with curl (single-URL layout, or
# IPAM_LAYOUT=per-port for <base>/IIpamServer, <base>/IIpamAsyncProvision,
# <base>/IIpamAsyncSchemaConversion), receives the callbacks with
# listener.py on 127.0.0.1 (CALLBACK_HOST=ADDR binds and advertises another
# address), and compares each step's outcome with the outcomes the specgate
# model allows in that state (the "model" comments of each step; the tokens
# are explained in listener.py). With a control endpoint the server is
# first reset and set as specgate sets it: IPAM configured, schema
# conversion required, CHECKPOINTS checkpoints (default 1), no hold.
#
# Environment: QUIESCENCE (seconds to wait for an awaited callback,
# default 5), SETTLE (seconds to wait for late callbacks after the last
# step, default 1), CHECKPOINTS, CALLBACK_HOST, IPAM_LAYOUT.
# Needs: a POSIX shell, curl, python3 (standard library only).
# Exit status: 0 when every step matches; 1 at the first mismatch (printed
# with its step, cell, the allowed outcomes and the observed one; the
# exchange is kept in the work directory it names); 2 on a usage error; 3
# when the environment fails (the listener cannot start, the SUT cannot be
# reached, the control endpoint does not answer 204).
set -u
here=$(cd "$(dirname "$0")" && pwd)
QUIESCENCE=${QUIESCENCE:-5}
SETTLE=${SETTLE:-1}
IPAM_LAYOUT=${IPAM_LAYOUT:-single}

usage() { echo "usage: $0 SOAP_URL [CONTROL_URL]" >&2; exit 2; }
envfail() { echo "inconclusive: environment: $*" >&2; exit 3; }

[ $# -ge 1 ] && [ $# -le 2 ] || usage
case $1 in http://*|https://*) ;; *) echo "run.sh: SOAP_URL must be an http or https URL, got '$1'" >&2; exit 2 ;; esac
URL=${1%/}
CONTROL=${2:-}
CONTROL=${CONTROL%/}
command -v curl >/dev/null 2>&1 || envfail "curl not found on PATH"
command -v python3 >/dev/null 2>&1 || envfail "python3 not found on PATH"
W=$(mktemp -d "${TMPDIR:-/tmp}/specgate-repro.XXXXXX") || envfail "cannot create a work directory"
LPID=
cleanup() { [ -n "$LPID" ] && kill "$LPID" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM

xml_escape() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }

# url_for ACTION: where a request with ACTION is POSTed (and its To).
url_for() {
	if [ "$IPAM_LAYOUT" = per-port ]; then
		port=${1#http://Microsoft.Windows.Ipam/}
		printf '%s/%s' "$URL" "${port%%/*}"
	else
		printf '%s' "$URL"
	fi
}

# lq PATH: a request to the listener's local query interface.
lq() { curl -sS --max-time 120 "http://127.0.0.1:$LPORT$1" || envfail "the callback listener stopped answering"; }

begin() {
	if [ "$CONTROL_NEEDED" = 1 ] && [ -z "$CONTROL" ]; then
		echo "run.sh: this failure was found with a control endpoint: give CONTROL_URL" >&2
		exit 2
	fi
	python3 "$here/listener.py" --host "${CALLBACK_HOST:-127.0.0.1}" --port-file "$W/port" \
		--prefix "$PREFIX" --log "$W/callbacks.log" 2>"$W/listener.err" &
	LPID=$!
	i=0
	while [ ! -s "$W/port" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || envfail "the callback listener did not start: $(head -n 1 "$W/listener.err")"
		kill -0 "$LPID" 2>/dev/null || envfail "the callback listener did not start: $(head -n 1 "$W/listener.err")"
		sleep 0.05
	done
	LPORT=$(cat "$W/port")
	node=0
	if [ -n "$CONTROL" ]; then
		control reset "" "$CONTROL/reset"
		control adm "{\"ipamConfigured\":true,\"schemaConversionRequired\":true,\"checkpoints\":$CHECKPOINTS,\"hold\":false}" "$CONTROL/adm"
	fi
}

# control WHAT JSON URL: one control request; anything but 204 is the
# environment failing, not the SUT.
control() {
	code=$(curl -sS -o "$W/control.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "$2" "$3") || envfail "control endpoint $3 cannot be reached"
	[ "$code" = 204 ] || envfail "control $1 answered $code, not 204: $(head -c 200 "$W/control.out")"
}

control_adm() { control adm "$1" "$CONTROL/adm"; echo 204; }

step() { STEP=$1; ACT=$2; echo "step $1: $2" >&2; }

open_session() { eval "CB$1=\$(lq \"/_open?slot=$1\")"; }

# post MEP ACTION RESPONSE_ACTION RESULT: POSTs $W/req.xml; prints the
# primary token.
post() {
	dest=$(url_for "$2")
	TO_XML=$(xml_escape "$dest")
	# The here-document was expanded before TO_XML was known: fill it now.
	sed "s|@TO@|$(printf '%s' "$TO_XML" | sed 's/[|&\\]/\\&/g')|" "$W/req.xml" >"$W/req.$STEP.xml"
	code=$(curl -sS -o "$W/resp.$STEP.xml" -w '%{http_code}' -X POST \
		-H "Content-Type: application/soap+xml; charset=utf-8; action=\"$2\"" \
		--data-binary @"$W/req.$STEP.xml" "$dest") || envfail "the SUT at $dest cannot be reached"
	python3 "$here/listener.py" answer --mep "$1" --status "$code" --action "$3" --result "$4" "$W/resp.$STEP.xml"
}

# observe AWAIT: the callbacks of the step (see listener.py).
observe() { lq "/_observe?await=$1&timeout=$QUIESCENCE"; }

settle() { sleep "$SETTLE"; }

mismatch() {
	echo "MISMATCH at step $STEP: $ACT" >&2
	echo "  cell:     $1" >&2
	echo "  allowed:  $2" >&2
	echo "  observed: $tok" >&2
	echo "  exchange: $W (req.$STEP.xml, resp.$STEP.xml, callbacks.log)" >&2
	trap - EXIT
	cleanup
	exit 1
}

pass() {
	echo "every step matched the model: no divergence reproduced" >&2
	rm -rf "$W"
	exit 0
}
