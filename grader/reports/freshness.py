"""Whether the reports in an output folder are current: built from the gradebook as it is now.

``digest`` reads what the reports are built from, straight from SQLite (no pandas): every row of
``submissions`` and ``runs``, sums over ``results`` (whose rows the grader only ever replaces with their
submission's row), which text of each hand-in is kept (``sources``' hashes), the
course config without its secret, the report formats asked for, and a stamp of the grader's code and the
assignments' stubs (``grader.pipeline.suite_cache.code_stamp``). ``remember`` stores it in
``OUT/.grader-cache/reports.json`` with the files written and the closing summary, so a run that changed
nothing writes nothing, says "reports unchanged" and repeats the summary.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import grader
from grader.course.assignments import REPO_ROOT
from grader.pipeline.config import CourseConfig
from grader.pipeline.gradebook import FILENAME
from grader.pipeline.suite_cache import CACHE_DIR, GRADER_DIR, code_stamp, load_json_dict, store_json

_TABLES = (
    ("submissions", "*", "student, assignment"),
    ("runs", "*", "run_id"),
    ("sources", "student, assignment, content_hash", "student, assignment"),
)


def digest(out_dir: Path, config: CourseConfig, formats: Sequence[str] = ()) -> str:
    """A digest of everything the reports of ``out_dir`` are built from."""
    found = hashlib.sha256()
    found.update(json.dumps([grader.__version__, repr(replace(config, secret="")), sorted(formats),
                             code_stamp([GRADER_DIR, REPO_ROOT / "assignments"])]).encode())  # fmt: skip
    db = sqlite3.connect(f"file:{Path(out_dir) / FILENAME}?mode=ro", uri=True)
    try:
        for table, columns, order in _TABLES:
            names = [row[1] for row in db.execute(f"PRAGMA table_info({table})")] if columns == "*" else \
                columns.split(", ")
            # Each row as SQLite quotes it, joined in SQLite: tens of thousands of rows cost no Python loop.
            row = " || ',' || ".join(f"quote({name})" for name in names)
            (text,) = db.execute(
                f"SELECT group_concat({row}, char(10)) FROM (SELECT * FROM {table} ORDER BY {order})"
            ).fetchone()
            found.update(f"\0{table}\0{text or ''}".encode())
        # The grader replaces a submission's rows together with its submissions row (new graded_at, run_id,
        # rowids), so the rows themselves are summed rather than read: one scan, no sort.
        totals = db.execute(
            "SELECT count(*), max(rowid), total(points), total(max_points), total(length(message)), "
            "total(length(status)), total(length(mistake)) FROM results"
        ).fetchone()
        found.update(f"\0results\0{totals!r}".encode())
    finally:
        db.close()
    return found.hexdigest()


def unchanged(out_dir: Path, current: str) -> list[str] | None:
    """The stored summary when the reports were built from ``current`` and every file written then is still
    there; None when they must be rebuilt."""
    stored = load_json_dict(Path(out_dir) / CACHE_DIR / "reports.json")
    if stored.get("digest") != current or not isinstance(stored.get("summary"), list):
        return None
    if not all((Path(out_dir) / name).is_file() for name in stored.get("files", [None])):
        return None
    return [str(line) for line in stored["summary"]]


def remember(out_dir: Path, current: str, written: Sequence[Path], summary: Sequence[str]) -> None:
    """Record that the reports ``written`` (and ``summary``) were built from ``current``."""
    out_dir = Path(out_dir)
    files = sorted(str(p.relative_to(out_dir)) for p in written)
    path = out_dir / CACHE_DIR / "reports.json"
    store_json(path, {"digest": current, "files": files, "summary": list(summary)})  # without it: a rebuild


def forget(out_dir: Path) -> None:
    """The reports are no longer known to be current (one failed to be written)."""
    try:
        (Path(out_dir) / CACHE_DIR / "reports.json").unlink()
    except OSError:
        pass
