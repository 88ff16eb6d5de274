"""The report tables, built with pandas from the gradebook's long table and submissions.

gradebook table, one row per student (assignments in course order, only those graded for anyone):

    student,
    <a>, <a>_status, <a>_submitted_at, <a>_late_days, <a>_penalty, <a>_final   for each assignment a,
    total, max_total, percent, flags

``<a>`` is the raw points earned, ``<a>_status`` one of ``graded``, ``not submitted``, ``ungradable`` (a
hand-in none of the checks could run on: refused, failing at import, a banned library), ``<a>_penalty``
the fraction lost to lateness (course.toml [late]), ``<a>_final = <a> × (1 − <a>_penalty)``. ``total``
and ``max_total`` add up final and maximum points; ``percent`` is the weighted course percent
``100 · Σ_a w_a · final_a / max_a / Σ_a w_a`` with the weights of course.toml. A student who did not hand
an assignment in, or whose hand-in was ungradable, scores 0 on it.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from grader.course.assignments import ASSIGNMENTS
from grader.pipeline.config import CourseConfig
from grader.pipeline.gradebook_schema import NOT_SUBMITTED
from grader.pipeline.results import RESULT_COLUMNS
from grader.reports.flags import flag_rows, row_flags
from grader.reports.items import discrimination, graded_only

CHECK_COLUMNS = (
    "assignment", "check_id", "target", "visibility", "max_points", "n", "pass_rate", "mean_points",
    "n_fail", "n_error", "n_timeout", "top_mistake", "top_mistake_n", "top_mistake_share", "mistakes",
    "discrimination",
)  # fmt: skip


def assignments_in(results: pd.DataFrame) -> list[str]:
    """Assignments with rows, in course order."""
    present = set(results["assignment"].unique())
    return [a for a in ASSIGNMENTS if a in present]


def long_table(results: pd.DataFrame) -> pd.DataFrame:
    """The long table of SPEC §5: exactly RESULT_COLUMNS, sorted by student, assignment, check id."""
    return results.loc[:, list(RESULT_COLUMNS)].sort_values(["student", "assignment", "check_id"], ignore_index=True)


def max_points(results: pd.DataFrame) -> pd.Series:
    """Maximum points per assignment: the sum over its checks of each check's max points."""
    per_check = results.groupby(["assignment", "check_id"])["max_points"].max()
    return per_check.groupby(level="assignment").sum()


def gradebook_table(
    results: pd.DataFrame, submissions: pd.DataFrame, config: CourseConfig, flags: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per student; layout in the module docstring. ``flags``: the results' ``flag_table`` when it is
    at hand."""
    keys = assignments_in(results)
    students = sorted(set(results["student"].unique()) | set(submissions["student"].unique()))
    table = pd.DataFrame({"student": pd.Series(students, dtype="string")})
    raw = results.pivot_table(index="student", columns="assignment", values="points", aggfunc="sum")
    maxima = max_points(results)
    submitted = submissions.set_index(["student", "assignment"])["submitted_at"].to_dict()
    states = submissions.set_index(["student", "assignment"])["state"].to_dict()
    weighted, weights = pd.Series(0.0, index=table.index), 0.0
    for key in keys:
        settings = config.assignment(key)
        points = table["student"].map(raw[key]).fillna(0.0).astype("float64") if key in raw else 0.0
        when = [_submitted(submitted, s, key) for s in students]
        days = pd.Series([config.late.late_days(w, settings.due) for w in when], dtype="int64")
        penalty = days.map(config.late.penalty).astype("float64")
        table[key] = points
        status = [states.get((s, key), NOT_SUBMITTED) for s in students]
        table[f"{key}_status"] = pd.Series(status, dtype="string")
        table[f"{key}_submitted_at"] = pd.Series([w.isoformat() if w else "" for w in when], dtype="string")
        table[f"{key}_late_days"] = days
        table[f"{key}_penalty"] = penalty
        table[f"{key}_final"] = (points * (1.0 - penalty)).round(6)
        if maxima.get(key, 0.0) > 0:
            weighted += settings.weight * table[f"{key}_final"] / maxima[key]
            weights += settings.weight
    table["total"] = table[[f"{k}_final" for k in keys]].sum(axis=1).astype("float64")
    table["max_total"] = float(sum(maxima.get(k, 0.0) for k in keys))
    table["percent"] = (100.0 * weighted / weights).round(2) if weights else 0.0
    flagged = row_flags(results, flags)
    table["flags"] = pd.Series([flagged.get(s, "") for s in students], dtype="string")
    return table


def _submitted(submitted: dict, student: str, key: str) -> datetime | None:
    """When the student handed ``key`` in; None when unknown or not handed in (the epoch marks those)."""
    text = submitted.get((student, key), "")
    if not isinstance(text, str) or not text:
        return None
    moment = datetime.fromisoformat(text)
    return None if moment.timestamp() <= 0 else moment


def checks_table(results: pd.DataFrame, submissions: pd.DataFrame) -> pd.DataFrame:
    """Per check, over the graded submissions only (``grader.reports.items``): how many, pass rate, mean
    points, how it failed, the known mistakes seen (each with its share of the check's failures) and the
    discrimination index."""
    results = graded_only(results, submissions)
    if results.empty:
        return pd.DataFrame(columns=list(CHECK_COLUMNS)).astype(CHECK_DTYPES)
    keys = ["assignment", "check_id"]
    status = {name: (results["status"] == name).to_numpy(dtype=bool) for name in ("pass", "fail", "error", "timeout")}
    groups = results.assign(**{f"is_{name}": rows for name, rows in status.items()}).groupby(keys, sort=True)
    table = groups.agg(
        target=("target", "first"),
        visibility=("visibility", "first"),
        max_points=("max_points", "max"),
        n=("status", "size"),
        pass_rate=("is_pass", "mean"),
        mean_points=("points", "mean"),
        n_fail=("is_fail", "sum"),
        n_error=("is_error", "sum"),
        n_timeout=("is_timeout", "sum"),
    )
    mistake = results["mistake"]
    known = results[((mistake != "") & ~flag_rows(mistake)).to_numpy(dtype=bool)]
    counts = known.groupby(keys + ["mistake"]).size().rename("count").reset_index()
    counts = counts.sort_values(keys + ["count", "mistake"], ascending=[True, True, False, True])
    failures = (table["n"] - (table["pass_rate"] * table["n"]).round()).rename("failures")
    counts = counts.join(failures, on=keys)
    counts["share"] = counts["count"] / counts["failures"].clip(lower=1)
    counts["entry"] = [
        f"{m}: {n} ({100 * share:.0f} % of failures)"
        for m, n, share in zip(counts["mistake"], counts["count"], counts["share"], strict=True)
    ]
    listed = counts.groupby(keys).agg(
        top_mistake=("mistake", "first"), top_mistake_n=("count", "first"), top_mistake_share=("share", "first"),
        mistakes=("entry", "; ".join),
    )  # fmt: skip
    defaults = {"top_mistake": "", "top_mistake_n": 0, "top_mistake_share": 0.0, "mistakes": ""}
    for column, default in defaults.items():  # column by column: an empty ``listed`` has no usable dtypes
        table[column] = listed[column].reindex(table.index).astype(object).fillna(default) if len(listed) else default
    table["discrimination"] = discrimination(results).reindex(table.index)
    table = table.reset_index()
    return table.loc[:, list(CHECK_COLUMNS)].astype(CHECK_DTYPES)


CHECK_DTYPES = {
    "assignment": "string", "check_id": "string", "target": "string", "visibility": "string",
    "max_points": "float64", "n": "int64", "pass_rate": "float64", "mean_points": "float64",
    "n_fail": "int64", "n_error": "int64", "n_timeout": "int64",
    "top_mistake": "string", "top_mistake_n": "int64", "top_mistake_share": "float64", "mistakes": "string",
    "discrimination": "float64",
}  # fmt: skip


def target_scores(results: pd.DataFrame) -> pd.DataFrame:
    """Student × target matrix of the fraction of points earned (columns ``hw2.linear_backward``, course order)."""
    frame = results.assign(item=results["assignment"] + "." + results["target"])
    sums = frame.groupby(["student", "item"])[["points", "max_points"]].sum()
    matrix = (sums["points"] / sums["max_points"]).unstack("item")
    order = [f"{a}.{t}" for a, spec in ASSIGNMENTS.items() for t in spec.targets]
    columns = [c for c in order if c in matrix.columns] + sorted(set(matrix.columns) - set(order))
    return matrix.loc[:, columns].sort_index()
