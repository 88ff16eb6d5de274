"""What grading an assignment needs installed where the grader runs.

hw1–hw3 are numpy-only, and so is grading them: PyTorch is the ``lab`` extra (``pip install -e ".[lab]"``),
which only the lab needs (its worker runs the student's torch code, its checks train torch models).
"""

from __future__ import annotations

import importlib.util

from grader.course.assignments import ASSIGNMENTS

LAB_EXTRA = 'pip install -e ".[lab]"'


def torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


def missing_requirement(key: str) -> str | None:
    """Why assignment ``key`` cannot be graded here (it needs PyTorch, which is not installed), or None."""
    assignment = ASSIGNMENTS.get(key)
    if assignment is None or not assignment.uses_torch or torch_installed():
        return None
    return (f"{key} needs PyTorch, which is not installed here: install the lab extra "
            f"({LAB_EXTRA}; the CPU build is enough, see the README)")
