"""Submission times, from the instructor's side only: a CSV ``student,assignment,submitted_at``.

A late penalty changes a grade, so the time a submission was handed in never comes from a file the
student wrote (a ``submission.txt`` in their folder, or modification times, which a zip carries from the
student's machine). It comes from ``grader grade --submitted-at CSV``, or by default from
``SUBMISSIONS_DIR/submitted_at.csv``, which the instructor writes beside the student folders::

    student,assignment,submitted_at
    alice,*,2027-01-20T18:00:00+01:00
    bob,hw2,2027-01-31T20:30:00+01:00

``assignment`` is one of hw1, hw2, hw3, lab, or empty or ``*`` for all of that student's assignments (a
row naming the assignment wins). Times are ISO 8601 with a date and a time; without a zone they are UTC.
A submission without a row has an unknown time (None), which costs no late penalty.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from grader.course.assignments import ASSIGNMENTS
from grader.pipeline.safe_read import Refused, read_file

DEFAULT_NAME = "submitted_at.csv"
HEADER = ("student", "assignment", "submitted_at")
ALL = "*"
# A row is under 100 bytes: 10 MB is tens of thousands of students × assignments, and keeps a mistaken
# file (a gradebook export, a log) from being read whole.
MAX_BYTES = 10_000_000


class TimesError(ValueError):
    """The CSV cannot be used; the message names the file, the line and what to fix."""


@dataclass(frozen=True)
class SubmissionTimes:
    """When each student handed each assignment in (UTC ISO 8601), and the file that says so."""

    times: dict[tuple[str, str], str]  # (student, assignment or "*") -> time
    source: str = ""

    def get(self, student: str, assignment: str) -> str | None:
        """The time of ``student``'s ``assignment``: its own row, else the student's ``*`` row, else None."""
        return self.times.get((student, assignment)) or self.times.get((student, ALL))

    @property
    def students(self) -> set[str]:
        return {student for student, _ in self.times}


def load_times(path: Path) -> SubmissionTimes:
    """The CSV the instructor named (``--submitted-at``); links in its path are the instructor's own."""
    path = Path(path)
    if not path.exists():
        raise TimesError(f"--submitted-at {path}: no such file; give a CSV with columns {','.join(HEADER)}")
    real = path.resolve()
    try:
        data = read_file(real, root=real.parent, limit=MAX_BYTES, kind="submission times file", shown=str(path))
    except Refused as exc:
        raise TimesError(f"--submitted-at {exc.shown}: it {exc.problem}; give a regular CSV file") from None
    return parse_times(data, str(path))


def default_times(submissions_dir: Path) -> SubmissionTimes | None:
    """``SUBMISSIONS_DIR/submitted_at.csv`` when the instructor wrote one, else None.

    Read by the rule for a student's files (no link, a regular file, a size cap): it sits among folders
    whose contents came from students. A folder of that name is a student's, not this file.
    """
    path = Path(submissions_dir) / DEFAULT_NAME
    if not path.is_symlink() and (path.is_dir() or not path.exists()):
        return None
    try:
        data = read_file(path, root=Path(submissions_dir), limit=MAX_BYTES, kind="submission times file")
    except Refused as exc:
        raise TimesError(
            f"{path} {exc.problem}: the submission times must be a regular file that the instructor writes "
            f"there (not a link), at most {MAX_BYTES // 1_000_000} MB"
        ) from None
    return parse_times(data, str(path))


def parse_times(data: bytes, source: str) -> SubmissionTimes:
    """Validate the CSV ``data`` read from ``source``; every problem names its line."""
    try:
        text = data.decode("utf-8-sig")  # spreadsheets write a byte order mark
    except UnicodeDecodeError:
        raise TimesError(f"{source}: not a UTF-8 text file; save it as CSV (UTF-8)") from None
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    if header is None or tuple(cell.strip().lower() for cell in header) != HEADER:
        found = ",".join(header) if header else "an empty file"
        raise TimesError(f"{source} line 1: the header must be {','.join(HEADER)}, found {found!r}")
    times: dict[tuple[str, str], str] = {}
    lines: dict[tuple[str, str], int] = {}
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            raise TimesError(f"{source} line {line}: {len(row)} columns, expected 3 ({','.join(HEADER)})")
        student, assignment, when = (cell.strip() for cell in row)
        key = (student, _assignment(assignment, source, line))
        if not student:
            raise TimesError(f"{source} line {line}: no student id in the first column")
        if key in times:
            raise TimesError(
                f"{source} line {line}: a second time for {student}, {assignment or ALL} (the first is on "
                f"line {lines[key]}); keep one"
            )
        times[key], lines[key] = parse_time(when, f"{source} line {line}"), line
    return SubmissionTimes(times, source)


def parse_time(text: str, where: str) -> str:
    """``text`` (ISO 8601 date and time; no zone means UTC) as UTC ISO 8601 with seconds."""
    try:
        # Python 3.10 reads neither "Z" nor a lone date as we mean it: one is rewritten, the other refused.
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or not any(sep in text for sep in "T t"):
        raise TimesError(
            f"{where}: {text!r} is not a date and time; write ISO 8601, e.g. 2027-01-30T09:12:00+01:00 "
            "(no zone means UTC)"
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _assignment(text: str, source: str, line: int) -> str:
    if text in ("", ALL):
        return ALL
    if text not in ASSIGNMENTS:
        raise TimesError(
            f"{source} line {line}: unknown assignment {text!r}; use one of {', '.join(ASSIGNMENTS)}, "
            f"or {ALL} (or nothing) for all of them"
        )
    return text
