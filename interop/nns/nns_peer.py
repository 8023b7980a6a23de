#!/usr/bin/python3
"""An MS-NNS (NegotiateStream) acceptor on the real GSSAPI stack.

Run it with Debian's /usr/bin/python3 (python3-gssapi is built for it), with
MIT Kerberos GSSAPI and the gss-ntlmssp plugin installed, and NTLM_USER_FILE
naming the acceptor's NTLM account file ("DOMAIN:user:password" lines).

The framing is this file's: the MC-NMF preamble up to the Upgrade Request for
"application/negotiate" ([MC-NMF] 2.2.3.5), the Upgrade Response (0x0a), the
MS-NNS handshake messages ([MS-NNS] 2.2.1: id, version 1.0, 16-bit big-endian
size) and the data messages ([MS-NNS] 2.2.2: 32-bit little-endian size, then a
GSS wrap token). The authentication and every wrap/unwrap are GSSAPI's
(gss_accept_sec_context, gss_unwrap, gss_wrap): nothing here checks a MAC or
decrypts on its own.

After the handshake it checks the negotiated flags against --require, then
reads the upgraded MC-NMF stream through gss_unwrap: Preamble End is answered
with a (wrapped) Preamble Ack, each Sized Envelope with a Sized Envelope
holding b"peer-unwrapped:" + the payload (so the client can tell the peer saw
the plaintext), End with End. One connection, then it exits: status 0 only if
the handshake completed, the required protection was negotiated and every data
message unwrapped. The last stdout line is "nns-peer: SUMMARY {json}".

The first stdout line is "nns-peer: LISTENING <port>".
"""

import argparse
import json
import select
import socket
import struct
import sys
import threading

import gssapi
import gssapi.raw

NTLM_OID = gssapi.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10")
SPNEGO_OID = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")

HS_DONE, HS_ERROR, HS_IN_PROGRESS = 0x14, 0x15, 0x16
SEC_E_LOGON_DENIED = 0x8009030C
SEC_E_QOP_NOT_SUPPORTED = 0x8009030A
MAX_DATA = 0x10000
MAX_PLAIN = 0xFC00  # plaintext per data message, as .NET's NegotiateStream



_log_lock = threading.Lock()


def log(*a):
    # One write per line under a lock: connections run in threads.
    line = " ".join(["nns-peer:"] + [str(x) for x in a]) + "\n"
    with _log_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


class Closed(Exception):
    pass


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise Closed("connection closed after %d of %d octets" % (len(buf), n))
        buf += chunk
    return buf


def read_mb32(read):
    value, shift = 0, 0
    for _ in range(5):
        b = read(1)[0]
        value |= (b & 0x7F) << shift
        if b & 0x80 == 0:
            return value
        shift += 7
    raise ValueError("MB32 longer than 5 octets")


def mb32(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_preamble(sock):
    """Reads Version, Mode, Via, encoding and the Upgrade Request."""
    read = lambda n: read_exact(sock, n)
    info = {}
    while True:
        t = read(1)[0]
        if t == 0x00:
            info["version"] = "%d.%d" % tuple(read(2))
        elif t == 0x01:
            info["mode"] = read(1)[0]
        elif t == 0x02:
            info["via"] = read(read_mb32(read)).decode("utf-8")
        elif t == 0x03:
            info["encoding"] = read(1)[0]
        elif t == 0x04:
            info["content_type"] = read(read_mb32(read)).decode("utf-8")
        elif t == 0x09:
            info["upgrade"] = read(read_mb32(read)).decode("utf-8")
            return info
        elif t == 0x0C:
            raise ValueError("Preamble End without an Upgrade Request: %r" % info)
        else:
            raise ValueError("unexpected record 0x%02x in the preamble" % t)


def read_handshake(sock):
    hdr = read_exact(sock, 5)
    mid, major, minor, size = hdr[0], hdr[1], hdr[2], struct.unpack(">H", hdr[3:5])[0]
    if mid not in (HS_DONE, HS_ERROR, HS_IN_PROGRESS) or (major, minor) != (1, 0):
        raise ValueError("bad handshake header %s" % hdr.hex())
    return mid, read_exact(sock, size)


def send_handshake(sock, mid, payload):
    sock.sendall(bytes([mid, 1, 0]) + struct.pack(">H", len(payload)) + payload)


def send_error(sock, code):
    send_handshake(sock, HS_ERROR, struct.pack(">Q", code))


class Stream:
    """The upgraded stream: data messages through gss_unwrap / gss_wrap."""

    def __init__(self, sock, ctx, framed, conf, summary):
        self.sock, self.ctx, self.framed, self.conf = sock, ctx, framed, conf
        self.summary = summary
        # gss-ntlmssp's gss_wrap seals even when asked only to sign, so NTLM
        # without confidentiality uses gss_get_mic / gss_verify_mic.
        self.sign_only = framed and not conf and ctx.mech == NTLM_OID
        self.buf = b""

    def read_frame(self):
        """Returns the plaintext of the next data message (or the next
        octets of an unframed stream)."""
        summary = self.summary
        if not self.framed:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed("connection closed in the upgraded stream")
            return chunk
        size = struct.unpack("<I", read_exact(self.sock, 4))[0]
        if size == 0 or size > MAX_DATA:
            raise ValueError("data message size %d" % size)
        token = read_exact(self.sock, size)
        summary["frames_in"] += 1
        num = summary["frames_in"]
        if self.sign_only:
            # NTLM Sign: the 16-octet signature, then the plaintext (the
            # MakeSignature layout); gss_verify_mic checks it.
            sig, msg = token[:16], token[16:]
            try:
                self.ctx.verify_signature(msg, sig)
            except gssapi.exceptions.GSSError as e:
                raise ValueError("gss_verify_mic failed on data message %d: %s" % (num, e))
            log("data message %d: %d octets -> %d plain (signed)" % (num, size, len(msg)))
            return msg
        try:
            res = self.ctx.unwrap(token)
        except gssapi.exceptions.GSSError as e:
            raise ValueError("gss_unwrap failed on data message %d: %s" % (num, e))
        if self.conf and not res.encrypted:
            raise ValueError("data message %d was not encrypted" % num)
        log("data message %d: %d octets wrapped -> %d plain (encrypted=%s)" % (num, size, len(res.message), res.encrypted))
        return res.message

    def read(self, n):
        while len(self.buf) < n:
            self.buf += self.read_frame()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def write(self, data):
        if not self.framed:
            self.sock.sendall(data)
            return
        for i in range(0, len(data), MAX_PLAIN):
            chunk = data[i:i + MAX_PLAIN]
            if self.sign_only:
                token = self.ctx.get_signature(chunk) + chunk
            else:
                token = self.ctx.wrap(chunk, self.conf).message
            self.summary["frames_out"] += 1
            self.sock.sendall(struct.pack("<I", len(token)) + token)


def serve(sock, args, summary):
    info = read_preamble(sock)
    log("nmf preamble", json.dumps(info, sort_keys=True))
    summary["preamble"] = info
    if info.get("upgrade") != "application/negotiate":
        raise ValueError("upgrade %r, want application/negotiate" % info.get("upgrade"))
    sock.sendall(b"\x0a")

    mechs = {"ntlm": [NTLM_OID], "spnego": [SPNEGO_OID], "any": None}[args.mech]
    creds = gssapi.Credentials(usage="accept", mechs=mechs) if mechs else None
    ctx = gssapi.SecurityContext(usage="accept", creds=creds)
    ctx.__DEFER_STEP_ERRORS__ = False
    rounds = 0
    while not ctx.complete:
        mid, token = read_handshake(sock)
        rounds += 1
        log("nns <- 0x%02x %d octets, starts %s" % (mid, len(token), token[:12].hex()))
        if mid == HS_ERROR:
            raise ValueError("client sent HandshakeError %s" % token.hex())
        try:
            out = ctx.step(token)
        except gssapi.exceptions.GSSError as e:
            summary["handshake"] = "rejected"
            summary["errors"].append("gss_accept_sec_context: %s" % e)
            send_error(sock, SEC_E_LOGON_DENIED)
            return False
        if ctx.complete:
            break
        send_handshake(sock, HS_IN_PROGRESS, out or b"")
    flags = ctx.actual_flags
    conf = gssapi.RequirementFlag.confidentiality in flags
    integ = gssapi.RequirementFlag.integrity in flags
    summary.update(handshake="ok", handshake_messages_in=rounds, initiator=str(ctx.initiator_name).rstrip("\x00"),
                   mech=str(ctx.mech), confidentiality=conf, integrity=integ)
    granted = "EncryptAndSign" if conf and integ else ("Sign" if integ else "None")
    order = ["None", "Sign", "EncryptAndSign"]
    if order.index(granted) < order.index(args.require):
        summary["errors"].append("client negotiated %s, %s required" % (granted, args.require))
        send_error(sock, SEC_E_QOP_NOT_SUPPORTED)
        return False
    send_handshake(sock, HS_DONE, out or b"")
    log("handshake complete: %s mech %s conf=%s integ=%s" % (summary["initiator"], ctx.mech, conf, integ))

    s = Stream(sock, ctx, conf or integ, conf, summary)
    if args.backend:
        return forward(s, args, info, summary)
    while True:
        t = s.read(1)[0]
        if t == 0x0C:  # Preamble End
            s.write(b"\x0b")
        elif t == 0x06:  # Sized Envelope
            payload = s.read(read_mb32(s.read))
            reply = b"peer-unwrapped:" + payload
            s.write(b"\x06" + mb32(len(reply)) + reply)
        elif t == 0x07:  # End
            s.write(b"\x07")
            return True
        else:
            raise ValueError("unexpected record 0x%02x in the upgraded stream" % t)


def forward(s, args, info, summary):
    """Pumps the upgraded stream to a plain MC-NMF backend: the client's
    preamble records (without the upgrade), then every unwrapped octet;
    the backend's octets go back wrapped."""
    host, port = args.backend.rsplit(":", 1)
    b = socket.create_connection((host, int(port)))
    via = info["via"].encode("utf-8")
    pre = b"\x00\x01\x00" + bytes([0x01, info["mode"]]) + b"\x02" + mb32(len(via)) + via
    if "content_type" in info:
        ct = info["content_type"].encode("utf-8")
        pre += b"\x04" + mb32(len(ct)) + ct
    else:
        pre += bytes([0x03, info["encoding"]])
    b.sendall(pre)
    client_open = True
    try:
        while True:
            socks = [b] + ([s.sock] if client_open else [])
            ready, _, _ = select.select(socks, [], [])
            if s.sock in ready:
                try:
                    b.sendall(s.read_frame())
                except Closed:
                    client_open = False
                    b.shutdown(socket.SHUT_WR)
            if b in ready:
                data = b.recv(65536)
                if not data:
                    return True
                s.write(data)
    finally:
        b.close()


def handle(conn, args):
    summary = {"handshake": None, "errors": [], "frames_in": 0, "frames_out": 0}
    ok = False
    try:
        ok = serve(conn, args, summary)
    except (Closed, ValueError, OSError, gssapi.exceptions.GSSError) as e:
        summary["errors"].append(str(e))
    ok = bool(ok) and not summary["errors"]
    summary["ok"] = ok
    # The summary goes out before the connection closes, so a client that
    # sees the close can read it.
    log("SUMMARY " + json.dumps(summary, sort_keys=True))
    conn.close()
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--require", choices=["None", "Sign", "EncryptAndSign"], default="EncryptAndSign")
    ap.add_argument("--mech", choices=["ntlm", "spnego", "any"], default="any")
    ap.add_argument("--backend", help="host:port of a plain MC-NMF service to forward the unwrapped stream to")
    ap.add_argument("--forever", action="store_true", help="serve connections until killed")
    args = ap.parse_args()
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", args.port))
    lsock.listen(16)
    log("LISTENING %d" % lsock.getsockname()[1])
    if args.forever:
        # One thread per connection until killed (the IPAM runner opens a
        # connection per session); each connection prints its summary.
        while True:
            conn, _ = lsock.accept()
            threading.Thread(target=handle, args=(conn, args), daemon=True).start()
    conn, _ = lsock.accept()
    lsock.close()
    sys.exit(0 if handle(conn, args) else 1)


if __name__ == "__main__":
    main()
