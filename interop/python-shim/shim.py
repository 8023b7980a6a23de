#!/usr/bin/env python3
"""specgate VDI shim (specgate-vdi-shim/1) in front of vdi_impl (acme-pyvdi).

stdio by default; `--listen PORT` serves TCP on 127.0.0.1.
Compatibility modes: shim.hello's `profile` ("strict", "documented" or
"choices:VDI-A1=<side>,...") picks the side of every ambiguity, unless
`--behave PROFILE` pins one mode for the whole process (a product with one
fixed behaviour; hello's profile is then ignored).
Standard library only, Python 3.8+.
"""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vdi_impl as V  # noqa: E402

PROTOCOL = "specgate-vdi-shim/1"
MAX_LINE = 1 << 20
U32 = 0xFFFFFFFF
U64 = 0xFFFFFFFFFFFFFFFF


def hr(v):
    return "0x%08X" % (v & 0xFFFFFFFF)


class ShimError(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code


class SetEntry(object):
    """Everything the shim holds for one set name."""

    def __init__(self, ns):
        self.client = V.ClientVirtualDeviceSet(ns)
        self.server = V.ServerVirtualDeviceSet(ns)
        self.devices = {}        # device name -> ClientVirtualDevice (last successful OpenDevice)
        self.ids = {}            # id(VDC_Command) -> (command id, VDC_Command)
        self.by_id = {}          # command id -> VDC_Command (delivered, not yet completed)
        self.next_id = 0
        self.aborted = False     # §5 device rule


class Shim(object):
    def __init__(self, pinned=None):
        self.pinned = pinned     # a V.Mode from --behave, or None: follow shim.hello
        self.ns = V.Namespace(pinned)
        self.sets = {}
        self.lock = threading.Lock()

    def entry(self, name):
        e = self.sets.get(name)
        if e is None:
            e = self.sets[name] = SetEntry(self.ns)
        return e

    # -------------------------------------------------------------- helpers
    def note(self, e, r):
        if r == V.VD_E_ABORT:
            e.aborted = True
        return r

    def no_device_status(self, e):
        return V.VD_E_ABORT if e.aborted else V.VD_E_PROTOCOL

    def reset(self, name):
        names = [k for k in list(self.sets) if name in (None, "", k)]
        for k in names:
            e = self.sets.pop(k)
            try:
                e.server.SignalAbort(); e.server.Close()
            except Exception as ex:  # pragma: no cover
                raise ShimError(-32603, "reset of %s failed: %r" % (k, ex))
            try:
                e.client.SignalAbort(); e.client.Close()
            except Exception as ex:  # pragma: no cover
                raise ShimError(-32603, "reset of %s failed: %r" % (k, ex))
            if self.ns.lookup(k) is not None:
                raise ShimError(-32603, "reset of %s failed: set still registered" % k)

    # -------------------------------------------------------------- methods
    def call(self, method, p):
        if method == "shim.hello":
            req_str(p, "protocol")
            prof = p.get("profile", "")
            if not isinstance(prof, str):
                raise ShimError(-32602, "params.profile must be a string")
            if self.pinned is None:
                try:
                    self.ns.mode = V.Mode.parse(prof)
                except V.ModeError as ex:
                    raise ShimError(-32602, "params.profile: %s" % ex)
            impl = "acme-pyvdi (in-memory, vdi_impl.py; mode %s%s)" % (
                self.ns.mode.name, ", pinned by --behave" if self.pinned is not None else "")
            return {"hr": hr(V.NOERROR), "protocol": PROTOCOL,
                    "implementation": impl, "version": "0.2",
                    "capabilities": {"concurrentSets": True, "server": True}}
        if method == "shim.reset":
            s = p.get("set")
            if s is not None and not isinstance(s, str):
                raise ShimError(-32602, "params.set must be a string")
            self.reset(s)
            return {"hr": hr(V.NOERROR)}

        s = req_str(p, "set")
        e = self.entry(s)

        if method in ("vdi.Create", "vdi.CreateEx"):
            cfg = req_config(p)
            if method == "vdi.Create":
                r = e.client.Create(s, cfg)
            else:
                inst = p.get("instance", "")
                if not isinstance(inst, str):
                    raise ShimError(-32602, "params.instance must be a string")
                r = e.client.CreateEx(inst or None, s, cfg)
            return {"hr": hr(self.note(e, r))}

        if method == "vdi.GetConfiguration":
            t = opt_int(p, "timeout", U32)
            r, cfg = e.client.GetConfiguration(t)
            self.note(e, r)
            if r == V.NOERROR:
                return {"hr": hr(r), "config": dict((k, cfg.get(k, 0)) for k in V.CONFIG_FIELDS)}
            return {"hr": hr(r)}

        if method == "vdi.OpenDevice":
            d = req_str(p, "device")
            r, dev = e.client.OpenDevice(d)
            if r == V.NOERROR:
                e.devices[d] = dev
            return {"hr": hr(self.note(e, r))}

        if method == "vdi.GetCommand":
            d = req_str(p, "device")
            t = opt_int(p, "timeout", U32)
            dev = e.devices.get(d)
            if dev is None:
                return {"hr": hr(self.no_device_status(e))}
            r, cmd = dev.GetCommand(t)
            self.note(e, r)
            if r != V.NOERROR:
                return {"hr": hr(r)}
            if cmd is None:
                return {"hr": hr(r), "command": None}
            ent = e.ids.get(id(cmd))
            if ent is None or ent[1] is not cmd:       # not sent through server.SendCommand
                e.next_id += 1
                ent = (e.next_id, cmd)
                e.ids[id(cmd)] = ent
            cid = ent[0]
            e.by_id[cid] = cmd
            return {"hr": hr(r), "command": {"id": cid, "code": cmd.commandCode & U32,
                                             "size": cmd.size & U32, "position": cmd.position & U64}}

        if method == "vdi.CompleteCommand":
            d = req_str(p, "device")
            cid = req_int(p, "command", U64)
            code = opt_int(p, "completionCode", U32)
            nb = opt_int(p, "bytesTransferred", U32)
            pos = opt_int(p, "position", U64)
            dev = e.devices.get(d)
            if dev is None:
                return {"hr": hr(self.no_device_status(e))}
            cmd = e.by_id.get(cid)
            if cmd is None:
                cmd = V.VDC_Command()   # a pointer the implementation never handed out
            r = dev.CompleteCommand(cmd, code, nb, pos)
            if r == V.NOERROR:
                e.by_id.pop(cid, None)
            return {"hr": hr(self.note(e, r))}

        if method == "vdi.SignalAbort":
            r = e.client.SignalAbort()
            if r == V.NOERROR:
                e.aborted = True
            return {"hr": hr(self.note(e, r))}

        if method == "vdi.Close":
            r = e.client.Close()
            e.aborted = False
            return {"hr": hr(r)}

        if method == "server.Open":
            devs = p.get("devices")
            if not isinstance(devs, list) or not all(isinstance(x, str) for x in devs):
                raise ShimError(-32602, "params.devices must be an array of strings")
            return {"hr": hr(self.note(e, e.server.Open(s, devs)))}

        if method == "server.SendCommand":
            d = req_str(p, "device")
            code = req_int(p, "code", U32)
            size = opt_int(p, "size", U32)
            r, cmd = e.server.SendCommand(d, code, size)
            self.note(e, r)
            if r != V.NOERROR:
                return {"hr": hr(r)}
            e.next_id += 1
            e.ids[id(cmd)] = (e.next_id, cmd)
            return {"hr": hr(r), "command": e.next_id}

        if method == "server.CloseDevice":
            d = req_str(p, "device")
            return {"hr": hr(self.note(e, e.server.CloseDevice(d)))}

        if method == "server.SignalAbort":
            r = e.server.SignalAbort()
            if r == V.NOERROR and e.client.state == V.ABORT:   # VDI-A3 "table": no Abort
                e.aborted = True
            return {"hr": hr(self.note(e, r))}

        raise ShimError(-32601, "method not found: %s" % method)


METHODS = {"shim.hello", "shim.reset", "vdi.Create", "vdi.CreateEx", "vdi.GetConfiguration",
           "vdi.OpenDevice", "vdi.GetCommand", "vdi.CompleteCommand", "vdi.SignalAbort",
           "vdi.Close", "server.Open", "server.SendCommand", "server.CloseDevice",
           "server.SignalAbort"}


def req_str(p, k):
    v = p.get(k)
    if not isinstance(v, str):
        raise ShimError(-32602, "params.%s must be a string" % k)
    return v


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def req_int(p, k, mx):
    v = p.get(k)
    if not _is_int(v) or v < 0 or v > mx:
        raise ShimError(-32602, "params.%s must be an unsigned integer" % k)
    return v


def opt_int(p, k, mx):
    if k not in p:
        return 0
    return req_int(p, k, mx)


def req_config(p):
    c = p.get("config")
    if not isinstance(c, dict):
        raise ShimError(-32602, "params.config must be an object")
    out = {}
    for k in V.CONFIG_FIELDS:
        out[k] = opt_int(c, k, U32)
    return out


def handle_line(shim, raw):
    """One request line (bytes, terminator stripped) -> one response object."""
    if len(raw) > MAX_LINE:
        return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "line over 1 MiB"}}
    try:
        req = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
    rid = req.get("id") if isinstance(req, dict) else None
    try:
        if not isinstance(req, dict) or req.get("jsonrpc") != "2.0" or "id" not in req \
                or not isinstance(req.get("method"), str):
            raise ShimError(-32600, "invalid request")
        method = req["method"]
        if method not in METHODS:
            raise ShimError(-32601, "method not found: %s" % method)
        params = req.get("params", {})
        if not isinstance(params, dict):
            raise ShimError(-32602, "params must be an object")
        with shim.lock:
            result = shim.call(method, params)
        return {"jsonrpc": "2.0", "id": rid, "result": result}
    except ShimError as ex:
        return {"jsonrpc": "2.0", "id": rid, "error": {"code": ex.code, "message": str(ex)}}
    except Exception as ex:
        sys.stderr.write("shim: %r failed: %r\n" % (req.get("method"), ex))
        sys.stderr.flush()
        return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": repr(ex)}}


TRACE = None


def trace(direction, data):
    if TRACE is not None:
        TRACE.write(direction + " " + data.decode("utf-8", "replace").rstrip("\r\n") + "\n")
        TRACE.flush()


def serve(shim, rfile, wfile):
    while True:
        raw = rfile.readline(MAX_LINE + 3)
        if not raw:
            return
        if not raw.endswith(b"\n") and len(raw) > MAX_LINE:
            # overlong line: discard the rest of it
            while raw and not raw.endswith(b"\n"):
                raw = rfile.readline(MAX_LINE)
            resp = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "line over 1 MiB"}}
        else:
            trace("->", raw)
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            resp = handle_line(shim, line)
        out = (json.dumps(resp, separators=(",", ":")) + "\n").encode("utf-8")
        trace("<-", out)
        wfile.write(out)
        wfile.flush()


def main(argv):
    global TRACE
    args = list(argv[1:])
    listen = None
    pinned = None
    while args:
        opt = args.pop(0)
        if opt not in ("--trace", "--listen", "--behave") or not args:
            sys.stderr.write("usage: shim.py [--trace FILE] [--behave strict|documented|choices:...]"
                             " [--listen PORT]\n")
            return 2
        val = args.pop(0)
        if opt == "--trace":          # debugging aid: append the wire to a file
            TRACE = open(val, "a")
        elif opt == "--listen":
            listen = int(val)
        else:
            try:
                pinned = V.Mode.parse(val)
            except V.ModeError as ex:
                sys.stderr.write("shim.py: --behave: %s\n" % ex)
                return 2
    shim = Shim(pinned)
    if listen is not None:
        import socketserver   # imported only here: keeps stdio start-up short
        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                serve(shim, self.rfile, self.wfile)
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        socketserver.ThreadingTCPServer.daemon_threads = True
        srv = socketserver.ThreadingTCPServer(("127.0.0.1", listen), Handler)
        srv.serve_forever()
    else:
        serve(shim, sys.stdin.buffer, sys.stdout.buffer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
