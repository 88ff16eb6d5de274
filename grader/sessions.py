"""What the engine grades with: sandbox sessions (a pool of warm workers, one session per hand-in) and the
trusted reference answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from grader.engine import OpenSession


@contextmanager
def sandbox_sessions(slots: int) -> Iterator[OpenSession]:
    """An ``open_session(assignment, files)`` backed by one ``WorkerPool`` of ``slots`` sandboxes, whose warm
    workers (numpy, or numpy and torch for the lab) start on first use."""
    from grader.sandbox import WorkerPool

    with WorkerPool(slots=slots) as pool:
        yield pool.session


def isolation_level() -> str:
    """How student code is isolated on this machine, as the sandbox reports it."""
    from grader.sandbox import isolation_level as level

    name, description = level()
    return f"{name}: {description}"


def default_references():
    """Live references where ``reference/`` is installed (the instructor's repo); else the answers recorded
    into a student release, which ships no reference code."""
    import importlib.util

    from grader.assignments import REPO_ROOT
    from grader.checks.references import LiveReferences, RecordedReferences

    if importlib.util.find_spec("reference") is not None:
        return LiveReferences()
    return RecordedReferences(REPO_ROOT / "grader" / "suites" / "public" / "answers.npz")
