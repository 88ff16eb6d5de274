"""Find imports of banned libraries in a student's sources, statically. Runs inside the sandbox.

Read with ``ast`` (nothing is executed), in a fresh child before any student code runs, so a hostile
source costs that child's memory and time only: ``import torch``, ``from jax import numpy``,
``__import__("torch")`` and ``importlib.import_module("tensorflow")``, anywhere in the file, and in the
student's own modules that the file imports.
"""

from __future__ import annotations

import ast
from collections.abc import Collection

_DYNAMIC_IMPORTERS = frozenset({"__import__", "import_module"})


def banned_imports(files: dict[str, bytes], main: str, banned: Collection[str]) -> list[str]:
    """Findings like ``"backprop.py line 3: torch"``, following the student's local imports from ``main``.

    A file that does not parse yields nothing here: the import in the worker reports the syntax error.
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
        try:
            tree = ast.parse(files[name].decode("utf-8", errors="replace"), filename=name)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for lineno, module in _imports(tree):
            top = module.split(".")[0]
            if top in banned:
                findings.append(f"{name} line {lineno}: {top}")
            elif top in local:
                todo.append(local[top])
    return findings


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
