"""Item analysis: how each check behaves over the students whose hand-in was graded.

Only graded submissions count (``grader.pipeline.gradebook_schema``): a student who did not hand an
assignment in, or whose file could not run, says nothing about any one check, and counting their zeros
would make every check of that assignment look hard.

The discrimination index of a check is the correlation, over an assignment's graded submissions, of the
check's score (fraction of its points) with the rest of the student's score on that assignment (the
assignment's points minus this check's): the corrected item-total correlation. Near 0 or negative, the
check measures something other than the rest of the homework (a broken or trivial item); undefined (NaN)
when everyone scores the same on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grader.pipeline.gradebook_schema import GRADED


def graded_only(results: pd.DataFrame, submissions: pd.DataFrame) -> pd.DataFrame:
    """The rows of graded submissions (rows without a submission record count as graded)."""
    if results.empty:
        return results
    states = submissions.set_index(["student", "assignment"])["state"]
    keys = pd.MultiIndex.from_frame(results[["student", "assignment"]])
    state = states.reindex(keys).fillna(GRADED).to_numpy()
    return results[state == GRADED].reset_index(drop=True)


def discrimination(results: pd.DataFrame) -> pd.Series:
    """Corrected item-total correlation per (assignment, check_id), from graded rows only: per assignment, the
    students × checks matrix of points (0 where a student has no row), each column over its check's maximum
    against the row's total minus that column; rounded to 3 decimals."""
    keys: list[tuple[str, str]] = []
    values: list[np.ndarray] = []
    for assignment, rows in results.groupby("assignment", sort=True):
        student, _ = pd.factorize(rows["student"])
        check, checks = pd.factorize(rows["check_id"], sort=True)
        points = np.zeros((student.max() + 1, len(checks)))
        np.add.at(points, (student, check), rows["points"].to_numpy(dtype=np.float64))
        maxima = np.full(len(checks), -np.inf)
        np.maximum.at(maxima, check, rows["max_points"].to_numpy(dtype=np.float64))
        with np.errstate(divide="ignore", invalid="ignore"):
            items = np.where(maxima != 0, points / np.where(maxima != 0, maxima, 1.0), 0.0)
        rest = points.sum(axis=1, keepdims=True) - points
        keys += [(str(assignment), str(c)) for c in checks]
        values.append(_correlations(items, rest))
    index = pd.MultiIndex.from_tuples(keys, names=["assignment", "check_id"]) if keys else None
    return pd.Series(np.concatenate(values) if values else [], index=index, dtype="float64")


def _correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r of each column of ``x`` with the same column of ``y`` (students × checks), rounded to 3
    decimals; NaN where either side is constant (or for fewer than 3 students)."""
    if len(x) < 3:
        return np.full(x.shape[1], np.nan)
    dx, dy = x - x.mean(axis=0), y - y.mean(axis=0)
    constant = (np.ptp(x, axis=0) == 0) | (np.ptp(y, axis=0) == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (dx * dy).sum(axis=0) / np.sqrt((dx * dx).sum(axis=0) * (dy * dy).sum(axis=0))
    return np.where(constant, np.nan, np.round(np.clip(r, -1.0, 1.0), 3))
