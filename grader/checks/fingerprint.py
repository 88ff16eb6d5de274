"""Fingerprints of check records: what decides a check's grade, as a hash.

A check is data, so its fingerprint is computed from the record: its fields and parameters in a canonical
form, plain data as data and each function (the kind's procedure, input makers, mistake models) by its
qualified name and the source of its module together with the grader and reference modules that module
imports, directly or not (read from the ``import`` statements, without running anything). Editing a
suite, a rule, a mistake model or the library code a check runs through changes the fingerprints of the
checks it concerns, and only theirs.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import functools
import hashlib
import importlib.util
import json
import struct
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

FOLLOWED = ("grader", "reference")  # packages whose imports count; numpy & co. are the environment's


class NotData(TypeError):
    """A parameter that is neither plain data nor a module-level function (a lambda, a closure, an object)."""


@functools.lru_cache(maxsize=4096)
def _module_file(name: str) -> Path | None:
    """The source file of a module (None for a built-in, a compiled one, or a name that is not a module)."""
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None)
    if path is None:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return None
        path = spec.origin if spec is not None and spec.has_location else None
    return Path(path).resolve() if path and str(path).endswith(".py") else None


@functools.lru_cache(maxsize=4096)
def _read(path: Path, stamp: tuple[int, int]) -> tuple[str, tuple[str, ...]]:
    """A source file's digest and the followed modules it imports (``stamp``: when the cache must forget it)."""
    data = path.read_bytes()
    imported: list[str] = []
    package = _package_of(path)
    for node in ast.walk(ast.parse(data)):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the file's own package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(p for p in [*parts, base] if p)
            imported += [base] + [f"{base}.{alias.name}" for alias in node.names]
    followed = tuple(sorted({m for m in imported if m.split(".")[0] in FOLLOWED}))
    return hashlib.sha256(data).hexdigest(), followed


def _package_of(path: Path) -> str:
    """The dotted package a file belongs to (for relative imports), from the ``__init__.py`` files around it."""
    parts: list[str] = []
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


_CLOSURES: dict[Path, tuple[str, tuple[tuple[Path, tuple[int, int] | None], ...]]] = {}


def _closure_digest(root: Path) -> str:
    """Digest of ``root`` and every followed module it imports, directly or not; remembered until one of those
    files changes (checked by their size and modification time)."""
    known = _CLOSURES.get(root)
    if known is not None and all(_stamp(path) == stamp for path, stamp in known[1]):
        return known[0]
    seen: dict[Path, str] = {}
    stamps = []
    todo = [root]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        stamp = _stamp(path)
        stamps.append((path, stamp))
        if stamp is None:
            seen[path] = ""
            continue
        digest, imported = _read(path, stamp)
        seen[path] = digest
        todo += filter(None, map(_module_file, imported))
    result = hashlib.sha256(json.dumps(sorted(seen.values())).encode()).hexdigest()
    _CLOSURES[root] = (result, tuple(stamps))
    return result


def code_digest(paths: Iterable[Path]) -> str:
    """Hash of these source files and of every grader or reference module they import, directly or not."""
    digests = sorted(_closure_digest(p if p.is_absolute() else p.resolve()) for p in map(Path, paths))
    return hashlib.sha256(json.dumps(digests).encode()).hexdigest()


def module_digest(names: Iterable[str]) -> str:
    """``code_digest`` of the named modules (a module that cannot be found counts as absent)."""
    return code_digest(filter(None, map(_module_file, names)))


def function_id(fn: Callable) -> list[str]:
    """A module-level function as data: module, qualified name, and the digest of the code it runs."""
    qualname = getattr(fn, "__qualname__", "")
    if not qualname or "<" in qualname or not getattr(fn, "__module__", None):
        raise NotData(f"{fn!r} is not a module-level function (a lambda or a closure cannot be a check parameter)")
    source = _module_file(fn.__module__) or Path(fn.__code__.co_filename)
    return ["function", fn.__module__, qualname, code_digest([source])]


def canonical(value: Any) -> Any:
    """``value`` as JSON-able data that equal parameters share on every machine (floats by their bytes)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        return ["enum", type(value).__qualname__, value.name]
    if isinstance(value, (int, np.integer)):
        return ["int", int(value)]
    if isinstance(value, (float, np.floating)):
        return ["float", struct.pack("<d", float(value)).hex()]
    if isinstance(value, np.ndarray):
        a = np.ascontiguousarray(value)
        return ["array", a.dtype.str, list(a.shape), hashlib.sha256(a.data).hexdigest()]  # hashed where it lies
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [canonical(v) for v in value]]
    if isinstance(value, dict):
        return ["dict", [[canonical(k), canonical(v)] for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))]]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [[f.name, canonical(getattr(value, f.name))] for f in dataclasses.fields(value) if f.compare]
        return ["record", type(value).__module__, type(value).__qualname__, fields]
    if isinstance(value, functools.partial):
        return ["partial", canonical(value.func), canonical(list(value.args)), canonical(dict(value.keywords))]
    if callable(value) and hasattr(value, "__code__"):
        return function_id(value)
    if callable(value) and getattr(value, "__module__", None) and getattr(value, "__name__", None) \
            and not isinstance(value, type):  # a built-in or numpy function: the environment's, by name
        return ["function", value.__module__, value.__name__, "environment"]
    raise NotData(f"a {type(value).__name__} cannot be a check parameter: use plain data, records of plain data "
                  "and module-level functions")


def digest(value: Any) -> str:
    """Hash of ``canonical(value)``."""
    return hashlib.sha256(json.dumps(canonical(value), sort_keys=True).encode()).hexdigest()
