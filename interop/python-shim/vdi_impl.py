"""acme-pyvdi: a small in-memory SQL Server VDI (client + server side).

Written from docs/vdi-shim-protocol.md, docs/expected/vdi.{md,json} and the
README's "Profiles, ambiguities and conformance statements" only.  Every
method returns an int HRESULT, like the C API.

Where the docs offer two readings (ambiguities VDI-A1..A10), the
implementation has compatibility modes: READINGS below is the one place that
says what each side of each ambiguity does, and a Mode picks one side per
ambiguity (a profile, or the choices of a conformance statement).  The
default mode is `documented`.  See README.md, "Compatibility modes".
"""
from collections import deque

NOERROR = 0x00000000
VD_E_NOTOPEN = 0x80770002
VD_E_TIMEOUT = 0x80770003
VD_E_ABORT = 0x80770004
VD_E_SECURITY = 0x80770005
VD_E_INVALID = 0x80770006
VD_E_INSTANCE_NAME = 0x80770007
VD_E_NOTSUPPORTED = 0x80770009
VD_E_MEMORY = 0x8077000A
VD_E_UNEXPECTED = 0x8077000B
VD_E_PROTOCOL = 0x8077000C
VD_E_OPEN = 0x8077000D
VD_E_CLOSE = 0x8077000E
VD_E_BUSY = 0x8077000F

CONFIG_FIELDS = ("deviceCount", "features", "prefixZoneSize", "alignment",
                 "softFileMarkBlockSize", "EOMWarningSize", "serverTimeOut",
                 "blockSize", "maxIODepth", "maxTransferSize", "bufferAreaSize")

MAX_DEVICES = 64  # VDI's documented upper bound for a set

# ---------------------------------------------------------------- compatibility modes

# READINGS[ambiguity][side] is what this implementation does on that side. The
# call sites read Mode.of(ambiguity) and nothing else, so each ambiguity's two
# behaviours are these two values (side names as `specgate statement init`
# spells them; docs/expected/vdi.json "ambiguities").
READINGS = {
    # GetConfiguration in Configurable before the server has configured the set.
    #   table: NOERROR -> Initializing, no time-out outcome: answer at once with the
    #          client's requested configuration.  reference: wait, VD_E_TIMEOUT.
    "VDI-A1": {"table": "answer", "reference": "timeout"},
    # GetCommand in Active with nothing pending.  table: "NOERROR or VD_E_CLOSE",
    # no time-out outcome; an in-memory single-threaded implementation has no
    # command to hand out and cannot block forever, so both sides answer
    # VD_E_TIMEOUT (strict does not judge this case: docs/expected/vdi.md).
    "VDI-A2": {"table": VD_E_TIMEOUT, "reference": VD_E_TIMEOUT},
    # server.SignalAbort: does it move the client's set to Abort?
    "VDI-A3": {"table": False, "reference": True},
    # OpenDevice in Active of another, unopened device.
    "VDI-A4": {"table": VD_E_PROTOCOL, "reference": NOERROR},
    # OpenDevice in Active when every device is already open.
    "VDI-A5": {"table": VD_E_PROTOCOL, "reference": VD_E_OPEN},
    # OpenDevice of a name not in the set: (answer in Initializing, answer in Active).
    #   table: names are not considered in Initializing (the first unopened device is
    #          opened, NOERROR -> Active); VD_E_PROTOCOL in Active, like any OpenDevice.
    #   reference: VD_E_INVALID in both.
    "VDI-A6": {"table": (NOERROR, VD_E_PROTOCOL), "reference": (VD_E_INVALID, VD_E_INVALID)},
    # Close in Active while devices are still open (-> DNE in both).
    "VDI-A7": {"table": NOERROR, "reference": VD_E_OPEN},
    # CompleteCommand of a command that is not outstanding on this device.
    "VDI-A8": {"table": NOERROR, "reference": VD_E_INVALID},
    # Does a VD_E_CLOSE need every device the client opened to have returned it?
    #   table: per call (the first VD_E_CLOSE -> NormallyTerminated).
    "VDI-A9": {"table": False, "status text": True},
    # CreateEx versus Create.  table B leaves CreateEx unconstrained, so this
    # implementation lets CreateEx follow Create on both sides.
    "VDI-A10": {"table A": "like-create", "table B": "like-create"},
}

PROFILES = {
    "strict": {"VDI-A1": "table", "VDI-A2": "table", "VDI-A3": "table", "VDI-A4": "table",
               "VDI-A5": "table", "VDI-A6": "table", "VDI-A7": "table", "VDI-A8": "table",
               "VDI-A9": "status text", "VDI-A10": "table A"},
    "documented": {"VDI-A1": "reference", "VDI-A2": "reference", "VDI-A3": "reference",
                   "VDI-A4": "reference", "VDI-A5": "reference", "VDI-A6": "reference",
                   "VDI-A7": "reference", "VDI-A8": "reference", "VDI-A9": "status text",
                   "VDI-A10": "table A"},
}


class ModeError(ValueError):
    pass


class Mode(object):
    """One side per ambiguity.  parse() takes "strict", "documented" or
    "choices:VDI-A1=<side>,VDI-A2=<side>,..." (shim.hello's profile)."""

    def __init__(self, sides, name):
        self.sides = dict(sides)
        self.name = name

    @staticmethod
    def parse(text):
        text = (text or "").strip()
        if text == "":
            text = "documented"
        if text in PROFILES:
            return Mode(PROFILES[text], text)
        if not text.startswith("choices:"):
            raise ModeError("unknown profile %r (want strict, documented or choices:...)" % text)
        sides = dict(PROFILES["documented"])   # an ambiguity left unnamed keeps documented's side
        for item in text[len("choices:"):].split(","):
            item = item.strip()
            if not item:
                continue
            aid, eq, side = item.partition("=")
            aid, side = aid.strip(), side.strip().strip('"')
            if not eq or aid not in READINGS:
                raise ModeError("unknown ambiguity in %r" % item)
            if side not in READINGS[aid]:             # "status-text", "table_A" on a command line
                side = side.replace("-", " ").replace("_", " ")
            if side == "either":
                side = PROFILES["documented"][aid]
            if side not in READINGS[aid]:
                raise ModeError("unknown side %r of %s (want one of %s)"
                                % (side, aid, ", ".join(sorted(READINGS[aid]))))
            sides[aid] = side
        return Mode(sides, text)

    def of(self, aid):
        return READINGS[aid][self.sides[aid]]


# client set states
DNE, CONFIGURABLE, INITIALIZING, ACTIVE, NORMALLY_TERMINATED, ABORT = (
    "DNE", "Configurable", "Initializing", "Active", "NormallyTerminated", "Abort")


def device_name(set_name, i):
    return set_name if i == 0 else "%s.%d" % (set_name, i)


class VDC_Command(object):
    """What GetCommand hands out (a pointer in C)."""
    __slots__ = ("commandCode", "size", "position", "device")

    def __init__(self, code=0, size=0, position=0, device=None):
        self.commandCode, self.size, self.position, self.device = code, size, position, device


class _Dev(object):
    """Shared per-device state of one set lifetime (the 'shared memory')."""

    def __init__(self, name):
        self.name = name
        self.client_open = False     # client OpenDevice succeeded in this lifetime
        self.server_open = False     # server OpenDevice done
        self.server_closed = False   # server CloseDevice done
        self.close_seen = False      # client GetCommand has returned VD_E_CLOSE
        self.queue = deque()         # commands sent, not yet fetched
        self.outstanding = set()     # commands fetched, not yet completed


class _Lifetime(object):
    """One Create ... Close of a named set: the state both sides see."""

    def __init__(self, name, cfg):
        self.name = name
        self.cfg = dict(cfg)
        self.state = CONFIGURABLE
        self.ended = False
        self.server_attached = False
        self.server_configured = False
        self.final_cfg = None
        n = self.cfg["deviceCount"]
        self.names = [device_name(name, i) for i in range(n)]
        self.devs = dict((nm, _Dev(nm)) for nm in self.names)


class Namespace(object):
    """The machine-wide registry of created set names (SQL Server finds a set by name)."""

    def __init__(self, mode=None):
        self.sets = {}
        self.mode = mode or Mode.parse("documented")

    def lookup(self, name):
        return self.sets.get(name)


# ---------------------------------------------------------------- client side

class ClientVirtualDeviceSet(object):
    """IClientVirtualDeviceSet2."""

    def __init__(self, ns):
        self.ns = ns
        self.lt = None   # current lifetime, None when the set does not exist (DNE)

    @property
    def state(self):
        return self.lt.state if self.lt is not None else DNE

    def Create(self, name, cfg):
        return self.CreateEx(None, name, cfg)

    def CreateEx(self, instance, name, cfg):
        # instance: an in-memory implementation has no SQL Server instances; like the
        # Linux libsqlvdi it ignores the parameter.
        if self.lt is not None:
            return VD_E_PROTOCOL
        if not isinstance(name, str) or name == "":
            return VD_E_INVALID
        c = dict((k, int(cfg.get(k, 0)) & 0xFFFFFFFF) for k in CONFIG_FIELDS)
        if c["deviceCount"] < 1 or c["deviceCount"] > MAX_DEVICES:
            return VD_E_INVALID
        if self.ns.lookup(name) is not None:      # name held by another client object
            return VD_E_PROTOCOL
        self.lt = _Lifetime(name, c)
        self.ns.sets[name] = self.lt
        return NOERROR

    def GetConfiguration(self, timeout):
        lt = self.lt
        if lt is None:
            return VD_E_PROTOCOL, None
        if lt.state == ABORT:
            return VD_E_ABORT, None
        if lt.state == CONFIGURABLE:
            if not lt.server_configured:
                if self.ns.mode.of("VDI-A1") == "timeout":
                    # Nothing can change while this single-threaded call waits; never
                    # wait longer than asked, so a poll (timeout 0) answers at once.
                    return VD_E_TIMEOUT, None
                lt.final_cfg = dict(lt.cfg)   # table: no time-out; the request as given
            lt.state = INITIALIZING
        return NOERROR, dict(lt.final_cfg)

    def OpenDevice(self, name):
        lt = self.lt
        if lt is None:
            return VD_E_PROTOCOL, None
        if lt.state == ABORT:
            return VD_E_ABORT, None
        if lt.state not in (INITIALIZING, ACTIVE):
            return VD_E_PROTOCOL, None
        mode = self.ns.mode
        d = lt.devs.get(name)
        active = lt.state == ACTIVE
        if d is None:
            hr = mode.of("VDI-A6")[1 if active else 0]
            if hr != NOERROR:
                return hr, None
            # names are not considered: open the first device not open yet
            d = next((x for x in (lt.devs[n] for n in lt.names) if not x.client_open), None)
            if d is None:
                return mode.of("VDI-A5"), None
            name = d.name
        if all(x.client_open for x in lt.devs.values()):
            return mode.of("VDI-A5"), None
        if d.client_open:
            return VD_E_PROTOCOL, None
        if active:
            hr = mode.of("VDI-A4")
            if hr != NOERROR:
                return hr, None
        d.client_open = True
        lt.state = ACTIVE
        return NOERROR, ClientVirtualDevice(self, lt, name)

    def SignalAbort(self):
        lt = self.lt
        if lt is None:
            return VD_E_PROTOCOL
        lt.state = ABORT
        return NOERROR

    def Close(self):
        lt = self.lt
        if lt is None:
            return VD_E_PROTOCOL
        hr = NOERROR
        if lt.state == ACTIVE and any(d.client_open and not d.close_seen for d in lt.devs.values()):
            # reference: "VD_E_OPEN is returned; SignalAbort is internally triggered and
            # resources are released"; table: NOERROR.  Released (-> DNE) on both sides.
            lt.state = ABORT
            hr = self.ns.mode.of("VDI-A7")
        lt.ended = True
        if self.ns.sets.get(lt.name) is lt:
            del self.ns.sets[lt.name]
        self.lt = None
        return hr


class ClientVirtualDevice(object):
    """IClientVirtualDevice: bound to the lifetime in which OpenDevice returned it."""

    def __init__(self, owner, lt, name):
        self.owner, self.lt, self.name = owner, lt, name

    def _invalid_status(self):
        """Status for a call on a device object that is no longer valid (its set was
        closed, or it belongs to an earlier lifetime): what the set's state dictates."""
        st = self.owner.state
        return VD_E_ABORT if st == ABORT else VD_E_PROTOCOL

    def _live(self):
        return self.owner.lt is self.lt and not self.lt.ended

    def GetCommand(self, timeout):
        if not self._live():
            return self._invalid_status(), None
        lt = self.lt
        if lt.state == ABORT:
            return VD_E_ABORT, None
        if lt.state != ACTIVE:
            return VD_E_PROTOCOL, None
        d = lt.devs[self.name]
        if d.queue:
            cmd = d.queue.popleft()
            d.outstanding.add(cmd)
            return NOERROR, cmd
        if d.server_closed:
            d.close_seen = True
            if not self.owner.ns.mode.of("VDI-A9") or \
                    all(x.close_seen for x in lt.devs.values() if x.client_open):
                lt.state = NORMALLY_TERMINATED
            return VD_E_CLOSE, None
        return self.owner.ns.mode.of("VDI-A2"), None

    def CompleteCommand(self, cmd, completion_code, bytes_transferred, position):
        if not self._live():
            return self._invalid_status()
        lt = self.lt
        if lt.state == ABORT:
            return VD_E_ABORT
        if lt.state != ACTIVE:
            return VD_E_PROTOCOL
        d = lt.devs[self.name]
        if cmd not in d.outstanding:
            return self.owner.ns.mode.of("VDI-A8")   # reference: "pCmd was not an active command"
        d.outstanding.discard(cmd)
        return NOERROR


# ---------------------------------------------------------------- server side

class ServerVirtualDeviceSet(object):
    """IServerVirtualDeviceSet2 (Open/BeginConfiguration/EndConfiguration folded
    into open(), as server.Open prescribes)."""

    def __init__(self, ns):
        self.ns = ns
        self.lt = None

    def _check(self):
        """None when usable, else the status for a call on this object."""
        lt = self.lt
        if lt is None or lt.ended:
            return VD_E_PROTOCOL     # not open / the client released the set
        if lt.state == ABORT:
            return VD_E_ABORT
        return None

    def Open(self, name, devices):
        lt = self.ns.lookup(name)
        if lt is None:
            return VD_E_INVALID
        if lt.state == ABORT:
            return VD_E_ABORT
        if self.lt is lt or lt.server_attached:
            return VD_E_PROTOCOL     # Open must be the first call
        if list(devices) != lt.names:
            return VD_E_INVALID
        self.lt = lt
        lt.server_attached = True
        # BeginConfiguration/EndConfiguration: the final configuration is the
        # client's request as given (this implementation imposes nothing).
        lt.final_cfg = dict(lt.cfg)
        lt.server_configured = True
        for d in lt.devs.values():
            d.server_open = True
        return NOERROR

    def SendCommand(self, device, code, size):
        hr = self._check()
        if hr is not None:
            return hr, None
        d = self.lt.devs.get(device)
        if d is None:
            return VD_E_INVALID, None
        if not d.server_open or d.server_closed or not d.client_open \
                or self.lt.state != ACTIVE:
            return VD_E_PROTOCOL, None   # "The device is not active"
        cmd = VDC_Command(code, size, 0, device)
        d.queue.append(cmd)
        return NOERROR, cmd

    def CloseDevice(self, device):
        hr = self._check()
        if hr is not None:
            return hr
        d = self.lt.devs.get(device)
        if d is None:
            return VD_E_INVALID
        if d.server_closed:
            return VD_E_CLOSE
        d.server_closed = True
        return NOERROR

    def SignalAbort(self):
        lt = self.lt
        if lt is None or lt.ended:
            return VD_E_PROTOCOL
        if self.ns.mode.of("VDI-A3"):
            lt.state = ABORT
        return NOERROR

    def Close(self):
        lt = self.lt
        if lt is None:
            return VD_E_NOTOPEN
        self.lt = None
        return NOERROR
