"""The numpy-only rule for hw1–hw3 (SPEC §3): find imports of torch, jax or tensorflow statically.

Read on the grader's side with ``ast`` (nothing is executed): ``import torch``, ``from jax import numpy``,
``__import__("torch")`` and ``importlib.import_module("tensorflow")``, anywhere in the file, and in the
student's own modules that the file imports.
"""

from __future__ import annotations

import ast

from grader.assignments import ASSIGNMENTS

BANNED = frozenset({"torch", "jax", "jaxlib", "tensorflow", "keras"})
_DYNAMIC_IMPORTERS = frozenset({"__import__", "import_module"})
FLAG_PREFIX = "flag: "  # a row whose ``mistake`` starts with this carries a flag for the instructor


def banned_imports(files: dict[str, bytes], main: str) -> list[str]:
    """Findings like ``"backprop.py line 3: torch"``, following the student's local imports from ``main``.

    A file that does not parse (or nests too deeply for the parser) yields nothing here: the import in the
    worker reports the error, and the worker's record of loaded modules still catches a banned one.
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
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # the last two: nested too deep to parse
            continue
        for lineno, module in _imports(tree):
            top = module.split(".")[0]
            if top in BANNED:
                findings.append(f"{name} line {lineno}: {top}")
            elif top in local:
                todo.append(local[top])
    return findings


def numpy_only_violation(assignment: str, findings: list[str]) -> tuple[str, str] | None:
    """(message, mistake) for a numpy-only homework with banned imports in ``findings``
    (``"<where>: <library>"``, as ``banned_imports`` gives them), else None.

    The mistake carries the instructor's flag: ``"flag: uses torch in hw2"``.
    """
    if not findings or ASSIGNMENTS[assignment].uses_torch:
        return None
    where, library = findings[0].rsplit(": ", 1)
    message = (
        f"{assignment} must be done in numpy only, but it uses {library} ({where}): "
        f"0 points for {assignment}, flagged for the instructor"
    )
    return message, f"{FLAG_PREFIX}uses {library} in {assignment}"


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
