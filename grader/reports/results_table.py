"""The gradebook's long table as the reports read it, re-read from SQLite only where it changed.

A class of 300 has some 70,000 rows: reading them all from SQLite into pandas took a third of a rebuild. So the
table last read is kept in ``OUT/.grader-cache/results-table.arrow`` (Arrow IPC, uncompressed: read in a few
milliseconds), and with it, in the file's own metadata, each submission's rows as they were then: its version in
the gradebook's ``result_versions`` (set anew by triggers whenever any writer inserts, updates or deletes one of its
rows, ``grader.pipeline.gradebook_schema``) and how many rows it had. A read takes the versions and the row count
from the gradebook in one read transaction, re-reads the submissions whose version differs (or that are new), drops
those that are gone, and splices them into the kept table in order. Anything that does not add up (no kept file or
a damaged one, another grader's code or other dtypes, a total that is not the gradebook's, a gradebook without
versions) means a whole read, as before, and so does a change to over half the submissions (a whole read is then
as cheap): the result is always the table a whole read gives.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from grader.pipeline.gradebook import EXTRA_DTYPES, RESULT_DTYPES
from grader.pipeline.suite_cache import store_file
from grader.reports.stamp import code_stamp

REPORT_RESULT_DTYPES = RESULT_DTYPES | {name: EXTRA_DTYPES[name] for name in ("mistake", "visibility")}
KEYS = ["student", "assignment", "check_id"]  # the table's order
FILENAME = "results-table.arrow"
METADATA_KEY = b"grader.results_table"
_COLUMNS = ", ".join(REPORT_RESULT_DTYPES)


@dataclass(frozen=True)
class Group:
    """One submission's rows: its version in the gradebook and how many rows it has."""

    student: str
    assignment: str
    version: int
    rows: int


def read_results(gradebook: Path, cache_dir: Path | None = None) -> pd.DataFrame:
    """The gradebook's results with the columns the reports read (``REPORT_RESULT_DTYPES``), sorted by student,
    assignment and check id. With ``cache_dir`` (``OUT/.grader-cache``), only what changed since the last read is
    read from the gradebook, and the table is kept there for the next read."""
    db = sqlite3.connect(f"{Path(gradebook).resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        db.execute("BEGIN")  # one snapshot: the versions, the count and the rows agree with each other
        if cache_dir is None or not _has_versions(db):
            return _whole(db)
        versions = db.execute("SELECT student, assignment, version FROM result_versions ORDER BY student, assignment"
                              ).fetchall()  # fmt: skip
        path = Path(cache_dir) / FILENAME
        kept = _load(path)
        spliced = _spliced(db, *kept, versions) if kept is not None else None
        frame, groups = spliced if spliced is not None else _read_whole(db, versions)
        if groups is not None and (kept is None or kept[1] != groups):
            _store(path, frame, groups)
        return frame
    finally:
        db.close()


def _has_versions(db: sqlite3.Connection) -> bool:
    """Whether the gradebook keeps versions (not one of before version 3 opened read-only)."""
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'result_versions'"
    return db.execute(query).fetchone() is not None


def _whole(db: sqlite3.Connection) -> pd.DataFrame:
    rows = db.execute(f"SELECT {_COLUMNS} FROM results").fetchall()
    return _frame(rows).sort_values(KEYS, ignore_index=True)


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(REPORT_RESULT_DTYPES)).astype(REPORT_RESULT_DTYPES)


def _read_whole(db: sqlite3.Connection, versions: list[tuple]) -> tuple[pd.DataFrame, list[Group] | None]:
    """The whole table, and its submissions (None if one has rows but no version: its changes could not be seen,
    so the table is not kept)."""
    frame = _whole(db)
    sizes = frame.groupby(["student", "assignment"], sort=False).size()
    version = {(s, a): v for s, a, v in versions}
    counts = {(str(s), str(a)): int(n) for (s, a), n in sizes.items()}
    if not counts.keys() <= version.keys():
        return frame, None
    return frame, [Group(s, a, v, counts.get((s, a), 0)) for s, a, v in versions]


def _spliced(db: sqlite3.Connection, table: pd.DataFrame, old: list[Group], versions: list[tuple]
             ) -> tuple[pd.DataFrame, list[Group]] | None:
    """The kept ``table`` (of submissions ``old``) with the rows of the submissions whose version changed read
    again, and the submissions now; None when that would not be cheaper than a whole read, or does not add up."""
    kept, at = {}, 0
    for g in old:
        kept[(g.student, g.assignment)] = (at, g)
        at += g.rows
    if at != len(table):
        return None
    same = [(entry := kept.get((s, a))) is not None and entry[1].version == v for s, a, v in versions]
    if same.count(False) > len(versions) // 2:
        return None
    pieces: list[pd.DataFrame] = []
    groups: list[Group] = []
    run: list[int] = []  # [start, end) of the kept table's rows being carried over unchanged
    for (student, assignment, version), unchanged in zip(versions, same, strict=True):
        if unchanged:
            start, group = kept[(student, assignment)]
            if run and run[1] == start:
                run[1] = start + group.rows
            else:
                _carry(pieces, table, run)
                run = [start, start + group.rows]
            groups.append(group)
            continue
        _carry(pieces, table, run)
        run = []
        rows = db.execute(f"SELECT {_COLUMNS} FROM results WHERE student = ? AND assignment = ? ORDER BY check_id",
                          (student, assignment)).fetchall()  # fmt: skip
        pieces.append(_frame(rows))
        groups.append(Group(student, assignment, version, len(rows)))
    _carry(pieces, table, run)
    (total,) = db.execute("SELECT count(*) FROM results").fetchone()
    if sum(g.rows for g in groups) != total:  # rows of a submission without a version
        return None
    frame = pd.concat(pieces, ignore_index=True) if pieces else _frame([])
    return frame, groups


def _carry(pieces: list[pd.DataFrame], table: pd.DataFrame, run: list[int]) -> None:
    if run:
        pieces.append(table.iloc[run[0] : run[1]])


def _load(path: Path) -> tuple[pd.DataFrame, list[Group]] | None:
    """The kept table and its submissions, if written by this grader's code with these columns; else None."""
    import pyarrow as pa

    try:
        with pa.memory_map(str(path)) as source:
            arrow = pa.ipc.open_file(source).read_all()
        record = json.loads((arrow.schema.metadata or {})[METADATA_KEY])
        if record["stamp"] != code_stamp():
            return None
        groups = [Group(str(s), str(a), int(v), int(n)) for s, a, v, n in record["groups"]]
        table = arrow.to_pandas()
    except (OSError, KeyError, ValueError, TypeError, pa.ArrowException):
        return None
    if list(table.columns) != list(REPORT_RESULT_DTYPES) or table.dtypes.tolist() != _dtypes():
        return None  # e.g. strings of another storage than a whole read gives
    return table, groups


@functools.cache
def _dtypes() -> list:
    """The dtypes of a whole read's columns, as objects (two string dtypes of different storage print alike)."""
    return _frame([]).dtypes.tolist()


def _store(path: Path, frame: pd.DataFrame, groups: list[Group]) -> None:
    """Keep ``frame`` and its submissions for the next read, atomically (a concurrent read sees the old file or the
    new one); a file that cannot be written costs the next read time, nothing else."""
    import pyarrow as pa

    record = {"stamp": code_stamp(), "groups": [[g.student, g.assignment, g.version, g.rows] for g in groups]}
    try:
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), METADATA_KEY: json.dumps(record)})

        def write(partial: Path) -> None:
            with pa.OSFile(str(partial), "wb") as sink, pa.ipc.new_file(sink, arrow.schema) as writer:
                writer.write_table(arrow)

        store_file(path, write)
    except pa.ArrowException:
        return


__all__ = ["REPORT_RESULT_DTYPES", "read_results"]
