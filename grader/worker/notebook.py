"""A student's notebook as the source of an importable module. Parses only: nothing here executes.

It runs inside the sandbox, in a fresh child, before any student code (so a hostile notebook costs that
child's memory and time, never the grader's), with the standard library alone.

Cells tagged ``graded`` are taken whole. Without any tag, each code cell contributes only its top-level
imports, function and class definitions and simple constant assignments, each import and assignment
guarded by ``try``, so exploratory loops, plots and failing or endless cells cost nothing. IPython
syntax (``%magic``, ``%%cell magic``, ``!shell``, ``get_ipython()``) is dropped in both cases.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field

GRADED_TAG = "graded"
_BODY_CELL_MAGICS = {"time", "timeit", "capture"}  # cell magics whose body is plain Python
_IPYTHON_LINE = re.compile(r"^\s*([%!]|.*=\s*[%!]\w)|get_ipython\(\)|\?\s*$")
_SAFE_NODES = (ast.Constant, ast.Name, ast.Attribute, ast.Tuple, ast.List, ast.Dict, ast.Set, ast.UnaryOp,
               ast.BinOp, ast.Load, ast.unaryop, ast.operator, ast.keyword)


class NotebookError(ValueError):
    """The file is not a readable notebook; the message says what to fix."""


@dataclass
class NotebookSource:
    """Module source and, per line (index ``line - 1``), the (cell number, line in that cell) it came
    from; line 0 marks a line the extraction added."""

    source: str
    origin: list[tuple[int, int]] = field(default_factory=list)
    tagged: bool = False

    def cell(self, line: int) -> int | None:
        return self.origin[line - 1][0] if 0 < line <= len(self.origin) else None

    def where(self, line: int) -> str | None:
        """``"cell 4, line 2"`` for a line of the module source, or None."""
        if not 0 < line <= len(self.origin):
            return None
        cell, cell_line = self.origin[line - 1]
        return f"cell {cell}, line {cell_line}" if cell_line else f"cell {cell}"


def _code_cells(data: bytes | str) -> list[tuple[int, str, list[str]]]:
    """(cell number, source, tags) of each code cell; cell numbers count all cells from 1."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise NotebookError(f"the notebook is not valid JSON ({type(exc).__name__}); re-save it from Jupyter") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        version = nb.get("nbformat") if isinstance(nb, dict) else None
        detail = f" (nbformat {version})" if isinstance(version, int) else ""
        raise NotebookError(f"the file is not a Jupyter notebook in the current format{detail}; "
                            "re-save it from Jupyter")
    cells = []
    for number, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(str(part) for part in source) if isinstance(source, list) else str(source)
        metadata = cell.get("metadata")
        tags = metadata.get("tags", []) if isinstance(metadata, dict) else []
        cells.append((number, source, [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []))
    return cells


def strip_ipython(source: str) -> str:
    """The cell without IPython-only lines; a cell magic other than time/timeit/capture drops the cell.
    Removed lines become blank so line numbers still match the cell."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split(maxsplit=1)
        if not magic or magic[0] not in _BODY_CELL_MAGICS:
            return ""
        lines[0] = ""
    return "\n".join("" if _IPYTHON_LINE.search(line) else line for line in lines)


def _is_simple_value(node: ast.expr, modules: set[str]) -> bool:
    """Literals, names and attributes, or a call on an imported module with literal arguments
    (``torch.device("cpu")``)."""
    if isinstance(node, ast.Call):
        root = node.func
        while isinstance(root, ast.Attribute):
            root = root.value
        args = [*node.args, *(k.value for k in node.keywords)]
        return isinstance(root, ast.Name) and root.id in modules and all(_is_literal(a) for a in args)
    return all(isinstance(n, _SAFE_NODES) for n in ast.walk(node))


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _definitions(source: str, modules: set[str]) -> list[tuple[str, bool, int]]:
    """Top-level statements worth keeping from an untagged cell: (text, needs a guard, first line)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    lines = re.split(r"\r\n|\r|\n", source)  # the line breaks ast counts
    kept = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            kept.append(("\n".join(lines[first - 1 : node.end_lineno]), False, first))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules.update((a.asname or a.name).split(".")[0] for a in node.names)
            kept.append((ast.get_source_segment(source, node) or "", True, node.lineno))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if all(isinstance(t, ast.Name) for t in targets) and _is_simple_value(node.value, modules):
                kept.append((ast.get_source_segment(source, node) or "", True, node.lineno))
    return kept


def notebook_to_source(data: bytes | str) -> NotebookSource:
    """The module a notebook stands for (see the module docstring). Raises NotebookError."""
    cells = _code_cells(data)
    tagged = [c for c in cells if GRADED_TAG in c[2]]
    lines: list[str] = []
    origin: list[tuple[int, int]] = []

    def emit(text: str, cell: int, first: int) -> None:
        for i, line in enumerate(text.splitlines() or [""]):
            lines.append(line)
            origin.append((cell, first + i if first else 0))

    if tagged:
        for number, source, _ in tagged:
            emit(f"# cell {number}", number, 0)
            emit(strip_ipython(source), number, 1)
    else:
        modules: set[str] = set()
        for number, source, _ in cells:
            for text, guard, first in _definitions(strip_ipython(source), modules):
                if guard:
                    emit("try:", number, 0)
                    emit("\n".join("    " + line for line in text.splitlines()), number, first)
                    emit("except Exception:\n    pass", number, 0)
                else:
                    emit(text, number, first)
    return NotebookSource("\n".join(lines) + "\n", origin, bool(tagged))
