"""Check suites: ``public/<hw>.py`` ships to students, ``hidden/<hw>.py`` never leaves the instructor repo.

Each suite module defines ``CHECKS: list[Check]``. Where the hidden suites are kept out of the
installation (a student repository whose CI grades hidden checks from a private location), the environment
variable ``GRADER_HIDDEN_DIR`` names a folder of ``<hw>.py`` hidden suite files, which then take their place.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

from grader.checks.base import Check

HIDDEN_DIR_ENV = "GRADER_HIDDEN_DIR"


def hidden_dir() -> Path | None:
    """The folder of hidden suite files named by ``GRADER_HIDDEN_DIR``, or None when it is not set."""
    value = os.environ.get(HIDDEN_DIR_ENV, "")
    if not value:
        return None
    folder = Path(value)
    if not folder.is_dir():
        raise RuntimeError(f"{HIDDEN_DIR_ENV}={value}: no such folder of hidden suites")
    return folder


def _load_suite_file(path: Path, assignment: str) -> list[Check]:
    spec = importlib.util.spec_from_file_location(f"grader_hidden_dir_{assignment}", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"{path}: not a Python file the grader can load")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.CHECKS)


def hidden_available() -> bool:
    if hidden_dir() is not None:
        return True
    try:
        importlib.import_module("grader.suites.hidden")
    except ModuleNotFoundError:
        return False
    return True


def load_checks(assignment: str, include_hidden: bool) -> list[Check]:
    """The checks of one assignment, public first. Asking for hidden checks where they were left out
    (a student release) is an error rather than a silent public-only grade."""
    visibilities = ["public"] + (["hidden"] if include_hidden else [])
    checks: list[Check] = []
    for visibility in visibilities:
        if visibility == "hidden" and not hidden_available():
            raise RuntimeError("hidden checks are not part of this installation (a student release?)")
        folder = hidden_dir() if visibility == "hidden" else None
        if folder is not None:
            path = folder / f"{assignment}.py"
            checks.extend(_load_suite_file(path, assignment) if path.is_file() else [])
            continue
        try:
            module = importlib.import_module(f"grader.suites.{visibility}.{assignment}")
        except ModuleNotFoundError as exc:
            if exc.name != f"grader.suites.{visibility}.{assignment}":
                raise
            continue
        checks.extend(module.CHECKS)
    return checks
