"""Trusted reference answers for checks: live from ``reference/``, or replayed from a recording.

``LiveReferences`` runs the instructor's reference code in the grader's process. A student release ships
no reference code, so its public checks replay answers that ``RecordingReferences`` wrote to a file,
keyed by ``(assignment, function, args_key(args, kwargs))``. Both hand back plain data (``to_plain``):
tuples become lists and numpy scalars Python numbers, exactly as values that cross back from a worker.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import importlib
import json
import struct
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from grader.course.assignments import ASSIGNMENTS
from grader.protocol.markers import Builtin, Rng


class NotPlainData(TypeError):
    """A value that cannot cross back as data (an object, a generator, a callable...)."""


def to_plain(value: Any) -> Any:
    """``value`` as plain data: numbers, str, None, numeric/bool/str ndarrays, lists and str-keyed dicts.

    Tuples become lists and numpy scalars Python numbers; anything else raises ``NotPlainData``.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return to_plain(value.item())
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufcU":
            raise NotPlainData(f"an array of dtype {value.dtype}")
        return np.array(value)  # a copy: nothing the caller keeps aliases it
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: to_plain(v) for k, v in value.items()}
    raise NotPlainData(f"a {type(value).__name__}")


def resolve_markers(value: Any, builtins: Mapping[str, Callable] | None = None) -> Any:
    """Replace ``Rng(seed)`` by a fresh generator and ``Builtin(name)`` by the grader-side callable."""
    if isinstance(value, Rng):
        return np.random.default_rng(value.seed)
    if isinstance(value, Builtin):
        from grader.protocol.builtins import BUILTINS

        return (BUILTINS if builtins is None else builtins)[value.name]
    if isinstance(value, tuple):
        return tuple(resolve_markers(v, builtins) for v in value)
    if isinstance(value, list):
        return [resolve_markers(v, builtins) for v in value]
    if isinstance(value, dict):
        return {k: resolve_markers(v, builtins) for k, v in value.items()}
    return copy.deepcopy(value)  # callees get their own copies: a check's inputs stay as sent


def _feed(h: Any, value: Any) -> None:
    """Hash a canonical form of ``value``: equal data gives equal bytes on every machine."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool):
        h.update(f"<{value!r}>".encode())
    elif isinstance(value, int):
        h.update(f"<int {value}>".encode())
    elif isinstance(value, float):
        h.update(b"<float>" + struct.pack("<d", value))
    elif isinstance(value, str):
        h.update(f"<str {len(value)}>".encode() + value.encode())
    elif isinstance(value, (Rng, Builtin)):
        h.update(f"<{value!r}>".encode())
    elif isinstance(value, np.ndarray):
        a = np.ascontiguousarray(value)
        h.update(f"<array {a.dtype.newbyteorder('<').str} {a.shape}>".encode())
        h.update(a.astype(a.dtype.newbyteorder("<"), copy=False).data)  # hashed where it lies: no copy
    elif isinstance(value, (list, tuple)):
        h.update(f"<seq {len(value)}>".encode())
        for v in value:
            _feed(h, v)
    elif isinstance(value, dict):
        h.update(f"<dict {len(value)}>".encode())
        for k in sorted(value):
            _feed(h, k)
            _feed(h, value[k])
    else:
        raise NotPlainData(f"cannot key a reference call on a {type(value).__name__}")


def args_key(args: tuple, kwargs: Mapping[str, Any]) -> str:
    """A stable hash of a call's arguments (tuples and lists hash alike)."""
    h = hashlib.sha256()
    _feed(h, list(args))
    _feed(h, dict(kwargs))
    return h.hexdigest()[:24]


class LiveReferences:
    """Answers from the reference modules in ``reference/`` (instructor repo only)."""

    def __init__(self, modules: Mapping[str, str] | None = None) -> None:
        self.modules = {a.key: a.answers_module for a in ASSIGNMENTS.values()} if modules is None else dict(modules)

    def function(self, assignment: str, function: str) -> Callable:
        if assignment not in self.modules:
            raise KeyError(f"no reference module for assignment {assignment!r}")
        module = importlib.import_module(self.modules[assignment])
        if not hasattr(module, function):
            raise AttributeError(f"{self.modules[assignment]} has no function {function!r}")
        return getattr(module, function)

    def __call__(self, assignment: str, function: str, args: tuple, kwargs: dict) -> Any:
        with collector_paused():  # a first call imports a module: no collector passes over its new objects
            fn = self.function(assignment, function)
            return to_plain(fn(*resolve_markers(tuple(args)), **resolve_markers(dict(kwargs))))


_pauses = 0
_pauses_lock = threading.Lock()
_collecting = True  # whether the collector ran before the first of the current pauses
FREEZE_AFTER = 100_000  # objects a pause left alive beyond which they are frozen rather than scanned (an import)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (any thread's): a large import (torch and its compiler) otherwise pays
    for a full pass over every object alive, again and again as they grow. The collector runs again once the last
    pause ends, if it ran before the first; what piled up meanwhile is collected then, unless it is over
    ``FREEZE_AFTER`` objects: then everything alive is frozen (``gc.freeze``), as a worker freezes its preload. An
    import's modules, functions and classes live as long as the process, and scanning them cost about 0.2 s after
    torch's import, and as much at every later full pass; the few cycles left as garbage then stay (a few MB, once)."""
    global _pauses, _collecting
    with _pauses_lock:
        if _pauses == 0:
            _collecting = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _collecting:
                if gc.get_count()[0] > FREEZE_AFTER:  # new objects since the last pass, most from inside the pause
                    gc.freeze()
                gc.enable()


class MissingRecording(LookupError):
    """A reference answer that the recording does not hold."""


def _encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, list):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, dict):
        return {"__dict__": {k: _encode(v, arrays) for k, v in value.items()}}
    return value


def _decode(value: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if isinstance(value, dict) and "__array__" in value:
        return np.array(arrays[value["__array__"]])
    if isinstance(value, dict):
        return {k: _decode(v, arrays) for k, v in value["__dict__"].items()}
    return value


def write_answers(file: Path | IO[bytes], answers: Mapping[str, Any], *, compress: bool = True) -> None:
    """Plain-data answers by key as one ``.npz``: their arrays, and a JSON index of the rest that names them.
    Nothing in it needs pickle to load (``read_answers``)."""
    arrays: dict[str, np.ndarray] = {}
    index = {key: _encode(answers[key], arrays) for key in sorted(answers)}
    save = np.savez_compressed if compress else np.savez
    save(file, __index__=np.array(json.dumps(index, sort_keys=True)), **arrays)  # type: ignore[arg-type]


def read_answers(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """What ``write_answers`` wrote: the JSON index and the arrays it names (``answer_from`` decodes one entry);
    read with ``allow_pickle=False``. Raises (``OSError``, ``ValueError``, ``zipfile.BadZipFile``...) on a file
    that is not such."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "__index__"}
        index = json.loads(str(data["__index__"]))
    if not isinstance(index, dict):
        raise ValueError(f"{Path(path).name} holds no index of answers")
    return index, arrays


def answer_from(index: Mapping[str, Any], arrays: Mapping[str, np.ndarray], key: str) -> Any:
    """The answer under ``key`` in what ``read_answers`` read (arrays as fresh copies)."""
    return _decode(index[key], arrays)


class RecordingReferences:
    """Wraps live references and remembers every answer, to ``save`` for a release."""

    def __init__(self, inner: Callable[[str, str, tuple, dict], Any] | None = None) -> None:
        self.inner = inner if inner is not None else LiveReferences()
        self.answers: dict[str, Any] = {}

    def __call__(self, assignment: str, function: str, args: tuple, kwargs: dict) -> Any:
        answer = self.inner(assignment, function, args, kwargs)
        self.answers[f"{assignment}.{function}.{args_key(args, kwargs)}"] = answer
        return answer

    def save(self, path: Path) -> None:
        """Write the answers as one ``.npz`` (see ``write_answers``)."""
        write_answers(path, self.answers)


class RecordedReferences:
    """Replays answers saved by ``RecordingReferences`` (a student release's public checks)."""

    def __init__(self, path: Path) -> None:
        self.index, self.arrays = read_answers(path)
        self.path = Path(path)

    def __call__(self, assignment: str, function: str, args: tuple, kwargs: dict) -> Any:
        key = f"{assignment}.{function}.{args_key(args, kwargs)}"
        if key not in self.index:
            raise MissingRecording(
                f"{self.path.name} holds no reference answer for {assignment}.{function} with these inputs; "
                "record the public checks again"
            )
        return answer_from(self.index, self.arrays, key)
