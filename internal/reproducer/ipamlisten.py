#!/usr/bin/env python3
"""Callback listener and answer classifier of a specgate IPAM reproducer.

Written by `specgate export --format ipam-curl`; run.sh starts it. Python 3
standard library only.

  listener.py --host ADDR --port-file F --prefix exact|any --log F
      serves the session callback URLs (POST /cb/<id>, answered 202 as the
      specgate binding's callback endpoint does, 404 for an unknown id) and a
      local query interface for run.sh:
        GET /_open?slot=K           a fresh callback URL for session slot K
                                    (the slot's previous session is retired)
        GET /_uuid                  a fresh urn:uuid MessageID
        GET /_observe?await=SPEC&timeout=SECONDS
                                    waits until every "K:complete" or
                                    "K:start" of SPEC is met (or a callback
                                    that cannot be read arrives, or the
                                    timeout), then prints the callbacks each
                                    slot received since the last observe
  listener.py answer --mep rr|oneway --status CODE --action A --result R FILE
      prints the primary token of an HTTP answer saved in FILE

Tokens (what run.sh compares with the outcomes the model allows):
  primary   response | fault | true | false | accepted | http-<code> |
            wrong-action | malformed
  per slot  " s<K>=" then the callbacks joined by ",": <prefix>:<Notify name>,
            a Complete followed by (nil) or (exc) (exception absent or
            i:nil="true" is nil), consecutive checkpoints written once,
            "silence" when the awaited callback did not come in time;
            <prefix> is cb (the callback port type's Action,
            ...Callback/Notify...), srv (the server port type's) or any;
            "mismatch(<action>/<body>)" when the Action and the body element
            disagree, "unknown-action(<action>)", "malformed"
  trailers  " late" (a callback on a session whose slot was re-initialized),
            " stray" (a callback to an unknown callback URL)
"""
import argparse
import http.server
import os
import secrets
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
BASE = "http://Microsoft.Windows.Ipam/"
MAX_BODY = 1 << 20

# Callback Actions: (port type, Notify name) -> prefix.
PORTS = {
    "IIpamAsyncProvision": "srv", "IIpamAsyncProvisionCallback": "cb",
    "IIpamAsyncSchemaConversion": "srv", "IIpamAsyncSchemaCallback": "cb",
}
FAMILY_OF_PORT = {
    "IIpamAsyncProvision": "NotifyAsyncProvision", "IIpamAsyncProvisionCallback": "NotifyAsyncProvision",
    "IIpamAsyncSchemaConversion": "NotifyAsyncSchemaConversion", "IIpamAsyncSchemaCallback": "NotifyAsyncSchemaConversion",
}
KINDS = ("Start", "Checkpoint", "Complete")


def local(tag):
    return tag.rsplit("}", 1)[-1]


def parse_envelope(data):
    """Returns (Action, the Body's element or None), or raises ValueError."""
    if b"<!DOCTYPE" in data:
        raise ValueError("DTD")
    root = ET.fromstring(data)
    if root.tag != "{%s}Envelope" % SOAP12:
        raise ValueError("not a SOAP 1.2 envelope")
    action, body = "", None
    for child in root:
        if child.tag == "{%s}Header" % SOAP12:
            for h in child:
                if h.tag == "{%s}Action" % WSA:
                    action = (h.text or "").strip()
        elif child.tag == "{%s}Body" % SOAP12:
            kids = list(child)
            if len(kids) > 1:
                raise ValueError("two Body children")
            body = kids[0] if kids else None
    return action, body


def render_callback(data, prefix_mode):
    """One callback as a token element."""
    try:
        action, body = parse_envelope(data)
    except (ET.ParseError, ValueError):
        return "malformed"
    rest = action[len(BASE):] if action.startswith(BASE) else ""
    port, _, name = rest.partition("/")
    fam = FAMILY_OF_PORT.get(port)
    if fam is None or not name.startswith(fam) or name[len(fam):] not in KINDS:
        return "unknown-action(%s)" % action
    if body is None or local(body.tag) != name or not body.tag.startswith("{http://Microsoft.Windows.Ipam}"):
        return "mismatch(%s/%s)" % (name, local(body.tag) if body is not None else "none")
    prefix = "any" if prefix_mode == "any" else PORTS[port]
    tok = prefix + ":" + name
    if name.endswith("Complete"):
        exc = "nil"
        for c in body:
            if local(c.tag) == "exception" and c.get("{%s}nil" % XSI) not in ("true", "1"):
                exc = "exc"
        tok += "(%s)" % exc
    return tok


class State:
    def __init__(self, base, prefix_mode, log):
        self.base, self.prefix_mode, self.log = base, prefix_mode, log
        self.cond = threading.Condition()
        self.sessions = {}  # id -> list of token elements
        self.slot = {}  # slot -> id
        self.seen = {}  # id -> how many elements observed
        self.retired = set()
        self.stray = 0

    def open(self, k):
        with self.cond:
            if k in self.slot:
                self.retired.add(self.slot[k])
            sid = secrets.token_hex(16)
            self.sessions[sid], self.seen[sid], self.slot[k] = [], 0, sid
            return self.base + "/cb/" + sid

    def callback(self, sid, data):
        with self.cond:
            if sid not in self.sessions:
                self.stray += 1
                self.cond.notify_all()
                return False
            tok = render_callback(data, self.prefix_mode)
            self.sessions[sid].append(tok)
            with open(self.log, "a", encoding="utf-8") as f:
                f.write("%s %s\n" % (sid, tok))
                f.write(data.decode("utf-8", "replace").replace("\n", " ") + "\n")
            self.cond.notify_all()
            return True

    def met(self, spec):
        for k, mode in spec:
            sid = self.slot.get(k)
            if not self._done(self.sessions.get(sid, [])[self.seen.get(sid, 0):], mode):
                return False
        return True

    def observe(self, spec, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.met(spec):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            waited = dict(spec)
            out = ""
            for k in sorted(self.slot):
                sid = self.slot[k]
                new = self.sessions[sid][self.seen[sid]:]
                self.seen[sid] = len(self.sessions[sid])
                parts = []
                for t in new:
                    if t.endswith("Checkpoint") and parts and parts[-1] == t:
                        continue
                    parts.append(t)
                if k in waited and not self._done(new, waited[k]):
                    parts.append("silence")
                if parts:
                    out += " s%d=%s" % (k, ",".join(parts))
            for sid in self.retired:
                if len(self.sessions[sid]) > self.seen[sid]:
                    self.seen[sid] = len(self.sessions[sid])
                    out += " late"
                    break
            if self.stray:
                self.stray = 0
                out += " stray"
            return out

    @staticmethod
    def _done(new, mode):
        if any(":" not in t or t.startswith(("mismatch", "unknown-action")) for t in new):
            return True
        if any(t.endswith(("(nil)", "(exc)")) for t in new):
            return True
        return mode == "start" and any(t.endswith("Start") for t in new)


def serve(args):
    srv = http.server.ThreadingHTTPServer((args.host, 0), Handler)
    srv.daemon_threads = True
    host = args.host if ":" not in args.host else "[%s]" % args.host
    srv.state = State("http://%s:%d" % (host, srv.server_address[1]), args.prefix, args.log)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, text=""):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        st = self.server.state
        if u.path == "/_open":
            self.reply(200, st.open(int(q["slot"][0])))
        elif u.path == "/_uuid":
            self.reply(200, "urn:uuid:" + str(uuid.uuid4()))
        elif u.path == "/_observe":
            spec = []
            for item in (q.get("await", [""])[0]).split(","):
                if item:
                    k, _, mode = item.partition(":")
                    spec.append((int(k), mode))
            self.reply(200, st.observe(spec, float(q.get("timeout", ["5"])[0])))
        else:
            self.reply(405)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        if n > MAX_BODY:
            self.reply(413)
            return
        data = self.rfile.read(n)
        path = urllib.parse.urlsplit(self.path).path
        if not path.startswith("/cb/"):
            self.server.state.callback("", data)
            self.reply(404)
            return
        self.reply(202 if self.server.state.callback(path[4:], data) else 404)


def answer(args):
    with open(args.file, "rb") as f:
        data = f.read()
    code = int(args.status)
    try:
        action, body = parse_envelope(data) if data.strip() else ("", None)
    except (ET.ParseError, ValueError):
        print("malformed" if code < 400 else "http-%d" % code)
        return
    if body is not None and body.tag == "{%s}Fault" % SOAP12:
        print("fault")
        return
    if args.mep == "oneway":
        print("accepted" if code in (200, 202) and body is None else "http-%d" % code)
        return
    if code != 200 or body is None:
        print("http-%d" % code)
        return
    if action != args.action:
        print("wrong-action")
        return
    if not args.result:
        print("response")
        return
    for c in body:
        if local(c.tag) == args.result:
            v = (c.text or "").strip()
            print({"true": "true", "1": "true", "false": "false", "0": "false"}.get(v, "malformed"))
            return
    print("malformed")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "answer":
        p = argparse.ArgumentParser(prog="listener.py answer")
        p.add_argument("--mep", choices=("rr", "oneway"), required=True)
        p.add_argument("--status", required=True)
        p.add_argument("--action", default="")
        p.add_argument("--result", default="")
        p.add_argument("file")
        answer(p.parse_args(sys.argv[2:]))
        return
    p = argparse.ArgumentParser(prog="listener.py")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port-file", required=True)
    p.add_argument("--prefix", choices=("exact", "any"), default="exact")
    p.add_argument("--log", required=True)
    serve(p.parse_args())


if __name__ == "__main__":
    main()
