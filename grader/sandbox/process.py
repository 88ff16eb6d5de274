"""One warm worker (zygote) as the grader drives it: start, fork children, end them, restart when lost.

Launching one needs no numpy (the frame format, which does, is imported when the first frame is read), so a
caller in a hurry (``grader.sandbox.early``) can launch the worker before its own imports and let the two
start-ups overlap."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from grader.pipeline.integrity import BANNED
from grader.sandbox import isolation
from grader.sandbox.limits import Limits

if TYPE_CHECKING:
    from types import ModuleType

UID_SPAN = 2048  # uids per worker (root only): each child gets the next one
UID_BASE = 1_000_000  # children run as uids from here on (root only): far above real users
KINDS = ("numpy", "torch")

_LAUNCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-launcher")
START_TIMEOUT = 120.0  # a cold torch import on a busy machine
# A worker started under bubblewrap before any probe (grader check): a bubblewrap that hangs instead of failing is
# given up on after this, and the probe decides the level; a start slower than this only costs a second start.
UNPROBED_START_TIMEOUT = 30.0
CONTROL_TIMEOUT = 20.0


def _wire() -> ModuleType:
    """``grader.protocol.wire``, imported on first use (it imports numpy)."""
    from grader.protocol import wire

    return wire


def worker_uid(slot: int, kind: str, level: str) -> int | None:
    """The first child uid of the ``kind`` worker of pool slot ``slot`` in this run (None where children
    keep the grader's uid): ``UID_SPAN`` uids each, distinct per slot, kind and concurrent run."""
    if not isolation.children_may_drop_uid(level):
        return None
    run_base = UID_BASE + (os.getpid() % 4000) * 64 * len(KINDS) * UID_SPAN
    return run_base + ((slot % 64) * len(KINDS) + KINDS.index(kind)) * UID_SPAN


@dataclass(frozen=True)
class Ended:
    """How a child ended, as its zygote (outside the child) saw it: a description, and the exit status or
    the signal number (None when it did not end that way)."""

    status: str
    exit: int | None = None
    signal: int | None = None


class WorkerLost(RuntimeError):
    """The warm worker stopped answering (it died, or a child killed it); it is restarted on next use."""


class WorkerProcess:
    """A zygote of one ``kind`` ("numpy" or "torch"), started lazily at ``level`` isolation.

    ``uid``: when not None the children switch to it (root only). ``collapse``: whether the worker moves its
    preloaded memory into huge pages (``grader.worker.huge_pages``), which costs a torch worker's start about 0.8 s
    and each later fork and end about 6.5 ms less: worth it for a class, not for one hand-in's few children. Not
    thread-safe: one session at a time.
    """

    def __init__(self, kind: str, limits: Limits, level: str, uid: int | None, hide: tuple[str, ...] = (), *,
                 collapse: bool = True) -> None:
        self.kind, self.limits, self.level, self.uid, self.hide = kind, limits, level, uid, hide
        self.collapse = collapse
        self._proc: subprocess.Popen | None = None
        self._ctrl: socket.socket | None = None
        self._scratch: tempfile.TemporaryDirectory | None = None
        self._log: IO[bytes] | None = None
        self._ready = False
        self.plotting: bool | None = None  # whether its children start with matplotlib loaded; None: not asked yet

    @classmethod
    def for_slot(cls, slot: int, kind: str, level: str, limits: Limits | None = None, hide: tuple[str, ...] = (),
                 *, collapse: bool = True) -> WorkerProcess:
        """The ``kind`` worker of pool slot ``slot``: its uids (``worker_uid``), ``limits`` by default those of
        its kind."""
        return cls(kind, limits or Limits.for_kind(kind), level, worker_uid(slot, kind, level), hide,
                   collapse=collapse)

    def _config(self, fd: int) -> dict:
        namespaces = self.level in ("bwrap", "unshare")
        hide = list(self.hide)
        if self.level == "bwrap" or (self.level == "unshare" and not isolation.grader_under_tmp()):
            scratch_root = "/tmp"  # a private tmpfs inside the namespace
        else:
            # A folder of our own, never the host's /tmp: the worker wipes its scratch after each child.
            self._scratch = self._scratch or tempfile.TemporaryDirectory(prefix="grader-scratch-")
            scratch_root = self._scratch.name
            if self.uid is not None:
                os.chown(scratch_root, self.uid, self.uid)
            if self.level == "unshare":
                hide.append(scratch_root)  # covered by a private tmpfs inside the mount namespace
        extra: int | None
        if namespaces:
            cleanup, extra = "pidns", (0 if self.uid is not None else 4)  # the worker's own processes count
        else:
            cleanup, extra = ("uid", 0) if self.uid is not None else ("pgroup", None)
        limits = self.limits.as_dict()
        if extra is None:
            limits["nproc"] = -1  # the user's other processes count too: no meaningful limit
        # Top-level scratch entries that hold the grader's own mounts (a grader installed under /tmp).
        keep = sorted({Path(r).relative_to(scratch_root).parts[0] for r in isolation.readable_roots()
                       if r.startswith(scratch_root.rstrip("/") + "/")})
        banned = sorted(BANNED) if self.kind == "numpy" else []  # the numpy-only homeworks' worker
        return {"fd": fd, "kind": self.kind, "uid": self.uid, "uid_span": UID_SPAN, "cleanup": cleanup,
                "extra_procs": extra or 0, "scratch_root": scratch_root, "limits": limits, "hide": hide, "keep": keep,
                "banned": banned, "collapse": self.collapse}

    def launch(self) -> None:
        """Start the worker's process, without waiting for it (``start`` waits); nothing if it runs already."""
        if self._proc is not None and self._proc.poll() is None:
            return
        self._stop()  # one that died: its channel and log go with it
        ours, theirs = socket.socketpair()
        config = self._config(theirs.fileno())
        self._log = tempfile.TemporaryFile()  # the worker's own stderr, for error messages
        try:
            # Started from one long-lived thread: bwrap's --die-with-parent follows the thread that forked
            # it, so a worker started from a short-lived grading thread would die with that thread.
            self._proc = _LAUNCHER.submit(
                subprocess.Popen,
                isolation.command(self.level, config), pass_fds=[theirs.fileno()], env=isolation.environment(),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log, start_new_session=True,
            ).result()
        finally:
            theirs.close()
        self._ctrl = ours
        self._ready = False
        self.plotting = None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Launch the worker (unless ``launch`` did) and wait until it says it is ready, at most ``timeout``
        seconds (WorkerLost, the worker stopped, past that)."""
        self.launch()
        if self._ready:
            return
        wire = _wire()
        if self._ctrl is None:  # launch() sets it: this would be a grader bug
            raise WorkerLost("the worker has no control channel")
        try:
            ready = wire.decode_payload(wire.recv_frame(self._ctrl, time.monotonic() + timeout))
        except (wire.WireError, TimeoutError, OSError) as exc:
            detail = self._stop()
            raise WorkerLost(f"the {self.kind} worker did not start ({type(exc).__name__}): {detail}") from None
        if not isinstance(ready, dict) or "ready" not in ready:
            self._stop()
            raise WorkerLost("the worker sent something other than its ready message")
        self._ready = True

    @property
    def running(self) -> bool:
        """Started, ready and alive (a worker only launched is not running yet)."""
        return self._proc is not None and self._ready and self._proc.poll() is None

    def _control(self, request: dict) -> socket.socket:
        wire = _wire()
        if self._proc is not None and not self._ready and self._proc.poll() is None:
            self.start()  # launched ahead of use: wait until it is ready
        elif not self.running:
            self.restart()
        if self._ctrl is None:  # a running worker always has its channel: this would be a grader bug
            raise WorkerLost("the worker has no control channel")
        try:
            wire.send_frame(self._ctrl, wire.encode(request), time.monotonic() + CONTROL_TIMEOUT)
        except (wire.WireError, TimeoutError, OSError) as exc:
            raise WorkerLost(f"lost the worker ({exc!r}): {self._stop()}") from None
        return self._ctrl

    def spawn(self) -> tuple[int, socket.socket]:
        """A fresh child: its pid (in the worker's namespace) and a socket connected to it."""
        ctrl = self._control({"op": "spawn"})
        wire = _wire()
        try:
            ctrl.settimeout(CONTROL_TIMEOUT)
            _, fds, _, _ = socket.recv_fds(ctrl, 1, 1)
            if len(fds) != 1:
                raise WorkerLost("no socket came with the spawn answer")
            child = socket.socket(fileno=fds[0])
            answer = wire.decode_payload(wire.recv_frame(ctrl, time.monotonic() + CONTROL_TIMEOUT))
            return int(answer["pid"]), child
        except (wire.WireError, TimeoutError, OSError, KeyError, TypeError) as exc:
            raise WorkerLost(f"the worker failed to fork ({exc!r}): {self._stop()}") from None

    def end(self, pid: int) -> Ended:
        """Kill child ``pid`` and all it started, wipe its scratch; how it ended, as the zygote saw it."""
        if not self.running:
            detail = self._stop()
            return Ended("the worker was killed" + (f" ({detail[-200:]})" if detail else ""))
        ctrl = self._control({"op": "end", "pid": pid})
        wire = _wire()
        try:
            answer = wire.decode_payload(wire.recv_frame(ctrl, time.monotonic() + CONTROL_TIMEOUT))
            code, sig = answer["exit"], answer["signal"]
            return Ended(str(answer["status"]), code if type(code) is int else None, sig if type(sig) is int else None)
        except (wire.WireError, TimeoutError, OSError, KeyError, TypeError) as exc:
            raise WorkerLost(f"the worker failed to end a child ({exc!r}): {self._stop()}") from None

    def load_plotting(self) -> bool:
        """Have a torch worker import matplotlib, for the children forked after this (a hand-in's source imports
        it, and each of its children would pay about 0.4 s); whether they will find it loaded. Asked once."""
        if self.plotting is not None:
            return self.plotting
        if self.kind != "torch":
            self.plotting = False
            return False
        ctrl = self._control({"op": "plotting"})
        wire = _wire()
        try:
            answer = wire.decode_payload(wire.recv_frame(ctrl, time.monotonic() + CONTROL_TIMEOUT))
        except (wire.WireError, TimeoutError, OSError) as exc:
            raise WorkerLost(f"the worker failed to load matplotlib ({exc!r}): {self._stop()}") from None
        self.plotting = isinstance(answer, dict) and answer.get("plotting") is True
        return self.plotting

    def restart(self) -> None:
        self._stop()
        self.start()

    def _stop(self) -> str:
        """Kill the worker and its whole sandbox; what it wrote to stderr, for error messages."""
        detail = ""
        self._ready = False
        if self._ctrl is not None:
            self._ctrl.close()
            self._ctrl = None
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self._proc.wait()
            self._proc = None
        if self._log is not None:
            self._log.seek(0)
            detail = self._log.read()[-4000:].decode(errors="replace").strip()
            self._log.close()
            self._log = None
        return detail

    def close(self) -> None:
        self._stop()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None
