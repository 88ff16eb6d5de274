"""The course's assignments: where each lives, which file a student hands in, its reference, and which
functions it grades.

An assignment's graded functions are its rules' targets (``grader/course/<key>/rules``), in their order:
the student-facing API of SPEC §2, helpers before the functions that call them. Stubs, references and check
suites are all held to them by ``grader validate`` and the parity tests.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class Assignment:
    key: str  # "hw1", "hw2", "hw3", "lab"
    folder: str  # folder under assignments/
    filename: str  # the file a student hands in
    reference: str  # the module that implements the graded functions, and the checks' trusted answers by default
    solution: str  # the solution laid out as a student's hand-in, relative to the repository
    cost: int  # grading order of a batch: heaviest (0) first, so slow sessions make no tail
    uses_torch: bool = False  # graded in a torch-preloaded worker
    answers: str = ""  # the module the checks' trusted answers come from, when not ``reference``

    @property
    def answers_module(self) -> str:
        """The module whose functions ``ctx.reference`` calls (the judges import it)."""
        return self.answers or self.reference

    @property
    def targets(self) -> tuple[str, ...]:
        """The graded functions: the targets of the assignment's rules, in their order."""
        return tuple(rule.target for rule in importlib.import_module(f"grader.course.{self.key}.rules").RULES)

    @property
    def module(self) -> str:
        """Import name of the student's module (``backprop`` for ``backprop.py``)."""
        return self.filename.split(".")[0]

    @property
    def is_notebook(self) -> bool:
        return self.filename.endswith(".ipynb")

    @property
    def stub_path(self) -> Path:
        return REPO_ROOT / "assignments" / self.folder / self.filename


ASSIGNMENTS: dict[str, Assignment] = {
    a.key: a
    for a in (
        Assignment("hw1", "hw1_gradient_descent", "gradient_descent.py", "reference.gradient_descent_np",
                   "reference/gradient_descent_np.py", cost=3),
        Assignment("hw2", "hw2_backprop", "backprop.py", "reference.backprop_np", "reference/backprop_np.py", cost=2),
        Assignment("hw3", "hw3_practice", "practice.py", "reference.practice_np", "reference/practice_np.py", cost=1),
        Assignment("lab", "lab_mlp", "mlp_lab.ipynb", "reference.mlp_lab", "reference/mlp_lab_solved.ipynb", cost=0,
                   uses_torch=True, answers="reference.mlp_lab_np"),  # the grader's training, without torch
    )
}

SUBMISSION_FILES: dict[str, str] = {a.filename: a.key for a in ASSIGNMENTS.values()}


def get_assignment(key: str) -> Assignment:
    """Look up an assignment by key, with an error that lists the valid keys."""
    try:
        return ASSIGNMENTS[key]
    except KeyError:
        raise KeyError(f"unknown assignment {key!r}; choose one of {', '.join(ASSIGNMENTS)}") from None
