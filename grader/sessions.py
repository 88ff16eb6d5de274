"""What the engine grades with: sandbox sessions (one warm worker pool per kind, one session per hand-in)
and the trusted reference answers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager

from grader.assignments import ASSIGNMENTS
from grader.engine import OpenSession


def pool_kind(assignment: str) -> str:
    """``"torch"`` for assignments graded in a torch-preloaded worker, else ``"numpy"``."""
    return "torch" if ASSIGNMENTS[assignment].uses_torch else "numpy"


@contextmanager
def sandbox_sessions(kinds: Iterable[str], slots: int) -> Iterator[OpenSession]:
    """An ``open_session(assignment, files)`` backed by one ``WorkerPool`` of ``slots`` per kind needed."""
    from grader.sandbox import WorkerPool

    with ExitStack() as stack:
        pools = {kind: stack.enter_context(WorkerPool(kind=kind, slots=slots)) for kind in sorted(set(kinds))}

        def open_session(assignment: str, files: dict[str, bytes]):
            return pools[pool_kind(assignment)].session(assignment, files)

        yield open_session


def isolation_level() -> str:
    """How student code is isolated on this machine, as the sandbox reports it."""
    from grader.sandbox.isolation import isolation_level as level

    name, description = level()
    return f"{name} ({description})"


def default_references():
    """Live references where ``reference/`` is installed (the instructor's repo); else the answers recorded
    into a student release, which ships no reference code."""
    import importlib.util

    from grader.assignments import REPO_ROOT
    from grader.checks.references import LiveReferences, RecordedReferences

    if importlib.util.find_spec("reference") is not None:
        return LiveReferences()
    return RecordedReferences(REPO_ROOT / "grader" / "suites" / "public" / "answers.npz")
