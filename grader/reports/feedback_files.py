"""feedback/<student>.md for a whole class, rewriting only what changed.

Each student's file is drawn from their gradebook row, their rows of the long table and the maximum points
per assignment (``markdown.feedback``). A digest of exactly those (and of the grader's code) is kept per
student in ``OUT/.grader-cache/feedback.json`` with a digest of the file written: a student whose digest is
unchanged, and whose file still holds what was written, costs no text; a file whose text comes out the same
is not written again.
"""

from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from grader.pipeline.suite_cache import CACHE_DIR, load_json_dict, store_json
from grader.reports import markdown
from grader.reports.markdown import feedback_path
from grader.reports.stamp import code_stamp
from grader.reports.student_rows import StudentRows, row_hashes, student_rows

if TYPE_CHECKING:
    from grader.reports.build import ReportData, Writer

FILENAME = "feedback.json"


class FeedbackFiles:
    """The writers of every student's feedback file, and the record of what they wrote (``remember``)."""

    def __init__(self, out_dir: Path, data: ReportData, by_student: StudentRows | None = None) -> None:
        self._out, self._data = Path(out_dir), data
        self._record_path = self._out / CACHE_DIR / FILENAME
        self._kept = load_json_dict(self._record_path)
        self._record: dict[str, list[str]] = {}
        by_student = by_student or student_rows(data.results)
        self._rows = by_student.rows
        self._maxima = {str(k): float(v) for k, v in data.maxima.items()}
        grades = data.gradebook
        shared = f"{code_stamp()}\0{sorted(self._maxima.items())!r}"
        columns = f"{list(grades.columns)!r}"
        grade_hashes = row_hashes(grades)
        self._digests = {}
        for n, student in enumerate(grades["student"].astype(str).tolist()):
            found = hashlib.sha256(f"{shared}\0{student}\0{columns}".encode())
            found.update(grade_hashes[n : n + 1].tobytes())
            found.update(by_student.digests.get(student, "").encode())
            self._digests[student] = found.hexdigest()

    def writers(self) -> list[Writer]:
        """One writer per student, so that one student's file failing leaves the others written."""
        return [
            (f"feedback/{feedback_path(self._out, g['student']).name}", partial(self._write, g))
            for g in self._data.gradebook.to_dict("records")
        ]

    def remember(self) -> None:
        """Keep what each file written holds, for the next build."""
        if self._record != self._kept:
            store_json(self._record_path, self._record)  # if not kept, every file is made again: never different

    def _write(self, grades: dict) -> Path:
        student = grades["student"]
        path = feedback_path(self._out, student)
        digest = self._digests[str(student)]
        kept = self._kept.get(str(student))
        old = _bytes(path)
        if kept == [digest, _sha(old)] and old is not None:
            self._record[str(student)] = kept
            return path
        rows = list(self._data.results.iloc[self._rows.get(str(student), [])].itertuples(index=False))
        text = markdown.feedback(student, grades, rows, self._maxima).encode("utf-8")
        if text != old:
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(text)
        self._record[str(student)] = [digest, _sha(text)]
        return path


def _bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _sha(data: bytes | None) -> str:
    return "" if data is None else hashlib.sha256(data).hexdigest()

