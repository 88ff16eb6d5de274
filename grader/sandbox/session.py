"""One submission's session: the ``Worker`` a check calls into, backed by a forked child of a warm worker.

Everything a child sends is validated here; any misbehaviour (death, exit, garbage, flooding, a
timeout) costs the call it happened in, and the next call gets a fresh child. What the grader believes
about a call rests on the returned value (as data) and on what is observed outside the child: the
arguments as the shared memory holds them after the call, and how the child ended (from its zygote).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from grader.course.assignments import Assignment
from grader.protocol import wire
from grader.protocol.outcomes import Crashed, Outcome, Raised, Returned, TimedOut
from grader.sandbox.process import Ended, WorkerLost, WorkerProcess
from grader.sandbox.shared_args import SharedArgs

DEFAULT_IMPORT_TIMEOUT = 30.0
TEXT_CAP = 20_000  # characters kept of any text a child sends
BANNED_EXIT = 86  # grader.worker.child.BANNED_EXIT: the child tried to import a banned library
BATCH_REPLY_BYTES = 64 * 2**20  # arrays of replies held from one call_many before its remaining calls are dropped


def _text(value: Any, what: str) -> str:
    if type(value) is not str:
        raise wire.WireError(f"{what} is not text")
    return value[:TEXT_CAP]


class Session:
    """Implements ``grader.checks.base.Worker`` for one submission of one assignment.

    ``import_error``: None, or the outcome every call returns because the file could not be read or
    failed at import (Raised, TimedOut or Crashed). ``banned``: banned imports found by reading the
    sources before any student code ran, and ``banned_at_run_time``: a child ended by trying to import
    one (both observed outside student code). ``imports``: top-level modules the import pulled in (as the
    child says: for information only). ``student_seconds``: wall time spent waiting for the child (sending it
    requests and receiving its replies, the import included; not the grader's encoding and decoding of them).
    ``isolation_seconds``: wall time spent waiting for the warm worker to hand over a child or to end one (the
    fork, the end and the clean-up after it): the cost of a fresh process, neither the student's nor the judging's.
    """

    def __init__(self, worker: WorkerProcess, assignment: Assignment, files: dict[str, bytes], *,
                 import_timeout: float = DEFAULT_IMPORT_TIMEOUT, budget: float | None = None) -> None:
        self._worker = worker
        self._module = assignment.module
        self._filename = assignment.filename
        self._notebook = assignment.filename if assignment.is_notebook else None
        self._deadline = None if budget is None else time.monotonic() + budget
        self._import_timeout = import_timeout
        self._child: tuple[int, Any] | None = None
        self._served = False  # whether the current child has been sent a request since its import
        self._origin: list[tuple[int, int]] | None = None
        self.import_error: Outcome | None = None
        self.banned: list[str] = []
        self.banned_at_run_time = False
        self.student_seconds = 0.0
        self.isolation_seconds = 0.0
        self._files = {name: bytes(data) for name, data in files.items()}
        self._ensure_child()

    # The Worker protocol
    def call(self, function: str, args: tuple, kwargs: dict, *, timeout: float) -> Outcome:
        with SharedArgs([list(args), dict(kwargs)]) as shared:
            request = {"op": "call", "function": function, "args": shared.tree[0], "kwargs": shared.tree[1]}
            outcome = self._request(request, timeout, shared.fds)
            if isinstance(outcome, Returned):
                try:
                    after = shared.read_back()[0]
                except OSError as exc:
                    return self._crash(f"bad reply: {exc}", outcome.seconds)
                outcome = Returned(outcome.value, outcome.seconds, after, outcome.stderr, outcome.stdout)
        return outcome

    def call_many(self, calls: Sequence[tuple[str, tuple, dict, float]], *, deadline: float | None = None,
                  reply_bytes: int | None = None, groups: Sequence[int] | None = None,
                  read_back: Sequence[bool] | None = None) -> list[Outcome | None]:
        """``(function, args, kwargs, timeout)`` calls sent in one frame and run one after the other in the child,
        which replies to each as it ends; each call's time runs from the previous reply (the first's from the
        send), observed here, so each has its own timeout, cut at ``deadline`` (monotonic) and at the session's.
        ``groups`` (one per call): once a call raises, the child makes no later call of its group, and its
        outcome here is None (nothing is waited for). ``read_back`` (one per call): the calls whose arguments are
        read back after the batch (``Returned.args_after``; the others' are left empty); None: all.
        The outcomes of the calls that ran, in order: all of them, unless one ended the child (a timeout, a
        crash), which is then the last, or the replies held reach ``reply_bytes`` of arrays (``BATCH_REPLY_BYTES``):
        the child is then ended while it runs the next call, which did not run as far as the caller is concerned."""
        reply_bytes = BATCH_REPLY_BYTES if reply_bytes is None else reply_bytes
        if self.import_error is not None:
            return [self.import_error for _ in calls]
        with SharedArgs([[list(args), dict(kwargs)] for _, args, kwargs, _ in calls]) as shared:
            if self._ensure_child() is None:
                return [self.import_error or Crashed("no worker") for _ in calls]
            self._served = True
            marks: list[dict] = [{"group": group} for group in groups] if groups is not None else [{}] * len(calls)
            request: dict | None = {"op": "calls", "calls": [
                {"function": function, "args": tree[0], "kwargs": tree[1], **mark}
                for (function, _, _, _), tree, mark in zip(calls, shared.tree, marks, strict=True)]}
            outcomes: list[Outcome | None] = []
            stopped: set[int | None] = set()  # groups with a call that raised
            held = 0
            started = time.monotonic()
            for i, (_, _, _, timeout) in enumerate(calls):
                group = None if groups is None else groups[i]
                if group in stopped:
                    outcomes.append(None)  # not made: the child skips it
                    continue
                if held > reply_bytes:
                    self._end_child()  # it is running this call: the caller makes it again, on its own
                    break
                timeout = self._cap(timeout if deadline is None else min(timeout, deadline - started))
                if timeout <= 0:  # the time is up
                    if request is None:
                        self._end_child()  # it is running this call
                    outcomes.append(TimedOut(0.0))
                    break
                reply = self._exchange(request, started + timeout, started, shared.fds if request else None)
                request = None
                now = time.monotonic()
                seconds, started = now - started, now
                outcome = self._outcome(reply, seconds) if isinstance(reply, dict) else reply
                if isinstance(outcome, Crashed):
                    self._end_child()
                elif isinstance(outcome, Raised) and group is not None:
                    stopped.add(group)
                outcomes.append(outcome)
                held += wire.array_bytes(outcome.value) if isinstance(outcome, Returned) else 0
                if self._child is None:
                    break
            parts = None if read_back is None else {i for i, flag in enumerate(read_back) if flag}
            try:
                after = shared.read_back(parts)
            except OSError as exc:
                return [self._crash(f"bad reply: {exc}", o.seconds) if isinstance(o, Returned) else o
                        for o in outcomes]
        return [Returned(o.value, o.seconds, after[i][0] if after[i] is not None else [], o.stderr, o.stdout)
                if isinstance(o, Returned) else o for i, o in enumerate(outcomes)]

    def procedure(self, name: str, payload: dict, *, timeout: float) -> Outcome:
        with SharedArgs(dict(payload)) as shared:
            outcome = self._request({"op": "procedure", "name": name, "payload": shared.tree}, timeout, shared.fds)
            if isinstance(outcome, Returned):
                try:
                    after = shared.read_back()
                except OSError as exc:
                    return self._crash(f"bad reply: {exc}", outcome.seconds)
                outcome = Returned(outcome.value, outcome.seconds, [after], outcome.stderr, outcome.stdout)
        return outcome

    def restart(self) -> None:
        """End the current child; the next call runs in a fresh one (isolates one target from the next). A child
        that has served no request since it imported the hand-in is as fresh as a new one would be (same files,
        same import, clean scratch), so it stays."""
        if self._child is not None and not self._served:
            return
        self._end_child()

    def close(self) -> None:
        self._end_child()

    # Children
    def _ensure_child(self) -> tuple[int, Any] | None:
        if self._child is not None or self.import_error is not None:
            return self._child
        for attempt in range(2):
            asked = time.monotonic()
            try:
                pid, sock = self._worker.spawn()
                break
            except WorkerLost:
                if attempt:
                    raise
            finally:
                self.isolation_seconds += time.monotonic() - asked
        self._child = (pid, sock)
        self._served = False
        files = {name: np.frombuffer(data, dtype=np.uint8) for name, data in self._files.items()}
        started = time.monotonic()
        deadline = started + self._cap(self._import_timeout)
        setup = {"files": files, "module": self._module, "notebook": self._notebook}
        prepared = self._exchange(setup, deadline, started)
        if isinstance(prepared, dict):
            prepared = self._prepared(prepared)
        if isinstance(prepared, dict) and prepared.get("plots") is True and self._worker.plotting is None:
            # No student code has run yet: this child ends, and the hand-in goes to one forked with matplotlib.
            self._end_child()
            asked = time.monotonic()
            try:
                self._worker.load_plotting()
            finally:
                self.isolation_seconds += time.monotonic() - asked
            return self._ensure_child()
        if isinstance(prepared, dict):
            outcome = self._exchange(None, deadline, started)
        else:
            outcome = prepared
        if isinstance(outcome, dict) and outcome.get("imported") is True:
            return self._child
        if isinstance(outcome, dict):  # a reply that is not "imported": it raised or crashed at import
            outcome = self._outcome(outcome, time.monotonic() - started)
        if isinstance(outcome, Crashed) and not outcome.reason.startswith(self._filename):
            outcome = Crashed(f"{self._filename} crashed at import: {outcome.reason}", outcome.seconds)
        self.import_error = outcome if not isinstance(outcome, Returned) else Crashed("bad reply at import")
        self._end_child()
        return None

    def _prepared(self, reply: dict) -> dict | Outcome:
        """The child's report on the files, sent before any student code ran (so it can be believed)."""
        report = reply.get("prepared")
        if type(report) is not dict:
            return self._crash("bad reply: not a report on the files", 0.0)
        banned, origin, error = report.get("banned"), report.get("origin"), report.get("error")
        if type(banned) is list:
            self.banned = [str(b)[:200] for b in banned]
        if type(origin) is np.ndarray and origin.ndim == 2 and origin.shape[1] == 2 and origin.dtype.kind in "iu":
            self._origin = [(int(cell), int(line)) for cell, line in origin]
        if type(error) is str and error:
            return Raised("NotebookError", error[:TEXT_CAP], "")
        return report

    def _end_child(self) -> Ended:
        if self._child is None:
            return Ended("")
        pid, sock = self._child
        self._child = None
        sock.close()
        asked = time.monotonic()
        try:
            ended = self._worker.end(pid)
        except WorkerLost as exc:
            return Ended(str(exc))
        finally:
            self.isolation_seconds += time.monotonic() - asked
        if ended.exit == BANNED_EXIT:
            self.banned_at_run_time = True
        return ended

    def _cap(self, timeout: float) -> float:
        if self._deadline is None:
            return timeout
        return max(0.0, min(timeout, self._deadline - time.monotonic()))

    def _exchange(self, message: dict | None, deadline: float, started: float, fds: list[int] | None = None
                  ) -> dict | Outcome:
        """Send one frame to the child (none if ``message`` is None) and read its reply: the decoded dict,
        or the Outcome of a failure."""
        if self._child is None:
            return Crashed("no worker")
        sock = self._child[1]
        try:
            # a check passing something that is not data is a grader bug: encode raises
            frame = None if message is None else wire.encode(message)
            waiting = time.monotonic()  # what the child takes: from here until its reply is in, not decoded
            try:
                if frame is not None:
                    wire.send_frame(sock, frame, deadline, fds)
                payload = wire.recv_frame(sock, deadline)
            finally:
                self.student_seconds += time.monotonic() - waiting
            reply = wire.decode_payload(payload)
        except TimeoutError:
            seconds = time.monotonic() - started
            self._end_child()
            return TimedOut(seconds)
        except wire.ChannelClosed:
            seconds = time.monotonic() - started
            ended = self._end_child()
            return self._crash(ended.status or "the process ended", seconds, ended)
        except (wire.WireError, OSError) as exc:
            return self._crash(f"bad reply: {exc}", time.monotonic() - started)
        if type(reply) is not dict:
            return self._crash("bad reply: not a message", time.monotonic() - started)
        return reply

    def _request(self, message: dict, timeout: float, fds: list[int]) -> Outcome:
        if self.import_error is not None:
            return self.import_error
        timeout = self._cap(timeout)
        if timeout <= 0:
            return TimedOut(0.0)
        if self._ensure_child() is None:
            return self.import_error or Crashed("no worker")
        self._served = True
        started = time.monotonic()
        reply = self._exchange(message, started + timeout, started, fds)
        seconds = time.monotonic() - started
        if not isinstance(reply, dict):
            return reply
        outcome = self._outcome(reply, seconds)
        if isinstance(outcome, Crashed):
            self._end_child()
        return outcome

    def _crash(self, reason: str, seconds: float, ended: Ended | None = None) -> Crashed:
        ended = ended or self._end_child()
        if ended.exit == BANNED_EXIT:
            reason = "tried to import a library this homework may not use"
        return Crashed(reason[:TEXT_CAP], seconds)

    def _outcome(self, reply: dict, seconds: float) -> Outcome:
        """A child's reply as an Outcome, validated field by field."""
        try:
            if set(reply) in ({"returned", "stderr"}, {"returned", "stderr", "stdout"}):
                stdout = _text(reply.get("stdout", ""), "stdout")
                return Returned(reply["returned"], seconds, [], _text(reply["stderr"], "stderr"), stdout)
            raised_keys = ({"type", "message", "traceback"}, {"type", "message", "traceback", "stdout"})
            if set(reply) == {"raised"} and type(reply["raised"]) is dict and set(reply["raised"]) in raised_keys:
                r = reply["raised"]
                message, tb = self._cells(_text(r["message"], "message")), self._cells(_text(r["traceback"], "tb"))
                stdout = _text(r.get("stdout", ""), "stdout")
                return Raised(_text(r["type"], "type")[:200], message, tb, seconds, stdout)
            if set(reply) == {"crashed"}:
                return Crashed(_text(reply["crashed"], "reason"), seconds)
        except (wire.WireError, KeyError) as exc:
            return Crashed(f"bad reply: {exc}", seconds)
        return Crashed("bad reply: unknown message", seconds)

    def _cells(self, text: str) -> str:
        """Point notebook line numbers at cells: ``File "mlp_lab.ipynb, cell 4", line 2``."""
        origin = self._origin
        if origin is None:
            return text
        name = re.escape(f"{self._module}.py")

        def where(line: int) -> tuple[int, int]:
            return origin[line - 1] if 0 < line <= len(origin) else (0, 0)

        def traceback_line(match: re.Match) -> str:
            cell, line = where(int(match.group(1)))
            return f'File "{self._filename}, cell {cell}", line {line}' if cell else match.group(0)

        def message_line(match: re.Match) -> str:
            cell, line = where(int(match.group(1)))
            if not cell:
                return match.group(0)
            return f"({self._filename}, cell {cell}, line {line})" if line else f"({self._filename}, cell {cell})"

        text = re.sub(rf'File "{name}", line (\d+)', traceback_line, text)
        return re.sub(rf"\({name}, line (\d+)\)", message_line, text)
