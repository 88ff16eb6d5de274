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
    """Corrected item-total correlation per (assignment, check_id), from graded rows only."""
    values = {}
    for assignment, rows in results.groupby("assignment", sort=True):
        points = rows.groupby(["student", "check_id"])["points"].sum().unstack("check_id").fillna(0.0)
        maxima = rows.groupby("check_id")["max_points"].max()
        total = points.sum(axis=1).to_numpy()
        matrix = points.to_numpy()
        for n, check_id in enumerate(points.columns):
            column, maximum = matrix[:, n], maxima[check_id]
            item = column / maximum if maximum else column * 0.0
            values[(assignment, check_id)] = _correlation(item, total - column)
    index = pd.MultiIndex.from_tuples(list(values), names=["assignment", "check_id"]) if values else None
    return pd.Series(list(values.values()), index=index, dtype="float64")


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r, NaN when either side is constant (or fewer than 3 students)."""
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return round(float(np.corrcoef(x, y)[0, 1]), 3)
