"""Check suites: ``public/<hw>.py`` ships to students, ``hidden/<hw>.py`` never leaves the instructor repo.

Each suite module defines ``CHECKS: list[Check]``.
"""

from __future__ import annotations

import importlib

from grader.checks.base import Check


def hidden_available() -> bool:
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
        try:
            module = importlib.import_module(f"grader.suites.{visibility}.{assignment}")
        except ModuleNotFoundError as exc:
            if exc.name != f"grader.suites.{visibility}.{assignment}":
                raise
            continue
        checks.extend(module.CHECKS)
    return checks
