"""The numpy-only rule for hw1–hw3 (SPEC §3): no torch, jax or tensorflow.

Enforced where the student cannot get around it: the sandbox reads the sources statically before any of
their code runs (``grader.worker.scan``), a numpy-only worker has no torch to load, and an attempt to
import one at run time ends the child with ``BANNED_EXIT``, which the grader observes from outside.
"""

from __future__ import annotations

from grader.course.assignments import ASSIGNMENTS

BANNED = frozenset({"torch", "jax", "jaxlib", "tensorflow", "keras"})
RUN_TIME_IMPORT = "an import at run time: torch, jax or tensorflow"  # a finding the sandbox observed
FLAG_PREFIX = "flag: "  # a row whose ``mistake`` starts with this carries a flag for the instructor


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
