"""What crosses between the coordinator and a Dask worker: plain data, made by the grader.

To a worker: the ``GradingPlan`` once (inside the plugin), then each submission as a dict of strings with
its files as bytes. Back: one reply per submission, a dict of the worker's address, grader version, suite
fingerprint, timings and the rows as dicts of strings and numbers. No check, closure or reference travels:
a worker loads the suites from its own installation and proves by fingerprint that they are the
coordinator's; the coordinator checks every reply field by field before a row reaches the gradebook.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import grader
from grader.pipeline.config import CourseConfig
from grader.pipeline.discover import Submission
from grader.pipeline.results import CheckResult

# Weakest first: a worker must offer at least the level the instructor allows.
ISOLATION_LEVELS = ("none", "unshare", "bwrap")
_ROW_FIELDS = {f.name: f.type for f in dataclasses.fields(CheckResult)}
_REPLY_FIELDS = {"worker", "grader_version", "suite_hash", "rows", "seconds", "student_seconds", "isolation_seconds"}


class BadReply(ValueError):
    """A worker's reply that must not be recorded; the message says which worker and why."""


@dataclass(frozen=True)
class GradingPlan:
    """How every worker grades: the same settings ``grader grade`` uses on one machine, and the suite
    fingerprints (``suite_hash`` by assignment) a worker's own suites must match."""

    config: CourseConfig = field(repr=False)  # carries the course secret: never in a repr, a log or a message
    only: tuple[str, ...]
    include_hidden: bool
    fresh_public: bool
    hashes: dict[str, str]
    allow_isolation: str = "bwrap"
    version: str = grader.__version__

    @property
    def token(self) -> str:
        """Short id of everything a worker must agree with (no secret: ``suite_hash`` holds only its hash)."""
        material = [self.version, sorted(self.hashes.items()), self.include_hidden, self.fresh_public,
                    self.allow_isolation]
        return hashlib.sha256(json.dumps(material).encode()).hexdigest()[:12]

    def budget(self, assignment: str) -> float:
        """Seconds for one whole submission, as on one machine (course.toml ``submission_timeout``)."""
        from grader.pipeline.engine import DEFAULT_SUBMISSION_TIMEOUT  # the engine only where one grades

        return self.config.assignment(assignment).submission_timeout or DEFAULT_SUBMISSION_TIMEOUT


def submission_to_wire(submission: Submission) -> dict:
    return dataclasses.asdict(submission)


def submission_from_wire(data: dict) -> Submission:
    return Submission(**data)


def reply(worker: str, suite_hash: str, results: list[CheckResult], seconds: float, student_seconds: float,
          isolation_seconds: float = 0.0) -> dict:
    return {
        "worker": worker,
        "grader_version": grader.__version__,
        "suite_hash": suite_hash,
        "rows": [dataclasses.asdict(r) for r in results],
        "seconds": float(seconds),
        "student_seconds": float(student_seconds),
        "isolation_seconds": float(isolation_seconds),
    }


def rows_from_reply(data: object, submission: Submission, plan: GradingPlan) -> list[CheckResult]:
    """The rows of one reply, after checking that they come from a worker graded like this coordinator and
    belong to ``submission``; raises ``BadReply`` otherwise."""
    if not isinstance(data, dict) or set(data) != _REPLY_FIELDS:
        raise BadReply(f"a reply for {submission.student}/{submission.assignment} is not in the expected form")
    worker = str(data["worker"])
    if data["grader_version"] != plan.version:
        raise BadReply(f"worker {worker} runs grader {data['grader_version']}, this machine {plan.version}")
    expected = plan.hashes.get(submission.assignment)
    if data["suite_hash"] != expected:
        raise BadReply(
            f"worker {worker} graded {submission.assignment} with suite fingerprint {data['suite_hash']}, "
            f"this machine's is {expected}"
        )
    if not isinstance(data["rows"], list):
        raise BadReply(f"worker {worker} sent rows that are not a list")
    rows = [_row(item, worker) for item in data["rows"]]
    for row in rows:
        if (row.student, row.assignment) != (submission.student, submission.assignment):
            raise BadReply(f"worker {worker} sent a row for another submission than the one it was given")
    return rows


def _row(item: object, worker: str) -> CheckResult:
    if not isinstance(item, dict) or set(item) != set(_ROW_FIELDS):
        raise BadReply(f"worker {worker} sent a row without exactly the fields of a result row")
    values: dict[str, Any] = {}
    for name, kind in _ROW_FIELDS.items():
        value = item[name]
        if kind == "str" and isinstance(value, str):
            values[name] = value
        elif kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
            values[name] = float(value)
        else:
            raise BadReply(f"worker {worker} sent a row whose {name} is not a {kind}")
    return CheckResult(**values)
