"""What a hand-in's failed import means to a student: the error, where it happened, and where a course module
it imports must be when the import did not find it."""

from __future__ import annotations

import re

from grader.course.assignments import ASSIGNMENTS
from grader.protocol.outcomes import Crashed, Outcome, Raised, TimedOut


def describe_import_error(import_error: Outcome | str, importer: str = "") -> str:
    """What went wrong at import, in a student's terms."""
    if isinstance(import_error, Raised):
        text = f"{import_error.exc_type}: {import_error.message}{_where(import_error.traceback)}"
        return text + missing_module_hint(import_error, importer)
    if isinstance(import_error, TimedOut):
        return (
            f"importing it took over {round(import_error.seconds)} s; move long computations "
            "(training, plots) out of the top level or under `if __name__ == '__main__':`"
        )
    if isinstance(import_error, Crashed):
        return import_error.reason
    return str(import_error)


def missing_module_hint(raised: Raised, importer: str) -> str:
    """Where a course module the hand-in imports must be, when the import did not find it; else ""."""
    found = re.fullmatch(r"No module named '(\w+)'", raised.message)
    if raised.exc_type != "ModuleNotFoundError" or found is None:
        return ""
    wanted = next((a for a in ASSIGNMENTS.values() if a.module == found.group(1) and not a.is_notebook), None)
    if wanted is None:
        return ""
    return (f" — {wanted.filename} is your {wanted.key} file: hand it in beside {importer or 'this file'}, or keep "
            f"the course layout (assignments/{wanted.folder}/{wanted.filename}), where the grader finds it too")


def _where(traceback: str) -> str:
    """`` (backprop.py, line 3)`` from the innermost frame of a traceback, or ""."""
    frames = re.findall(r'File "(?:[^"]*/)?([^"/]+)", line (\d+)', traceback)
    return f" ({frames[-1][0]}, line {frames[-1][1]})" if frames else ""
