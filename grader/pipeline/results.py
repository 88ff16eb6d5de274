"""One graded row: the long table's schema (SPEC §5), shared by the engine, gradebook and reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass

STATUSES = ("pass", "fail", "error", "timeout")
RESULT_COLUMNS = (
    "student",
    "assignment",
    "check_id",
    "target",
    "points",
    "max_points",
    "status",
    "message",
    "seconds",
)


@dataclass(frozen=True)
class CheckResult:
    student: str
    assignment: str
    check_id: str
    target: str
    points: float
    max_points: float
    status: str  # one of STATUSES
    message: str
    seconds: float
    mistake: str = ""  # id of a recognised known mistake ("transposed_dW"), for checks.csv; "" if none
    visibility: str = "public"
    problem: str = ""  # what went wrong (grader.checks.vocabulary.PROBLEMS key), for grouping feedback
    output: str = ""  # the first lines the student's code printed in a failing public check (capped); else ""

    def row(self) -> dict:
        """The long-table row (RESULT_COLUMNS only)."""
        d = asdict(self)
        return {k: d[k] for k in RESULT_COLUMNS}
