"""Flags for the instructor: submissions that need a human look, read off the long table.

A row's ``mistake`` starting with the engine's FLAG_PREFIX carries a flag itself ("uses torch in hw2").
Besides those, per student × assignment: not handed in, failing at import or otherwise ungradable
(every check errored with one message), timeouts, crashes, and errors of the grader itself.
"""

from __future__ import annotations

import pandas as pd

from grader.pipeline.integrity import FLAG_PREFIX

FLAG_COLUMNS = ("student", "assignment", "flag", "detail")


def is_flag(mistake: str) -> bool:
    return mistake.startswith(FLAG_PREFIX)


def flag_rows(mistakes: pd.Series) -> pd.Series:
    """``is_flag`` of each row's mistake, for a whole column at once."""
    return mistakes.str.startswith(FLAG_PREFIX)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else ("es" if word.endswith("sh") else "s"))


def flag_table(results: pd.DataFrame) -> pd.DataFrame:
    """Every flag, one row each: student, assignment, flag, detail (the first message behind it)."""
    if results.empty:
        return pd.DataFrame(columns=list(FLAG_COLUMNS)).astype("string")
    message, status = results["message"], results["status"]
    error = status == "error"
    frame = results[["student", "assignment", "message", "mistake"]].assign(
        explicit=flag_rows(results["mistake"]),
        error=error,
        absent=error & message.str.startswith("not submitted"),
        import_error=error & message.str.contains("failed at import", regex=False),
        timeout=status == "timeout",
        crash=message.str.contains("stopped the process running it", regex=False),
        internal=message.str.contains("internal grader error", regex=False),
    )
    counted = ["explicit", "error", "absent", "import_error", "timeout", "crash", "internal"]
    groups = frame.groupby(["student", "assignment"], sort=True)
    summary = groups[counted].sum().join(groups["message"].agg(["size", "nunique"]))
    worth_a_look = summary[["explicit", "timeout", "crash", "internal"]].any(axis=1) | (
        summary["error"] == summary["size"]
    )
    found = []
    for (student, assignment), counts in summary[worth_a_look].iterrows():
        mine = frame.iloc[groups.indices[(student, assignment)]]
        for flag, detail in _flags(assignment, counts, mine):
            found.append((student, assignment, flag, detail))
    return pd.DataFrame(found, columns=list(FLAG_COLUMNS)).astype("string")


def _flags(assignment: str, counts: pd.Series, rows: pd.DataFrame) -> list[tuple[str, str]]:
    """(flag, detail) pairs for one student's rows of one assignment, from their counts."""

    def first(column: str) -> str:
        return str(rows.loc[rows[column], "message"].iloc[0])

    if counts["explicit"]:  # an integrity flag already explains every other row
        flagged = rows[rows["explicit"]].drop_duplicates("mistake")
        return [(m[len(FLAG_PREFIX) :], str(d)) for m, d in zip(flagged["mistake"], flagged["message"], strict=True)]
    size = counts["size"]
    if counts["absent"] == size:
        return [(f"{assignment} not submitted", first("absent"))]
    if counts["import_error"] == size:
        return [(f"{assignment} fails at import", first("import_error"))]
    if counts["error"] == size > 1 and counts["nunique"] == 1:
        return [(f"{assignment} could not be graded", first("error"))]
    found = []
    if counts["timeout"]:
        found.append((f"{assignment}: {_plural(counts['timeout'], 'timeout')}", first("timeout")))
    if counts["crash"]:
        found.append((f"{assignment}: {_plural(counts['crash'], 'crash')}", first("crash")))
    if counts["internal"]:
        found.append((f"{assignment}: grader error", first("internal")))
    return found


def row_flags(results: pd.DataFrame, table: pd.DataFrame | None = None) -> dict[str, str]:
    """student -> their flags joined with "; " (students without flags left out); ``table``: the results'
    ``flag_table`` when it is at hand."""
    table = flag_table(results) if table is None else table
    return {str(s): "; ".join(group["flag"]) for s, group in table.groupby("student", sort=True)}
