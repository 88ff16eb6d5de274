"""results.csv, rewritten block by block: the long table is sorted by student, so each student's rows are one
block of lines. With the file, a record of each block (the digest of the student's rows, where it starts and
ends) is kept in ``OUT/.grader-cache/results-csv.json``; a rebuild formats only the blocks of students whose
rows changed and copies the others from the file, when the file is still the one recorded (its SHA-256).
Each line is a row as ``flat.write_csv`` writes it (no cell holds a line break: ``csv_cell`` escapes them),
so the file is the same as written whole.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from grader.pipeline.suite_cache import CACHE_DIR, store_json
from grader.reports.flat import text_cells
from grader.reports.safe_text import csv_cell
from grader.reports.stamp import code_stamp
from grader.reports.student_rows import StudentRows
from grader.reports.tables import long_table

NAME = "results.csv"
RECORD = "results-csv.json"


def write(out_dir: Path, results: pd.DataFrame, by_student: StudentRows) -> Path:
    """Write ``out_dir/results.csv`` from ``results`` (the report data's long table)."""
    out_dir = Path(out_dir)
    path, record_path = out_dir / NAME, out_dir / CACHE_DIR / RECORD
    table = long_table(results)
    order = [str(s) for s in table["student"].unique().tolist()]  # blocks in file order
    if len(order) != len(by_student.digests) or set(order) != set(by_student.digests):
        raise ValueError("the long table's students are not the results' students")
    digests = {s: f"{code_stamp()} {by_student.digests[s]}" for s in order}
    kept, old = _reusable(path, record_path)
    changed = [s for s in order if s not in kept or kept[s][0] != digests[s]]
    formatted = table[table["student"].isin(changed)] if kept else table
    fresh = _lines(formatted)
    sizes = {s: len(by_student.rows[s]) for s in order}
    if len(fresh) != len(formatted) + 1 or sum(sizes[s] for s in changed) != len(formatted):
        raise ValueError("results.csv: a row did not come out as one line")  # never: csv_cell escapes line breaks
    header, body = fresh[0], iter(fresh[1:])
    blocks, record, at = [header], {}, len(header)
    is_changed = set(changed)
    for student in order:
        if student in is_changed:
            block = b"".join(next(body) for _ in range(sizes[student]))
        else:
            start, end = kept[student][1], kept[student][2]
            block = old[start:end]
        blocks.append(block)
        record[student] = [digests[student], at, at + len(block)]
        at += len(block)
    data = b"".join(blocks)
    if data != old:
        path.write_bytes(data)
    _remember(record_path, hashlib.sha256(data).hexdigest(), record)
    return path


def _lines(frame: pd.DataFrame) -> list[bytes]:
    """The header and each row of ``frame`` as ``flat.write_csv`` writes them, one line each."""
    text = text_cells(frame, csv_cell).to_csv(index=False).encode("utf-8")
    return [line + b"\n" for line in text.split(b"\n")[:-1]]


def _reusable(path: Path, record_path: Path) -> tuple[dict[str, list], bytes]:
    """The recorded blocks and the file, when results.csv is the file recorded; ({}, b"") otherwise."""
    try:
        stored = json.loads(record_path.read_text(encoding="utf-8"))
        data = path.read_bytes()
        if stored["sha256"] != hashlib.sha256(data).hexdigest():
            return {}, b""
        blocks = {str(s): list(block) for s, block in stored["blocks"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}, b""
    fits = all(len(b) == 3 and isinstance(b[0], str) and isinstance(b[1], int) and isinstance(b[2], int)
               and 0 <= b[1] <= b[2] <= len(data) for b in blocks.values())  # fmt: skip
    return (blocks, data) if fits else ({}, b"")


def _remember(record_path: Path, sha: str, blocks: dict[str, list]) -> None:
    store_json(record_path, {"sha256": sha, "blocks": blocks})  # if not kept: written whole next time
