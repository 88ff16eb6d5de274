"""One forked child: set up, drop rights, import the student's module, serve calls. Runs untrusted code.

Everything the child says is a wire frame on its own socket; the grader validates all of it, since
after the first line of student code nothing in this process can be trusted. Replies:
``{"imported": [top-level modules the import pulled in]}``, ``{"returned": v, "args_after": [...],
"stderr": s}``, ``{"raised": {"type", "message", "traceback"}}``, ``{"crashed": reason}``.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import resource
import signal
import socket
import sys
import tempfile
import traceback
from typing import Any, NoReturn

import numpy as np

from grader import wire
from grader.worker.capture import CappedText

TRACEBACK_CHARS = 4000
MESSAGE_CHARS = 2000


def _limit(which: int, soft: int, hard: int | None = None) -> None:
    try:
        resource.setrlimit(which, (soft, soft if hard is None else hard))
    except (ValueError, OSError):
        pass  # already lower than asked


def _vm_data_bytes() -> int | None:
    """The data segment the child inherited, or None where /proc does not say (not Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def apply_limits(limits: dict[str, int], extra_procs: int) -> None:
    """rlimits of the child. Memory is what student code may add on top of the preloaded interpreter
    (RLIMIT_DATA covers heap and anonymous mmaps since Linux 4.7, and spares torch's reserved
    address space that RLIMIT_AS would count)."""
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_CPU, limits["cpu_seconds"], limits["cpu_seconds"] + 1)
    _limit(resource.RLIMIT_FSIZE, limits["file_mb"] * 2**20)
    _limit(resource.RLIMIT_NOFILE, limits["nofile"])
    if limits["nproc"] >= 0:
        _limit(resource.RLIMIT_NPROC, limits["nproc"] + extra_procs)
    inherited = _vm_data_bytes()
    if inherited is not None:
        _limit(resource.RLIMIT_DATA, inherited + limits["memory_mb"] * 2**20)


def _prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None).prctl(option, value, 0, 0, 0)
    except AttributeError:
        pass  # not Linux


def _drop_rights(uid: int | None) -> None:
    _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the worker
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _prctl(38, 1)  # PR_SET_NO_NEW_PRIVS: no setuid binaries from here on


def _isolate_fds(sock: socket.socket) -> None:
    os.closerange(3, sock.fileno())
    os.closerange(sock.fileno() + 1, 1 << 16)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def _to_plain(value: Any) -> Any:
    """torch tensors (and sizes) as numpy data; None for anything else (it cannot cross)."""
    if not type(value).__module__.startswith("torch"):
        return None
    import torch

    if isinstance(value, torch.Tensor):
        return np.array(value.detach().cpu().numpy())
    if isinstance(value, torch.Size):
        return list(value)
    return None


def _is_marker(value: Any) -> bool:
    return isinstance(value, np.random.Generator) or callable(value)


def _checked(arg: Any) -> Any:
    try:
        wire.encode(arg, convert=_to_plain)
    except wire.WireError as exc:
        return f"<not data after the call: {exc}>"
    return arg


class Child:
    def __init__(self, sock: socket.socket, scratch: str, module_name: str) -> None:
        self.sock = sock
        self.scratch = scratch
        self.module_name = module_name
        self.module: Any = None
        self.stderr = CappedText(0)

    def send(self, reply: dict) -> None:
        wire.send_frame(self.sock, wire.encode(reply))

    def raised(self, exc: BaseException) -> dict:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(self.scratch)]
        for f in frames:
            f.filename = os.path.relpath(f.filename, self.scratch)
        try:
            message = str(exc)[:MESSAGE_CHARS]
        except Exception:
            message = "<the exception's message could not be printed>"
        tb = "".join(traceback.format_list(frames))
        if len(tb) > TRACEBACK_CHARS:
            tb = "...\n" + tb[-TRACEBACK_CHARS:]
        return {"raised": {"type": type(exc).__name__[:200], "message": message, "traceback": tb}}

    def fatal(self, exc: BaseException, memory_mb: int) -> dict:
        """Replies for exceptions after which this child must not serve another call."""
        if isinstance(exc, MemoryError):
            return {"crashed": f"ran out of memory (limit {memory_mb} MB)"}
        if isinstance(exc, (SystemExit, GeneratorExit)):
            code = exc.code if isinstance(exc, SystemExit) and type(exc.code) in (int, type(None)) else "..."
            return {"crashed": f"called sys.exit({code}) or exit(): the grader needs the function to return"}
        return {"crashed": f"raised {type(exc).__name__}"}

    def encode_returned(self, value: Any, args: list) -> bytes:
        """The reply frame; a value that is not data makes it a crash, an argument that stopped being
        data (the function put an object into it) becomes a string that matches no input."""
        args = ["<marker>" if _is_marker(a) else a for a in args]  # the grader puts its marker back
        reply = {"returned": value, "args_after": args, "stderr": self.stderr.text()}
        try:
            return wire.encode(reply, convert=_to_plain)
        except wire.WireError:
            pass
        try:
            wire.encode(value, convert=_to_plain)
        except wire.WireError as exc:
            return wire.encode({"crashed": f"returned something that is not data: {exc}"})
        reply["args_after"] = [_checked(a) for a in args]
        return wire.encode(reply, convert=_to_plain)


def _recoverable(exc: BaseException) -> bool:
    """Ordinary exceptions are reported and the child serves on; after running out of memory or an
    exit the child reports a crash and ends, so the next call gets a fresh one."""
    return isinstance(exc, Exception) and not isinstance(exc, MemoryError)


def _resolver(builtins: dict) -> Any:
    def resolve(tag: str, body: Any) -> Any:
        if tag == "rng":
            return np.random.default_rng(body)
        if body not in builtins:
            raise wire.WireError(f"unknown builtin {body!r}")
        return builtins[body]

    return resolve


def serve(sock: socket.socket, spec: dict, builtins: dict, procedures: dict) -> NoReturn:
    """The child's whole life; never returns."""
    try:
        _serve(sock, spec, builtins, procedures)
    finally:
        os._exit(0)


def _serve(sock: socket.socket, spec: dict, builtins: dict, procedures: dict) -> None:
    os.setsid()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails instead of killing us
    _isolate_fds(sock)
    _drop_rights(spec.get("uid"))
    setup = wire.decode_payload(wire.recv_frame(sock))
    scratch = tempfile.mkdtemp(prefix="job-", dir=spec["scratch_root"])
    limits = spec["limits"]
    apply_limits(limits, spec.get("extra_procs", 0))
    for name, data in setup["files"].items():
        if os.path.basename(name) == name and name not in ("", ".", ".."):
            with open(os.path.join(scratch, name), "wb") as f:
                f.write(data.tobytes())
    os.chdir(scratch)
    os.environ.update(TMPDIR=scratch, HOME=scratch)
    sys.path.insert(0, scratch)
    child = Child(sock, scratch, setup["module"])
    child.stderr = CappedText(limits["output_bytes"])
    stdout = sys.stdout = CappedText(limits["output_bytes"])
    sys.stderr = child.stderr
    before = set(sys.modules)
    try:
        child.module = importlib.import_module(setup["module"])
    except BaseException as exc:
        child.send(child.raised(exc) if _recoverable(exc) else child.fatal(exc, limits["memory_mb"]))
        return
    child.send({"imported": sorted({m.split(".")[0] for m in set(sys.modules) - before})})
    resolve = _resolver(builtins)
    while True:
        request = wire.decode_payload(wire.recv_frame(sock), marker=resolve)
        stdout.reset()
        child.stderr.reset()
        try:
            if request["op"] == "call":
                fn = getattr(child.module, request["function"], None)
                if not callable(fn):
                    raise AttributeError(f"{setup['module']} has no function {request['function']!r}")
                args = request["args"]
                value = fn(*args, **request["kwargs"])
            else:
                args = []
                value = procedures[request["name"]](child.module, request["payload"])
        except BaseException as exc:
            if not _recoverable(exc):
                child.send(child.fatal(exc, limits["memory_mb"]))
                return
            child.send(child.raised(exc))
            continue
        wire.send_frame(sock, child.encode_returned(value, args))

