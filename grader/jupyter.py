"""``from grader import check; check()`` in a cell of the lab notebook: ``grader check lab`` without leaving it.

The check grades the notebook as SAVED on disk, exactly as ``grader check`` and the real grading read it
(in the sandbox, never in this kernel). Which file: ``path`` when given; else the notebook this kernel runs,
as Jupyter names it (``__session__`` or ``JPY_SESSION_NAME``, ``__vsc_ipynb_file__`` in VS Code) when it
is the assignment's file; else the assignment's file found from the kernel's working folder as
``grader check`` finds it.

A kernel can hold code the saved file does not: a cell edited and run but not saved. IPython keeps no
times of past executions, but it keeps their sources (``In``), so the check compares, for each graded
function, the definition this kernel last ran with the one in the saved file, and says which differ.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from grader.course.assignments import ASSIGNMENTS


def check(assignment: str = "lab", path: str | os.PathLike | None = None) -> None:
    """Run the public checks of ``assignment`` on its saved file and print the table (see the module)."""
    from grader.commands.check import check_found, locate
    from grader.errors import UserError
    from grader.pipeline.requirements import missing_requirement

    if assignment not in ASSIGNMENTS:
        print(f"Error: no assignment {assignment!r}; choose one of {', '.join(ASSIGNMENTS)}")
        return
    wanted = ASSIGNMENTS[assignment]
    notebook = Path(path) if path is not None else find_notebook(wanted.filename)
    if notebook is None or notebook.is_dir():
        folder = notebook or Path.cwd()
        notebook = locate(wanted, folder)
        if notebook is None:
            print(f"Error: no {wanted.filename} in {folder.resolve()}: save the notebook there, "
                  f"or name it: check({assignment!r}, path='path/to/{wanted.filename}')")
            return
    missing = missing_requirement(assignment)
    if missing:
        print(f"Error: {missing}")
        return
    saved = time.strftime("%H:%M:%S", time.localtime(notebook.stat().st_mtime))
    print(f"Checking {notebook} as saved at {saved} (the public checks; save first to check your latest edits)")
    stale = unsaved_definitions(notebook, wanted.targets)
    if stale:
        print(f"Note: the saved file's {', '.join(stale)} differ{'s' if len(stale) == 1 else ''} from what this "
              "kernel last ran; the check grades the saved file: save the notebook (Ctrl-S / Cmd-S) and run "
              "check() again if you meant the code you ran.")
    print()
    try:
        check_found({assignment: notebook}, notebook.parent)
    except UserError as exc:
        print(f"Error: {exc}")


def find_notebook(filename: str) -> Path | None:
    """The notebook this kernel runs when Jupyter or VS Code says which and it is ``filename``; else its
    folder, where the assignment's file may be; None when nothing says."""
    shell = _shell()
    names = [os.environ.get("JPY_SESSION_NAME", "")]
    if shell is not None:
        names = [str(shell.user_ns.get(n, "")) for n in ("__session__", "__vsc_ipynb_file__")] + names
    for name in names:
        candidate = Path(name) if name else None
        if candidate is not None and candidate.suffix == ".ipynb" and candidate.is_file():
            return candidate if candidate.name == filename else candidate.parent
    return None


def unsaved_definitions(notebook: Path, targets: tuple[str, ...]) -> list[str]:
    """The ``targets`` whose latest definition run in this kernel differs from the saved notebook's."""
    shell = _shell()
    if shell is None:
        return []
    ran: dict[str, str] = {}
    for source in list(shell.user_ns.get("In", []))[:-1]:  # the last one is the cell calling check()
        ran.update(_definitions(shell, str(source), targets))
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    saved: dict[str, str] = {}
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            saved.update(_definitions(shell, "".join(source) if isinstance(source, list) else str(source), targets))
    return [name for name in targets if name in ran and ran[name] != saved.get(name)]


def _definitions(shell: Any, source: str, targets: tuple[str, ...]) -> dict[str, str]:
    """Each top-level ``def`` of ``targets`` in a cell, as its syntax tree without positions."""
    try:
        tree = ast.parse(shell.transform_cell(source))  # %magics and !commands become plain Python
    except (SyntaxError, ValueError):
        return {}
    return {node.name: ast.dump(node) for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in targets}


def _shell() -> Any:
    """The running IPython shell, or None outside IPython (never imports IPython itself)."""
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None
