"""One forked child: set up, drop rights, read the hand-in, import it, serve calls. Runs untrusted code.

Before any student code runs the child drops to its own uid, installs the seccomp filter
(``grader.worker.seccomp``), applies the limits, writes the files into a scratch folder and reads them:
a notebook becomes a module (``grader.worker.notebook``) and the sources are scanned for banned imports
(``grader.worker.scan``). That first reply, ``{"prepared": {...}}``, is the only one the grader trusts for
more than data: nothing of the student's had run when it was sent. From the import on, every frame is
validated as hostile by the grader, and no reply can replace a measurement: array arguments live in
memory the grader reads back itself (``grader.sandbox.shared_args``), and a banned import ends the child
with ``BANNED_EXIT``, which the grader learns from the zygote, outside this process.

Replies: ``{"prepared": {"origin", "banned", "error"}}``, ``{"imported": True}``,
``{"returned": v, "stderr": s, "stdout": s}``, ``{"raised": {"type", "message", "traceback", "stdout"}}``,
``{"crashed": reason}``, one for each call of a request, which is a call, a procedure, or several calls to run
in turn (``{"op": "calls"}``; once a call of a ``group`` raises, the later calls of that group are not made, and
get no reply). The call's printed output (``stdout``, capped) is shown to the student on a failing
public check only; the grader never judges by it.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.machinery
import importlib.util
import mmap
import os
import resource
import signal
import socket
import sys
import tempfile
import traceback
import types
from typing import Any, NoReturn

import numpy as np

from grader.protocol import wire
from grader.worker import seccomp
from grader.worker.capture import CappedText
from grader.worker.notebook import NotebookError, notebook_to_source
from grader.worker.scan import banned_imports, compiled_or_none, may_import

TRACEBACK_CHARS = 4000
MESSAGE_CHARS = 2000
BANNED_EXIT = 86  # exit status of a child that tried to import a banned library (seen by the zygote)
RETURNED, RAISED, ENDED = "returned", "raised", "ended"  # how a call went, as _serve_one says


def _limit(which: int, soft: int, hard: int | None = None) -> None:
    try:
        resource.setrlimit(which, (soft, soft if hard is None else hard))
    except (ValueError, OSError):
        pass  # already lower than asked


def _vm_size_bytes() -> int | None:
    """The address space the child inherited, or None where /proc does not say (not Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def apply_limits(limits: dict[str, int], extra_procs: int) -> None:
    """rlimits of the child. Memory is what student code may add on top of the preloaded interpreter,
    counted as address space (RLIMIT_AS): heap, anonymous and shared mappings alike, so memory mapped
    with MAP_SHARED counts as much as any other."""
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_CPU, limits["cpu_seconds"], limits["cpu_seconds"] + 1)
    _limit(resource.RLIMIT_FSIZE, limits["file_mb"] * 2**20)
    _limit(resource.RLIMIT_NOFILE, limits["nofile"])
    if limits["nproc"] >= 0:
        _limit(resource.RLIMIT_NPROC, limits["nproc"] + extra_procs)
    inherited = _vm_size_bytes()
    if inherited is not None:
        _limit(resource.RLIMIT_AS, inherited + limits["memory_mb"] * 2**20)


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
    seccomp.install()


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


class _BannedFinder:
    """First on ``sys.meta_path``: ``importlib.import_module`` looks here before anywhere else."""

    def __init__(self, banned: frozenset[str], exit_now: Any) -> None:
        self.banned, self.exit_now = banned, exit_now

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in self.banned:
            self.exit_now(BANNED_EXIT)


def guard_imports(banned: list[str]) -> None:
    """End the process on any import of a banned library, however it is spelled, so that the zygote reports
    the exit status to the grader: an audit hook (which no Python code can remove) sees ``import``
    statements and ``__import__``, a finder first on ``sys.meta_path`` sees ``importlib``, and the library
    itself is replaced by a tombstone package that exits when run. The library is never there to use:
    the worker does not show it (``grader.sandbox.isolation.banned_packages``)."""
    banned_set, exit_now = frozenset(banned), os._exit

    def hook(event: str, args: tuple) -> None:
        if event == "import" and args and str(args[0]).split(".")[0] in banned_set:
            exit_now(BANNED_EXIT)

    sys.addaudithook(hook)
    sys.meta_path.insert(0, _BannedFinder(banned_set, exit_now))


def prepare(scratch: str, setup: dict, banned: list[str], *, plotting: bool = False
            ) -> tuple[dict, types.CodeType | None]:
    """Write the files, turn a notebook into the module, scan for banned imports (no student code runs); with
    ``plotting`` (a torch worker), say whether the module may import matplotlib (``plots``: the worker then loads
    it for its children). Returns the report for the grader and the module's bytecode (None if it does not
    compile), compiled once for the scan and the import."""
    files = {name: data.tobytes() for name, data in setup["files"].items()
             if os.path.basename(name) == name and name not in ("", ".", "..")}
    module, origin, error = setup["module"], None, ""
    notebook = setup.get("notebook")
    if notebook:
        try:
            converted = notebook_to_source(files.pop(notebook, b""))
            files[f"{module}.py"] = converted.source.encode()
            origin = np.array(converted.origin, dtype=np.int64).reshape(-1, 2)  # one array, however long
        except NotebookError as exc:
            error = str(exc)
    for name, data in files.items():
        with open(os.path.join(scratch, name), "wb") as f:
            f.write(data)
    main = f"{module}.py"
    # the path the import would give it: tracebacks and __file__ read the same either way
    code = compiled_or_none(files[main], os.path.join(scratch, main)) if main in files and not error else None
    compiled = {main: code} if code is not None else None
    findings = banned_imports(files, main, banned, compiled=compiled) if banned and not error else []
    plots = plotting and code is not None and may_import(code, "matplotlib")
    return {"origin": origin, "banned": findings[:20], "error": error, "plots": plots}, code


class _CompiledLoader(importlib.machinery.SourceFileLoader):
    """Loads the hand-in from the bytecode ``prepare`` compiled from the same file."""

    def __init__(self, fullname: str, path: str, code: types.CodeType) -> None:
        super().__init__(fullname, path)
        self._code = code

    def get_code(self, fullname: str) -> types.CodeType:
        return self._code


def import_hand_in(module: str, scratch: str, code: types.CodeType | None) -> types.ModuleType:
    """The student's module, as ``importlib.import_module`` imports it, from ``code`` when there is one."""
    if code is None:
        return importlib.import_module(module)
    path = os.path.join(scratch, f"{module}.py")
    spec = importlib.util.spec_from_file_location(module, path, loader=_CompiledLoader(module, path, code))
    if spec is None or spec.loader is None:
        return importlib.import_module(module)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[module] = loaded
    try:
        spec.loader.exec_module(loaded)
    except BaseException:
        sys.modules.pop(module, None)  # as a failed import leaves it
        raise
    return sys.modules[module]  # a module may replace itself in sys.modules, as with an import


class Child:
    def __init__(self, sock: socket.socket, scratch: str, module_name: str) -> None:
        self.sock = sock
        self.scratch = scratch
        self.module_name = module_name
        self.module: Any = None
        self.stderr = CappedText(0)
        self.stdout = CappedText(0)

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
        return {"raised": {"type": type(exc).__name__[:200], "message": message, "traceback": tb,
                           "stdout": self.stdout.text()}}

    def fatal(self, exc: BaseException, memory_mb: int) -> dict:
        """Replies for exceptions after which this child must not serve another call."""
        if isinstance(exc, MemoryError):
            return {"crashed": f"ran out of memory (limit {memory_mb} MB)"}
        if isinstance(exc, (SystemExit, GeneratorExit)):
            code = exc.code if isinstance(exc, SystemExit) and type(exc.code) in (int, type(None)) else "..."
            return {"crashed": f"called sys.exit({code}) or exit(): the grader needs the function to return"}
        return {"crashed": f"raised {type(exc).__name__}"}

    def encode_returned(self, value: Any) -> bytes:
        """The reply frame; a value that is not data makes it a crash."""
        try:
            reply = {"returned": value, "stderr": self.stderr.text(), "stdout": self.stdout.text()}
            return wire.encode(reply, convert=_to_plain)
        except wire.WireError as exc:
            return wire.encode({"crashed": f"returned something that is not data: {exc}"})


def _recoverable(exc: BaseException) -> bool:
    """Ordinary exceptions are reported and the child serves on; after running out of memory or an
    exit the child reports a crash and ends, so the next call gets a fresh one."""
    return isinstance(exc, Exception) and not isinstance(exc, MemoryError)


def _resolver(builtins: dict, memory: mmap.mmap | None) -> Any:
    def resolve(tag: str, body: Any) -> Any:
        if tag == "rng":
            return np.random.default_rng(body)
        if tag == "m":
            if memory is None:
                raise wire.WireError("a shared array without shared memory")
            offset, dtype, shape = body
            return np.ndarray(tuple(shape), dtype=np.dtype(dtype), buffer=memory, offset=offset)
        if body not in builtins:
            raise wire.WireError(f"unknown builtin {body!r}")
        return builtins[body]

    return resolve


def _receive(sock: socket.socket, builtins: dict) -> dict:
    """The next request, its shared arrays mapped from the memory that came with it."""
    payload, fds = wire.recv_frame_fds(sock)
    memory = None
    for fd in fds:
        try:
            if memory is None:
                memory = mmap.mmap(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)
    return wire.decode_payload(payload, marker=_resolver(builtins, memory))


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
    banned = list(spec.get("banned", []))
    child = Child(sock, scratch, setup["module"])
    code = None
    try:
        prepared, code = prepare(scratch, setup, banned, plotting=spec.get("kind") == "torch")
    except (MemoryError, RecursionError):
        prepared = {"origin": None, "banned": [], "error": "the file is too large or too deeply nested to read"}
    child.send({"prepared": prepared})
    if prepared["error"]:
        return
    if banned:
        guard_imports(banned)
    os.chdir(scratch)
    os.environ.update(TMPDIR=scratch, HOME=scratch)
    sys.path.insert(0, scratch)
    child.stderr = CappedText(limits["output_bytes"])
    child.stdout = sys.stdout = CappedText(limits["output_bytes"])
    sys.stderr = child.stderr
    try:
        child.module = import_hand_in(setup["module"], scratch, code)
    except BaseException as exc:
        child.send(child.raised(exc) if _recoverable(exc) else child.fatal(exc, limits["memory_mb"]))
        return
    # Nothing more: listing sys.modules here would touch every preloaded module name, each a page copied on
    # write (about 1,300 pages and 6 ms for a torch child).
    child.send({"imported": True})
    while True:
        request = _receive(sock, builtins)
        calls = request["calls"] if request["op"] == "calls" else [request]
        stopped = set()  # groups of calls (one check's) with a call that raised: the rest are not made
        for one in calls:  # replied to one by one: the grader times each call from the previous reply
            group = one.get("group")
            if group is not None and group in stopped:
                continue
            served = _serve_one(child, one, procedures, limits["memory_mb"])
            if served == ENDED:
                return
            if served == RAISED and group is not None:
                stopped.add(group)


def _serve_one(child: Child, request: dict, procedures: dict, memory_mb: int) -> str:
    """Run one call or procedure and send its reply; ``ENDED`` when the child must end after it."""
    child.stdout.reset()
    child.stderr.reset()
    try:
        if "name" not in request:
            fn = getattr(child.module, request["function"], None)
            if not callable(fn):
                raise AttributeError(f"{child.module_name} has no function {request['function']!r}")
            value = fn(*request["args"], **request["kwargs"])
        else:
            value = procedures[request["name"]](child.module, request["payload"])
    except BaseException as exc:
        if not _recoverable(exc):
            child.send(child.fatal(exc, memory_mb))
            return ENDED
        child.send(child.raised(exc))
        return RAISED
    wire.send_frame(child.sock, child.encode_returned(value))
    return RETURNED
