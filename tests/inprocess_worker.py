"""A test-only Worker that runs a TRUSTED module (a reference, a mutant written by a test) in-process.

It honours the Worker protocol closely enough to unit-test checks: markers are resolved, callees get
copies of the arguments (as the wire delivers them), exceptions come back as
``Raised``, return values are turned into plain data (a non-data value becomes
``Crashed("bad reply: ...")``). It has no isolation and ignores timeouts: the grader itself never runs
student code this way.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.checks.references import resolve_markers
from grader.protocol import wire
from grader.protocol.outcomes import Crashed, Outcome, Raised, Returned
from grader.worker.child import _to_plain as worker_convert

_counter = itertools.count()


def load_module(path: Path) -> ModuleType:
    """Import a Python file under a fresh, unique module name."""
    spec = importlib.util.spec_from_file_location(f"inprocess_{Path(path).stem}_{next(_counter)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _as_sent(value: Any) -> Any:
    """Arguments as the wire delivers them: fresh containers, tuples kept as tuples."""
    if isinstance(value, tuple):
        return tuple(_as_sent(v) for v in value)
    if isinstance(value, list):
        return [_as_sent(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_sent(v) for k, v in value.items()}
    return value


def _as_returned(value: Any) -> Any:
    """``value`` exactly as it would cross back from a sandboxed worker (the same encoder and decoder)."""
    return wire.decode(wire.encode(value, convert=worker_convert))


def _plain_or_none(value: Any) -> Any:
    try:
        return _as_returned(value)
    except wire.WireError:
        return None  # a generator or a callable cannot come back; its slot reads None


class InProcessWorker:
    """``InProcessWorker(path)`` or ``InProcessWorker.from_module(module)``.

    ``procedures`` maps a procedure name to ``fn(module, payload) -> value``; by default it is
    looked up in ``grader.worker.procedures.PROCEDURES`` if that exists.
    """

    def __init__(self, module_path: Path | None = None, *, module: ModuleType | None = None,
                 procedures: Mapping[str, Callable] | None = None) -> None:
        if (module_path is None) == (module is None):
            raise ValueError("give exactly one of module_path or module")
        self.module = module if module is not None else load_module(Path(module_path))
        self._path = None if module_path is None else Path(module_path)
        self.procedures = procedures
        self.calls: list[str] = []  # function names called, in order (for tests)
        self.restarts = 0

    def restart(self) -> None:
        """A module loaded from a file is loaded afresh (its state reset), as a fresh child would."""
        self.restarts += 1
        if self._path is not None:
            self.module = load_module(self._path)

    @classmethod
    def from_module(cls, module: ModuleType | str, **kwargs: Any) -> InProcessWorker:
        if isinstance(module, str):
            module = importlib.import_module(module)
        return cls(module=module, **kwargs)

    def _run(self, fn: Callable, args: tuple, kwargs: dict, after: bool) -> Outcome:
        start = time.perf_counter()
        real_args = [resolve_markers(_as_sent(a)) for a in args]
        real_kwargs = {k: resolve_markers(_as_sent(v)) for k, v in kwargs.items()}
        try:
            value = fn(*real_args, **real_kwargs)
        except SystemExit as exc:
            return Crashed(f"exited with status {exc.code}", time.perf_counter() - start)
        except Exception as exc:  # noqa: BLE001 - student code may raise anything
            tb = "".join(traceback.format_exception(exc)[-3:])
            return Raised(type(exc).__name__, str(exc), tb, time.perf_counter() - start)
        seconds = time.perf_counter() - start
        try:
            plain = _as_returned(value)
        except wire.WireError as exc:
            return Crashed(f"bad reply: returned {exc}", seconds)
        args_after = [_plain_or_none(a) for a in real_args] if after else []
        return Returned(plain, seconds, args_after)

    def call(self, function: str, args: tuple, kwargs: dict, *, timeout: float) -> Outcome:
        self.calls.append(function)
        fn = getattr(self.module, function, None)
        if fn is None:
            return Raised("AttributeError", f"module has no function {function!r}", "")
        return self._run(fn, args, kwargs, after=True)

    def procedure(self, name: str, payload: dict, *, timeout: float) -> Outcome:
        procedures = self.procedures
        if procedures is None:
            procedures = importlib.import_module("grader.worker.procedures").PROCEDURES
        sent = resolve_markers(_as_sent(dict(payload)))
        outcome = self._run(lambda: procedures[name](self.module, sent), (), {}, after=False)
        if isinstance(outcome, Returned):  # the payload as the grader would read it back after the call
            outcome = Returned(outcome.value, outcome.seconds, [_plain_or_none(sent)], outcome.stderr)
        return outcome
