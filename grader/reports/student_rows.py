"""Each student's rows of the long table, and a digest of them: what the per-student parts of the reports
(feedback files, blocks of results.csv) are kept between builds by."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Two independent 64-bit hashes per row: a row that changed is told apart with certainty for all purposes.
HASH_KEYS = ("0123456789123456", "6543210987654321")


@dataclass(frozen=True)
class StudentRows:
    rows: dict[str, np.ndarray]  # student -> positions of their rows, in table order
    digests: dict[str, str]  # student -> digest of their rows (every column, in table order)


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """Two independent 64-bit hashes of each row's values (n × 2), the column names and dtypes aside."""
    if frame.empty:
        return np.zeros((len(frame), 2), dtype=np.uint64)
    return np.stack([pd.util.hash_pandas_object(frame, index=False, hash_key=key).to_numpy() for key in HASH_KEYS],
                    axis=1)  # fmt: skip


def student_rows(results: pd.DataFrame) -> StudentRows:
    """``results``' rows by student, with a digest of each student's rows."""
    codes, students = pd.factorize(results["student"])
    counts = np.bincount(codes[codes >= 0], minlength=len(students))
    order = np.argsort(codes, kind="stable")[np.count_nonzero(codes < 0) :]
    ends = np.cumsum(counts)
    hashed = row_hashes(results)
    layout = repr([list(results.columns), [str(t) for t in results.dtypes]]).encode()
    rows, digests = {}, {}
    for student, end, count in zip(students.tolist(), ends.tolist(), counts.tolist(), strict=True):
        mine = order[end - count : end]
        rows[str(student)] = mine
        digests[str(student)] = hashlib.sha256(layout + hashed[mine].tobytes()).hexdigest()
    return StudentRows(rows, digests)
