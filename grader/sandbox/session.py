"""One submission's session: the ``Worker`` a check calls into, backed by a forked child of a warm worker.

Everything a child sends is validated here; any misbehaviour (death, exit, garbage, flooding, a
timeout) costs the call it happened in, and the next call gets a fresh child.
"""

from __future__ import annotations

import re
import time
from typing import Any

import numpy as np

from grader import wire
from grader.assignments import Assignment
from grader.checks.base import Builtin, Rng
from grader.notebook import NotebookError, NotebookSource, notebook_to_source
from grader.outcomes import Crashed, Outcome, Raised, Returned, TimedOut
from grader.sandbox.process import WorkerLost, WorkerProcess

DEFAULT_IMPORT_TIMEOUT = 30.0
TEXT_CAP = 20_000  # characters kept of any text a child sends


def _text(value: Any, what: str) -> str:
    if type(value) is not str:
        raise wire.WireError(f"{what} is not text")
    return value[:TEXT_CAP]


class Session:
    """Implements ``grader.checks.base.Worker`` for one submission of one assignment.

    ``import_error``: None, or the outcome every call returns because the module failed at import
    (Raised, TimedOut or Crashed). ``imports``: top-level modules the student's module pulled in at
    import. ``student_seconds``: wall time spent inside student code (import and calls).
    """

    def __init__(self, worker: WorkerProcess, assignment: Assignment, files: dict[str, bytes], *,
                 import_timeout: float = DEFAULT_IMPORT_TIMEOUT, budget: float | None = None) -> None:
        self._worker = worker
        self._module = assignment.module
        self._filename = assignment.filename
        self._deadline = None if budget is None else time.monotonic() + budget
        self._import_timeout = import_timeout
        self._child: tuple[int, Any] | None = None
        self._notebook: NotebookSource | None = None
        self.import_error: Outcome | None = None
        self.imports: list[str] = []
        self.student_seconds = 0.0
        self._files = {name: bytes(data) for name, data in files.items()}
        if assignment.is_notebook and assignment.filename in self._files:
            try:
                self._notebook = notebook_to_source(self._files.pop(assignment.filename))
                self._files[f"{self._module}.py"] = self._notebook.source.encode()
            except NotebookError as exc:
                self.import_error = Raised("NotebookError", str(exc), "")
        if self.import_error is None:
            self._ensure_child()

    # The Worker protocol
    def call(self, function: str, args: tuple, kwargs: dict, *, timeout: float) -> Outcome:
        request = {"op": "call", "function": function, "args": list(args), "kwargs": dict(kwargs)}
        outcome = self._request(request, timeout)
        if isinstance(outcome, Returned):
            after = outcome.args_after
            if len(after) != len(args):
                return self._crash("bad reply: wrong number of arguments after the call", outcome.seconds)
            after = [a if isinstance(a, (Builtin, Rng)) else b for a, b in zip(args, after, strict=True)]
            outcome = Returned(outcome.value, outcome.seconds, after, outcome.stderr)
        return outcome

    def procedure(self, name: str, payload: dict, *, timeout: float) -> Outcome:
        return self._request({"op": "procedure", "name": name, "payload": dict(payload)}, timeout)

    def restart(self) -> None:
        """End the current child; the next call runs in a fresh one (isolates one target from the next)."""
        self._end_child()

    def close(self) -> None:
        self._end_child()

    # Children
    def _ensure_child(self) -> tuple[int, Any] | None:
        if self._child is not None or self.import_error is not None:
            return self._child
        for attempt in range(2):
            try:
                pid, sock = self._worker.spawn()
                break
            except WorkerLost:
                if attempt:
                    raise
        self._child = (pid, sock)
        files = {name: np.frombuffer(data, dtype=np.uint8) for name, data in self._files.items()}
        started = time.monotonic()
        timeout = self._cap(self._import_timeout)
        outcome = self._exchange({"files": files, "module": self._module}, started + timeout, started)
        self.student_seconds += time.monotonic() - started
        if isinstance(outcome, dict) and type(outcome.get("imported")) is list:
            self.imports = [str(m)[:200] for m in outcome["imported"][:1000]]
            return self._child
        if isinstance(outcome, dict):  # a reply that is not "imported": it raised or crashed at import
            outcome = self._outcome(outcome, time.monotonic() - started)
        if isinstance(outcome, Crashed):
            outcome = Crashed(f"{self._filename} crashed at import: {outcome.reason}", outcome.seconds)
        self.import_error = outcome if not isinstance(outcome, Returned) else Crashed("bad reply at import")
        self._end_child()
        return None

    def _end_child(self) -> str:
        if self._child is None:
            return ""
        pid, sock = self._child
        self._child = None
        sock.close()
        try:
            return self._worker.end(pid)
        except WorkerLost as exc:
            return str(exc)

    def _cap(self, timeout: float) -> float:
        if self._deadline is None:
            return timeout
        return max(0.0, min(timeout, self._deadline - time.monotonic()))

    def _exchange(self, message: dict, deadline: float, started: float) -> dict | Outcome:
        """Send one frame to the child and read its reply: the decoded dict, or the Outcome of a failure."""
        assert self._child is not None
        sock = self._child[1]
        frame = wire.encode(message)  # a check passing something that is not data is a grader bug: raise
        try:
            wire.send_frame(sock, frame, deadline)
            reply = wire.decode_payload(wire.recv_frame(sock, deadline))
        except TimeoutError:
            seconds = time.monotonic() - started
            self._end_child()
            return TimedOut(seconds)
        except wire.ChannelClosed:
            seconds = time.monotonic() - started
            return self._crash(self._end_child() or "the process ended", seconds)
        except (wire.WireError, OSError) as exc:
            return self._crash(f"bad reply: {exc}", time.monotonic() - started)
        if type(reply) is not dict:
            return self._crash("bad reply: not a message", time.monotonic() - started)
        return reply

    def _request(self, message: dict, timeout: float) -> Outcome:
        if self.import_error is not None:
            return self.import_error
        timeout = self._cap(timeout)
        if timeout <= 0:
            return TimedOut(0.0)
        if self._ensure_child() is None:
            return self.import_error or Crashed("no worker")
        started = time.monotonic()
        reply = self._exchange(message, started + timeout, started)
        seconds = time.monotonic() - started
        self.student_seconds += seconds
        if not isinstance(reply, dict):
            return reply
        outcome = self._outcome(reply, seconds)
        if isinstance(outcome, Crashed):
            self._end_child()
        return outcome

    def _crash(self, reason: str, seconds: float) -> Crashed:
        self._end_child()
        return Crashed(reason[:TEXT_CAP], seconds)

    def _outcome(self, reply: dict, seconds: float) -> Outcome:
        """A child's reply as an Outcome, validated field by field."""
        try:
            if set(reply) == {"returned", "args_after", "stderr"} and type(reply["args_after"]) is list:
                return Returned(reply["returned"], seconds, reply["args_after"], _text(reply["stderr"], "stderr"))
            if set(reply) == {"raised"} and type(reply["raised"]) is dict and len(reply["raised"]) == 3:
                r = reply["raised"]
                message, tb = self._cells(_text(r["message"], "message")), self._cells(_text(r["traceback"], "tb"))
                return Raised(_text(r["type"], "type")[:200], message, tb, seconds)
            if set(reply) == {"crashed"}:
                return Crashed(_text(reply["crashed"], "reason"), seconds)
        except (wire.WireError, KeyError) as exc:
            return Crashed(f"bad reply: {exc}", seconds)
        return Crashed("bad reply: unknown message", seconds)

    def _cells(self, text: str) -> str:
        """Point notebook line numbers at cells: ``File "mlp_lab.ipynb, cell 4", line 2``."""
        if self._notebook is None:
            return text
        nb, name = self._notebook, re.escape(f"{self._module}.py")

        def traceback_line(match: re.Match) -> str:
            cell, line = nb.origin[int(match.group(1)) - 1] if 0 < int(match.group(1)) <= len(nb.origin) else (0, 0)
            return f'File "{self._filename}, cell {cell}", line {line}' if cell else match.group(0)

        def message_line(match: re.Match) -> str:
            where = nb.where(int(match.group(1)))
            return f"({self._filename}, {where})" if where else match.group(0)

        text = re.sub(rf'File "{name}", line (\d+)', traceback_line, text)
        return re.sub(rf"\({name}, line (\d+)\)", message_line, text)
