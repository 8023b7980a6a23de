#!/usr/bin/env python3
"""Standalone runner of a specgate VDI script (written by `specgate export`).

Pipes every request of the script to a VDI shim (protocol specgate-vdi-shim/1)
and compares each answer with the outcomes the specgate model allows.

  python3 run.py --exec "CMD ARGS"     start the shim as a child (stdin/stdout)
  python3 run.py --tcp HOST:PORT       connect to a listening shim

Exit status: 0 when every step matches, 1 at the first mismatch (printed with
its step, request, expected and observed answers), 2 on a usage error or an
unreadable script or a shim that cannot be started or reached. Needs only the
Python 3 standard library (POSIX: it waits on the shim with select).
"""
import argparse
import copy
import json
import os
import re
import select
import shlex
import socket
import subprocess
import sys
import time

HR_RE = re.compile(r"^0[xX][0-9a-fA-F]{1,8}$")


class Fault(Exception):
    """The shim hung, crashed or answered something unparseable."""

    def __init__(self, kind, detail):
        super().__init__(kind + ": " + detail)
        self.kind, self.detail = kind, detail


class Conn:
    """One line-oriented connection to the shim: a child or a TCP socket."""

    def __init__(self, args):
        self.buf, self.proc, self.sock = b"", None, None
        if args.exec_cmd:
            self.proc = subprocess.Popen(shlex.split(args.exec_cmd), stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, bufsize=0)
            self.fd = self.proc.stdout.fileno()
        else:
            host, _, port = args.tcp.rpartition(":")
            self.sock = socket.create_connection((host or "127.0.0.1", int(port)), timeout=args.call_timeout)
            self.fd = self.sock.fileno()

    def send(self, line):
        data = (line + "\n").encode()
        try:
            if self.proc:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            else:
                self.sock.sendall(data)
        except (BrokenPipeError, ConnectionError, OSError) as e:
            raise Fault("crash", "the shim closed its input: %s" % e)

    def recv(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fault("hang", "no answer within %gs" % timeout)
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.fd, 65536) if self.proc else self.sock.recv(65536)
            if not chunk:
                where = "in the middle of a response line" if self.buf else "before answering"
                raise Fault("crash", "the shim closed its output " + where)
            self.buf += chunk
            if len(self.buf) > (1 << 20) + 2 and b"\n" not in self.buf:
                raise Fault("malformed", "response line longer than 1 MiB")
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def close(self):
        if self.proc:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=1)
            except Exception:
                self.proc.kill()
                self.proc.wait()
        else:
            self.sock.close()


class Runner:
    def __init__(self, conn, header, args):
        self.conn, self.header, self.args = conn, header, args
        self.next_id, self.first, self.last_request = 0, True, None
        self.fetched = {}  # device -> fetched, uncompleted command ids (FIFO)

    def call(self, request):
        """Sends request (a dict) with the next id; returns (line, result)."""
        self.next_id += 1
        request["id"] = self.next_id
        self.last_request = request
        self.conn.send(json.dumps(request, separators=(",", ":"), ensure_ascii=False))
        timeout = self.args.start_timeout if self.first else self.args.call_timeout
        self.first = False
        line = self.conn.recv(timeout)
        try:
            resp = json.loads(line)
        except ValueError:
            raise Fault("malformed", "not JSON: %s" % line[:200])
        if not isinstance(resp, dict) or resp.get("jsonrpc") != "2.0" or resp.get("id") != self.next_id:
            raise Fault("malformed", "not a JSON-RPC 2.0 response with id %d: %s" % (self.next_id, line[:200]))
        if "error" in resp:
            raise Fault("malformed", "rpc-error: %s" % json.dumps(resp["error"])[:200])
        res = resp.get("result")
        if not isinstance(res, dict) or not isinstance(res.get("hr"), str) or not HR_RE.match(res["hr"]):
            raise Fault("malformed", "no parsable hr: %s" % line[:200])
        return line, res

    def name(self, hr):
        key = "0x%08X" % hr
        return self.header["hrNames"].get(key, key)

    def judge(self, step, res):
        """Returns (expectation, mismatch text or None)."""
        hr = int(res["hr"], 16)
        for x in step["expect"]:
            if int(x["hr"], 16) != hr:
                continue
            want = x.get("command")
            if want is None:
                return x, None
            cmd = res.get("command")
            if not isinstance(cmd, dict) or not cmd.get("id"):
                return x, "NOERROR without a command (want code %d, size %d)" % (want["code"], want["size"])
            if cmd.get("code") != want["code"] or cmd.get("size") != want["size"]:
                return x, "NOERROR with command {code %s, size %s}, want {code %d, size %d}" % (
                    cmd.get("code"), cmd.get("size"), want["code"], want["size"])
            return x, None
        return None, "%s (%s)" % (self.name(hr), res["hr"])

    def step(self, st):
        """Runs one step line; returns (next node, mismatch or None)."""
        req = copy.deepcopy(st["request"])
        if st.get("commandOf"):
            queue = self.fetched.get(st["commandOf"], [])
            req["params"]["command"] = queue[0] if queue else 0
        _, res = self.call(req)
        x, bad = self.judge(st, res)
        if bad is not None:
            return None, (req, bad)
        hr = int(x["hr"], 16)
        if st.get("fetchOn") and hr == 0:
            self.fetched.setdefault(st["fetchOn"], []).append(res["command"]["id"])
        if st.get("commandOf") and hr == 0 and req["params"]["command"] != 0:
            self.fetched[st["commandOf"]].pop(0)
        if x.get("clearIds"):
            self.fetched = {}
        return x["next"], None


def expected_text(st):
    out = []
    for x in st["expect"]:
        s = "%s -> %s" % (x["name"], x["state"])
        if x.get("command"):
            s += " with command {code %d, size %d}" % (x["command"]["code"], x["command"]["size"])
        out.append(s)
    return " | ".join(out)


def mismatch(step, n, st, req, expected, observed):
    print("MISMATCH at step %s/%d %s" % (step, n, st.get("action", st.get("method", ""))))
    print("  request:  %s" % json.dumps(req, separators=(",", ":")))
    print("  expected: %s" % expected)
    print("  observed: %s" % observed)
    return 1


def load(path):
    with open(path, encoding="utf-8") as f:
        lines = [json.loads(l) for l in f if l.strip()]
    if not lines or lines[0].get("schema") != "specgate/vdi-script":
        raise ValueError("%s is not a specgate VDI script" % path)
    header = lines[0]
    setup = [l for l in lines[1:] if l.get("phase") == "setup"]
    teardown = [l for l in lines[1:] if l.get("phase") == "teardown"]
    nodes = {l["node"]: l for l in lines[1:] if "node" in l}
    return header, setup, nodes, teardown


def run(args):
    header, setup, nodes, teardown = load(args.script)
    n = len(header["steps"])
    conn = Conn(args)
    r = Runner(conn, header, args)
    try:
        for s in setup:
            req = copy.deepcopy(s["request"])
            try:
                _, res = r.call(req)
            except Fault as f:
                return mismatch("setup", n, s, req, "hr 0x00000000", f.kind + ": " + f.detail)
            if int(res["hr"], 16) != 0 or (s.get("protocol") and res.get("protocol") != s["protocol"]):
                return mismatch("setup", n, s, req, "hr 0x00000000, protocol %s" % s.get("protocol"),
                                json.dumps(res, separators=(",", ":")))
        node, done = header["start"], 0
        while node != -1:
            st = nodes[node]
            if st.get("skip"):
                node = st["next"]
                continue
            try:
                nxt, bad = r.step(st)
            except Fault as f:
                return mismatch(st["step"], n, st, r.last_request, expected_text(st), f.kind + ": " + f.detail)
            if bad is not None:
                return mismatch(st["step"], n, st, bad[0], expected_text(st), bad[1])
            node, done = nxt, done + 1
        for s in teardown:
            try:
                r.call(copy.deepcopy(s["request"]))
            except Fault:
                pass  # specgate ignores the answer to the final reset
        print("PASS: all %d executed steps of %d match what the model allows (%s, profile %s)"
              % (done, n, header["model"], header["profile"]))
        return 0
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--script", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "script.jsonl"))
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--exec", dest="exec_cmd", metavar="CMD", help="shim command line (split like a POSIX shell)")
    g.add_argument("--tcp", metavar="HOST:PORT", help="address of a listening shim")
    ap.add_argument("--call-timeout", type=float, default=5.0, help="seconds to wait for each answer")
    ap.add_argument("--start-timeout", type=float, default=30.0, help="seconds to wait for the first answer")
    args = ap.parse_args()
    try:
        return run(args)
    except (OSError, ValueError, KeyError) as e:
        print("run.py: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
