"""Find imports of banned libraries in a student's sources, statically. Runs inside the sandbox.

Read with ``ast`` (nothing is executed), in a fresh child before any student code runs, so a hostile
source costs that child's memory and time only: ``import torch``, ``from jax import numpy``,
``__import__("torch")`` and ``importlib.import_module("tensorflow")``, anywhere in the file, and in the
student's own modules that the file imports.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Collection, Iterator, Mapping

_DYNAMIC_IMPORTERS = frozenset({"__import__", "import_module"})


def banned_imports(files: dict[str, bytes], main: str, banned: Collection[str], *, quick: bool = True,
                   compiled: Mapping[str, types.CodeType] | None = None) -> list[str]:
    """Findings like ``"backprop.py line 3: torch"``, following the student's local imports from ``main``.

    A file that does not parse yields nothing here: the import in the worker reports the syntax error.
    ``quick``: a file whose bytecode names none of the banned or local modules is not read further (the
    same findings, in a fifth of the time: see ``_cannot_import``); ``compiled`` holds files' bytecode
    already compiled (the child imports the hand-in from it).
    """
    local = {name[:-3]: name for name in files if name.endswith(".py")}
    findings: list[str] = []
    seen: set[str] = set()
    todo = [main]
    while todo:
        name = todo.pop(0)
        if name in seen or name not in files or not name.endswith(".py"):
            continue
        seen.add(name)
        source = files[name].decode("utf-8", errors="replace")
        code = (compiled or {}).get(name)
        if quick and _cannot_import(code if code is not None else source, name, set(banned) | set(local)):
            continue
        try:
            tree = ast.parse(source, filename=name)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for lineno, module in _imports(tree):
            top = module.split(".")[0]
            if top in banned:
                findings.append(f"{name} line {lineno}: {top}")
            elif top in local:
                todo.append(local[top])
    return findings


def _cannot_import(source: str | types.CodeType, name: str, modules: set[str]) -> bool:
    """Whether ``source`` surely imports none of ``modules``, read from its bytecode: every name an ``import``
    loads is among its code objects' names, and every string a dynamic import could be given among their
    constants, as the compiler sees them (escapes decoded, adjacent literals joined, identifiers normalised).
    Compiling takes a third of the time of building the syntax tree that finds where; False when in doubt."""
    code = source if isinstance(source, types.CodeType) else compiled_or_none(source, name)
    if code is None:
        return False
    for found in _code_objects(code):
        names = {n.partition(".")[0] for n in found.co_names}
        strings = {c.partition(".")[0] for c in found.co_consts if isinstance(c, str)}
        if modules & (names | strings):
            return False
    return True


def may_import(code: types.CodeType, module: str) -> bool:
    """Whether compiled source may import ``module`` (or a submodule), by the names and strings of its bytecode
    (``_cannot_import``): True when in doubt."""
    return not _cannot_import(code, "", {module})


def compiled_or_none(source: str | bytes, filename: str) -> types.CodeType | None:
    """``source`` compiled as a module would be (None if it does not compile)."""
    try:
        return compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and _callee_name(node.func) in _DYNAMIC_IMPORTERS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return found


def _callee_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""
