"""The gradebook's tables, each submission's state, and the migration of gradebooks written before them.

A submission (student × assignment) is in one of three states:

- ``not submitted``: no file was handed in (the rows say "not submitted");
- ``ungradable``: a hand-in that none of the checks could run on: a refused file, a syntax error or other
  failure at import, a banned library (the numpy-only rule), an error of the grader itself; ``reason`` says
  which, in the words of the submission's first public row;
- ``graded``: the checks ran (each may still pass, fail, crash or time out).

Both non-graded states score 0, as before; the reports tell them apart. Version 1 of the schema adds the
state, its reason and the secret fingerprint to each submission (and the fingerprint to each row) and keeps
the hand-ins' text; a gradebook of version 0 is migrated in place when it is opened: its states are read
off the messages the grader wrote (the same wording since the first release) and its secret fingerprint is
unknown (""), which the consistency check reports until the rows are regraded. Version 2 records with each
submission the files its content hash covers (``loaded``: JSON ``{"files": {name: digest}, "all": why}``,
see ``grader.pipeline.loads``), so a run can say which file changed; older rows have "" there. Version 3 keeps,
per submission, a version of its rows (``result_versions``: a random 64-bit number), set anew by triggers whenever
one of its rows is inserted, updated or deleted, by the grader or by any other writer; a migrated gradebook's
submissions get one each. The reports then re-read only the rows whose version changed
(``grader.reports.results_table``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from grader.pipeline.integrity import FLAG_PREFIX
from grader.pipeline.results import CheckResult

VERSION = 3
GRADED, NOT_SUBMITTED, UNGRADABLE = "graded", "not submitted", "ungradable"
STATES = (GRADED, NOT_SUBMITTED, UNGRADABLE)
# Verdict problems (grader.checks.vocabulary) that stop every check of a submission before it runs.
UNGRADABLE_PROBLEMS = frozenset({"ungradable", "import", "numpy_only", "internal"})

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL, finished TEXT,
    argv TEXT NOT NULL, graded INTEGER, skipped INTEGER, pid INTEGER);
CREATE TABLE IF NOT EXISTS submissions (
    student TEXT NOT NULL, assignment TEXT NOT NULL, content_hash TEXT NOT NULL, suite_hash TEXT NOT NULL,
    submitted_at TEXT NOT NULL, run_id INTEGER NOT NULL, graded_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'graded', reason TEXT NOT NULL DEFAULT '',
    secret_fingerprint TEXT NOT NULL DEFAULT '', loaded TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (student, assignment));
CREATE TABLE IF NOT EXISTS results (
    student TEXT NOT NULL, assignment TEXT NOT NULL, check_id TEXT NOT NULL, target TEXT NOT NULL,
    points REAL NOT NULL, max_points REAL NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL,
    seconds REAL NOT NULL, mistake TEXT NOT NULL, visibility TEXT NOT NULL, grader_version TEXT NOT NULL,
    suite_hash TEXT NOT NULL, run_id INTEGER NOT NULL, secret_fingerprint TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (student, assignment, check_id));
CREATE TABLE IF NOT EXISTS claims (
    student TEXT NOT NULL, assignment TEXT NOT NULL, run_id INTEGER NOT NULL, claimed_at TEXT NOT NULL,
    PRIMARY KEY (student, assignment));
CREATE TABLE IF NOT EXISTS sources (
    student TEXT NOT NULL, assignment TEXT NOT NULL, content_hash TEXT NOT NULL, text TEXT NOT NULL,
    filtered TEXT NOT NULL, offsets BLOB NOT NULL,
    PRIMARY KEY (student, assignment));
CREATE TABLE IF NOT EXISTS result_versions (
    student TEXT NOT NULL, assignment TEXT NOT NULL, version INTEGER NOT NULL,
    PRIMARY KEY (student, assignment));
"""
# One statement each (a trigger's body holds semicolons): any change to a row of ``results`` gives its submission,
# and for an update that moves it its old submission too, a new version.
_NEW_VERSION = "INSERT OR REPLACE INTO result_versions VALUES ({row}.student, {row}.assignment, random());"
TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS results_inserted AFTER INSERT ON results BEGIN "
    f"{_NEW_VERSION.format(row='NEW')} END",
    f"CREATE TRIGGER IF NOT EXISTS results_updated AFTER UPDATE ON results BEGIN "
    f"{_NEW_VERSION.format(row='OLD')} {_NEW_VERSION.format(row='NEW')} END",
    f"CREATE TRIGGER IF NOT EXISTS results_deleted AFTER DELETE ON results BEGIN "
    f"{_NEW_VERSION.format(row='OLD')} END",
)
RESULT_INSERT_COLUMNS = (
    "student", "assignment", "check_id", "target", "points", "max_points", "status", "message", "seconds",
    "mistake", "visibility", "grader_version", "suite_hash", "run_id", "secret_fingerprint",
)  # fmt: skip
SUBMISSION_INSERT_COLUMNS = (
    "student", "assignment", "content_hash", "suite_hash", "submitted_at", "run_id", "graded_at", "state", "reason",
    "secret_fingerprint", "loaded",
)  # fmt: skip
_ADDED = {  # the columns of versions 1 and 2, by table
    "submissions": (
        ("state", "TEXT NOT NULL DEFAULT 'graded'"), ("reason", "TEXT NOT NULL DEFAULT ''"),
        ("secret_fingerprint", "TEXT NOT NULL DEFAULT ''"), ("loaded", "TEXT NOT NULL DEFAULT ''"),
    ),
    "results": (("secret_fingerprint", "TEXT NOT NULL DEFAULT ''"),),
}  # fmt: skip


def submission_state(results: Sequence[CheckResult]) -> tuple[str, str]:
    """(state, reason) of one submission from its rows: not submitted or ungradable when every row says so."""
    if not results:
        return GRADED, ""
    problems = {r.problem for r in results}
    first = next((r for r in results if r.visibility == "public"), results[0])
    if problems == {"not_submitted"}:
        return NOT_SUBMITTED, first.message
    if problems <= UNGRADABLE_PROBLEMS and all(r.status == "error" for r in results):
        return UNGRADABLE, first.message
    return GRADED, ""


def create_or_migrate(db: sqlite3.Connection) -> None:
    """Create the tables, or bring an older gradebook to ``VERSION``; inside the caller's write transaction."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version >= VERSION:
        return
    existing = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    for trigger in TRIGGERS:
        db.execute(trigger)
    # rows written before version 3 (none in a new gradebook): a version for each of their submissions
    db.execute("INSERT OR IGNORE INTO result_versions SELECT DISTINCT student, assignment, random() FROM results")
    if "submissions" in existing:  # written before this version
        for table, columns in _ADDED.items():
            have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns:
                if name not in have:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        if version < 1:
            _infer_states(db)
    db.execute(f"PRAGMA user_version = {VERSION}")


def _infer_states(db: sqlite3.Connection) -> None:
    """A version-0 gradebook's states, from the wording of its rows (the engine's messages and flags)."""
    rows = db.execute(
        "SELECT student, assignment, status, message, mistake, visibility FROM results "
        "ORDER BY student, assignment, visibility DESC, check_id"  # "public" sorts after "hidden": DESC
    ).fetchall()
    grouped: dict[tuple[str, str], list[tuple]] = {}
    for student, assignment, *rest in rows:
        grouped.setdefault((student, assignment), []).append(tuple(rest))
    for (student, assignment), mine in grouped.items():
        state, reason = _legacy_state(mine)
        db.execute(
            "UPDATE submissions SET state = ?, reason = ? WHERE student = ? AND assignment = ?",
            (state, reason, student, assignment),
        )


def _legacy_state(rows: list[tuple]) -> tuple[str, str]:
    """(state, reason) from (status, message, mistake, visibility) rows, public rows first."""
    messages = [message for _, message, _, _ in rows]
    reason = messages[0]
    if all(m.startswith("not submitted") or m.endswith(": not submitted") for m in messages):
        return NOT_SUBMITTED, reason
    if any(status != "error" for status, *_ in rows):
        return GRADED, ""
    whole = ("failed at import", "could not run:", "internal grader error", "because of an internal grader error")
    if any(mistake.startswith(FLAG_PREFIX) for _, _, mistake, _ in rows) or all(
        any(w in m for w in whole) or m == reason for m in messages
    ):
        return UNGRADABLE, reason
    return GRADED, ""
