"""The tables as files: results.csv and results.parquet (the long table), gradebook.csv, checks.csv,
similarity.csv.

Every CSV the reports write goes through ``write_csv``: text cells on one line, and a text cell that a
spreadsheet would run as a formula (a student folder named ``=HYPERLINK(…)``) starts with ``'``. Parquet
keeps student ids as they are, control characters shown as escapes, for pandas users to join on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from grader.reports.safe_text import csv_cell, one_line
from grader.reports.tables import long_table

if TYPE_CHECKING:
    from grader.reports.build import ReportData, Writer
    from grader.reports.student_rows import StudentRows


def text_cells(frame: pd.DataFrame, rule: Callable[[object], object], skip: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of ``frame`` with ``rule`` applied to every cell of its text columns (those not in ``skip``);
    numeric columns are left alone, so a negative number stays a number."""
    frame = frame.copy()
    for column in frame.columns:
        if column in skip or not (pd.api.types.is_string_dtype(frame[column]) or frame[column].dtype == object):
            continue
        frame[column] = _each_value(frame[column], rule)
    return frame


def _each_value(column: pd.Series, rule: Callable[[object], object]) -> pd.Series:
    """``column.map(rule, na_action="ignore")`` in its own dtype, with ``rule`` called once per distinct value
    (a long table repeats its ids, statuses and messages thousands of times)."""
    codes, distinct = pd.factorize(column, use_na_sentinel=True)
    if len(distinct) == len(column):
        return column.map(rule, na_action="ignore").astype(column.dtype)
    mapped = np.empty(len(distinct) + 1, dtype=object)
    mapped[:-1] = [rule(value) for value in distinct]
    values = mapped[codes]
    missing = codes < 0
    if missing.any():  # left as they are
        values[missing] = column.to_numpy(dtype=object)[missing]
    return pd.Series(values, index=column.index, name=column.name).astype(column.dtype)


def write_csv(frame: pd.DataFrame, path: Path, numbers: Iterable[str] = ()) -> Path:
    """``frame`` as CSV safe to open in a spreadsheet; ``numbers`` names text columns that hold numbers the
    grader formatted itself (a formula guard would turn ``-1`` into text)."""
    text_cells(frame, csv_cell, skip=numbers).to_csv(path, index=False)
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    text_cells(frame, lambda v: one_line(v) if isinstance(v, str) else v).to_parquet(path, index=False)
    return path


def writers(out_dir: Path, data: ReportData, by_student: StudentRows | None = None) -> list[Writer]:
    """One writer per file, so that one failing leaves the others written. With ``by_student``, results.csv
    is rewritten only where a student's rows changed (``results_csv``)."""
    return [
        ("results.csv", partial(_results_csv, out_dir, data, by_student)),
        ("results.parquet", lambda: write_parquet(long_table(data.results), out_dir / "results.parquet")),
        ("gradebook.csv", partial(write_csv, data.gradebook, out_dir / "gradebook.csv")),
        ("checks.csv", partial(write_csv, data.checks, out_dir / "checks.csv")),
        ("similarity.csv", partial(write_csv, data.similarity, out_dir / "similarity.csv")),
    ]


def _results_csv(out_dir: Path, data: ReportData, by_student: StudentRows | None) -> Path:
    if by_student is None:
        return write_csv(long_table(data.results), out_dir / "results.csv")
    from grader.reports import results_csv

    return results_csv.write(out_dir, data.results, by_student)
