"""The gradebook: one SQLite file per output folder, keyed by submission content and suite.

A submission is *current* when its content hash and the suite hash it was graded with are both unchanged,
so a re-run regrades only what changed. Each submission also records its state (graded, not submitted,
ungradable: ``grader.pipeline.gradebook_schema``) and the fingerprint of the secret it was graded with, and
the text of each graded ``.py`` hand-in is kept for the similarity report. Each student × assignment is
recorded in one transaction (old rows out, new rows in), so a batch killed at any moment keeps every
finished student exactly once and resumes. WAL mode and a busy timeout let two ``grader grade`` runs share one folder.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import grader
from grader.pipeline import fingerprints
from grader.pipeline.discover import Submission
from grader.pipeline.gradebook_schema import (
    RESULT_INSERT_COLUMNS,
    SUBMISSION_INSERT_COLUMNS,
    create_or_migrate,
    submission_state,
)
from grader.pipeline.results import RESULT_COLUMNS, CheckResult

if TYPE_CHECKING:  # pandas and the tokeniser only for the methods that use them: a run with nothing to do
    import pandas as pd  # reads the gradebook with sqlite alone

FILENAME = "gradebook.sqlite"
RESULT_DTYPES: dict[str, str] = {
    "student": "string",
    "assignment": "string",
    "check_id": "string",
    "target": "string",
    "points": "float64",
    "max_points": "float64",
    "status": "string",
    "message": "string",
    "seconds": "float64",
}
EXTRA_DTYPES: dict[str, str] = {
    "mistake": "string",
    "visibility": "string",
    "grader_version": "string",
    "suite_hash": "string",
    "run_id": "int64",
    "secret_fingerprint": "string",
}
SUBMISSION_DTYPES: dict[str, str] = {
    "student": "string",
    "assignment": "string",
    "content_hash": "string",
    "suite_hash": "string",
    "submitted_at": "string",  # ISO 8601 with timezone, "" when unknown
    "run_id": "int64",
    "graded_at": "string",
    "state": "string",  # graded, not submitted, ungradable
    "reason": "string",  # why ungradable or not submitted; "" when graded
    "secret_fingerprint": "string",  # grader.pipeline.fingerprints.secret_fingerprint; "" for none or unknown
}
SOURCE_DTYPES: dict[str, str] = {"student": "string", "assignment": "string", "text": "string", "filtered": "string"}

@dataclass(frozen=True)
class Recorded:
    """A recorded submission's content hash, suite hash, ``loaded`` JSON ("" before version 2) and secret
    fingerprint."""

    content_hash: str
    suite_hash: str
    loaded: str
    secret_fingerprint: str = ""


def loaded_json(submission: Submission) -> str:
    """What ``submission``'s content hash covers, as the gradebook keeps it."""
    return json.dumps({"files": submission.loaded, "all": submission.loads_all}, sort_keys=True)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _iso(moment: datetime | str | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        raise ValueError(f"submitted_at {moment} has no timezone; pass an aware datetime")
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


class Gradebook:
    """``out_dir/gradebook.sqlite``; created on first use."""

    def __init__(self, out_dir: Path, *, busy_timeout: float = 60.0) -> None:
        self.path = Path(out_dir) / FILENAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: every write below opens its own explicit transaction.
        self._db = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None)
        self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        self._db.execute("PRAGMA journal_mode = WAL")
        # WAL + NORMAL survives a killed process; only an OS crash may lose the last commits.
        self._db.execute("PRAGMA synchronous = NORMAL")
        with self._write() as db:
            create_or_migrate(db)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; BEGIN IMMEDIATE takes the lock up front so concurrent writers queue
        on the busy timeout instead of failing on lock upgrade."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def start_run(self, argv: Sequence[str]) -> int:
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO runs (started, argv, pid) VALUES (?, ?, ?)", (_now(), json.dumps(list(argv)), os.getpid())
            )
        if cursor.lastrowid is None:  # sqlite always sets it after an INSERT
            raise sqlite3.OperationalError("the new run got no id")
        return cursor.lastrowid

    def finish_run(self, run_id: int, graded: int, skipped: int) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE runs SET finished = ?, graded = ?, skipped = ? WHERE run_id = ?",
                (_now(), graded, skipped, run_id),
            )
            db.execute("DELETE FROM claims WHERE run_id = ?", (run_id,))

    def is_current(self, student: str, assignment: str, content_hash: str, suite_hash: str) -> bool:
        row = self._db.execute(
            "SELECT content_hash, suite_hash FROM submissions WHERE student = ? AND assignment = ?",
            (student, assignment),
        ).fetchone()
        return row == (content_hash, suite_hash)

    def recorded(self) -> dict[tuple[str, str], Recorded]:
        """What each recorded submission was graded from, by (student, assignment): one query for a whole run."""
        rows = self._db.execute(
            "SELECT student, assignment, content_hash, suite_hash, loaded, secret_fingerprint FROM submissions"
        )
        return {(s, a): Recorded(h, suite, loaded, secret) for s, a, h, suite, loaded, secret in rows}

    def claim(self, run_id: int, student: str, assignment: str, content_hash: str, suite_hash: str) -> bool:
        """Whether this run should grade the submission: it is not current, and no other run that is still
        going (unfinished, its process alive) has claimed it. A True claims it until ``record`` or
        ``finish_run``, so two ``grader grade`` runs on one folder split the work instead of repeating it."""
        with self._write() as db:
            row = db.execute(
                "SELECT content_hash, suite_hash FROM submissions WHERE student = ? AND assignment = ?",
                (student, assignment),
            ).fetchone()
            if row == (content_hash, suite_hash):
                return False
            holder = db.execute(
                "SELECT c.run_id, r.pid, r.finished FROM claims c LEFT JOIN runs r ON r.run_id = c.run_id "
                "WHERE c.student = ? AND c.assignment = ?",
                (student, assignment),
            ).fetchone()
            if holder and holder[0] != run_id and holder[2] is None and _alive(holder[1]):
                return False
            db.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?)", (student, assignment, run_id, _now()))
        return True

    def record(
        self,
        run_id: int,
        student: str,
        assignment: str,
        content_hash: str,
        suite_hash: str,
        submitted_at: datetime | str | None,
        results: list[CheckResult],
        *,
        secret_fingerprint: str = "",
        loaded: str = "",
    ) -> None:
        """Replace this student × assignment's rows by ``results``, atomically; the submission's state is read
        off the rows (``submission_state``). ``loaded``: what the content hash covers (``loaded_json``)."""
        for r in results:
            if (r.student, r.assignment) != (student, assignment):
                raise ValueError(f"row {r.check_id} is for {r.student}/{r.assignment}, not {student}/{assignment}")
        ids = [r.check_id for r in results]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{student}/{assignment}: duplicate check ids in one record")
        rows = [
            (*(getattr(r, c) for c in RESULT_COLUMNS), r.mistake, r.visibility, grader.__version__, suite_hash, run_id,
             secret_fingerprint)
            for r in results
        ]  # fmt: skip
        state, reason = submission_state(results)
        with self._write() as db:
            db.execute("DELETE FROM results WHERE student = ? AND assignment = ?", (student, assignment))
            db.executemany(_insert("results", RESULT_INSERT_COLUMNS), rows)
            db.execute("DELETE FROM claims WHERE student = ? AND assignment = ?", (student, assignment))
            db.execute(
                _insert("submissions", SUBMISSION_INSERT_COLUMNS, replace=True),
                (student, assignment, content_hash, suite_hash, _iso(submitted_at), run_id, _now(), state, reason,
                 secret_fingerprint, loaded),
            )  # fmt: skip

    def set_submitted_at(self, times: Iterable[tuple[str, str, datetime | str | None]]) -> int:
        """Update the recorded time of submissions already graded, from ``(student, assignment, submitted_at)``;
        returns how many changed. The time is not part of the content hash, and the late penalty is worked
        out from this table when the reports are built, so a corrected time needs no regrade."""
        rows = [(_iso(when), student, assignment, _iso(when)) for student, assignment, when in times]
        with self._write() as db:
            cursor = db.executemany(
                "UPDATE submissions SET submitted_at = ? WHERE student = ? AND assignment = ? AND submitted_at != ?",
                rows,
            )
        return max(0, cursor.rowcount)

    def forget(self, student: str, assignment: str) -> None:
        """Drop a submission that no longer exists on disk."""
        with self._write() as db:
            for table in ("results", "submissions", "sources"):
                db.execute(f"DELETE FROM {table} WHERE student = ? AND assignment = ?", (student, assignment))

    def invalidate(self, keys: Iterable[tuple[str, str]]) -> None:
        """Make the recorded ``(student, assignment)`` submissions stale, so the next run regrades them (their
        rows stay until then)."""
        with self._write() as db:
            db.executemany("UPDATE submissions SET suite_hash = '' WHERE student = ? AND assignment = ?", list(keys))

    def keep_sources(self, submissions: Iterable[Submission]) -> int:
        """Keep the text of each gradable ``.py`` hand-in as ``discover`` read it (``grader.pipeline.sources``),
        replacing an older text of the same student and assignment; returns how many were new. A hand-in
        that is no longer gradable loses its text."""
        from grader.pipeline.sources import sources_of

        kept = dict(
            ((s, a), h) for s, a, h in self._db.execute("SELECT student, assignment, content_hash FROM sources")
        )
        fresh, gone = [], []
        todo = [s for s in submissions if kept.get((s.student, s.assignment)) != s.content_hash]
        for submission, source in zip(todo, sources_of(todo), strict=True):
            if source is not None:
                fresh.append(source)
            elif (submission.student, submission.assignment) in kept:
                gone.append((submission.student, submission.assignment))
        with self._write() as db:
            db.executemany("DELETE FROM sources WHERE student = ? AND assignment = ?", gone)
            db.executemany(
                "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?)",
                [(s.student, s.assignment, s.content_hash, s.text, s.filtered, s.offsets) for s in fresh],
            )
        return len(fresh)

    def sources_frame(self) -> pd.DataFrame:
        """The kept text of every hand-in whose text matches what was graded: student, assignment, text,
        filtered (copydetect's token stream) and offsets (bytes; ``grader.pipeline.sources.offsets_array``)."""
        rows = self._db.execute(
            "SELECT s.student, s.assignment, s.text, s.filtered, s.offsets FROM sources s JOIN submissions g "
            "ON g.student = s.student AND g.assignment = s.assignment AND g.content_hash = s.content_hash "
            "ORDER BY s.student, s.assignment"
        ).fetchall()
        import pandas as pd

        frame = pd.DataFrame(rows, columns=[*SOURCE_DTYPES, "offsets"])
        return frame.astype(SOURCE_DTYPES)

    def results_frame(self, *, extra: bool = True) -> pd.DataFrame:
        """The long table, one row per student × check, sorted by (student, assignment, check_id). With
        ``extra`` also mistake, visibility, grader_version, suite_hash, run_id."""
        dtypes = RESULT_DTYPES | (EXTRA_DTYPES if extra else {})
        frame = self._frame(f"SELECT {', '.join(dtypes)} FROM results", dtypes)
        return frame.sort_values(["student", "assignment", "check_id"], ignore_index=True)

    def submissions_frame(self) -> pd.DataFrame:
        frame = self._frame(f"SELECT {', '.join(SUBMISSION_DTYPES)} FROM submissions", SUBMISSION_DTYPES)
        return frame.sort_values(["student", "assignment"], ignore_index=True)

    def runs_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.read_sql_query("SELECT * FROM runs ORDER BY run_id", self._db)

    def _frame(self, query: str, dtypes: dict[str, str]) -> pd.DataFrame:
        import pandas as pd

        rows = self._db.execute(query).fetchall()
        frame = pd.DataFrame(rows, columns=list(dtypes))
        return frame.astype(dtypes)


def _insert(table: str, columns: Sequence[str], replace: bool = False) -> str:
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    return f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _alive(pid: int | None) -> bool:
    """Whether a process of this machine is running (a gradebook in WAL mode lives on one machine)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# The fingerprints the gradebook records, importable from here as before.
suite_hash = fingerprints.suite_hash
secret_fingerprint = fingerprints.secret_fingerprint
