"""Markdown: report.md (the class summary) and feedback/<student>.md (what each student should fix)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from grader.course.rules import hint
from grader.pipeline.gradebook_schema import GRADED, STATES
from grader.reports.flags import is_flag
from grader.reports.safe_text import file_stem, markdown

if TYPE_CHECKING:
    from grader.reports.build import ReportData


def md_table(frame: pd.DataFrame, escape: bool = True) -> str:
    """A GitHub-flavoured Markdown table; every cell shown as literal text unless ``escape`` is False (a
    table of the grader's own Markdown)."""

    def cell(value: object) -> str:
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        return markdown(text) if escape else text

    lines = ["| " + " | ".join(map(cell, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def summary(data: ReportData) -> str:
    g, keys = data.gradebook, list(data.maxima.index)
    lines = [f"# {data.config.name}: grading report", ""]
    if g.empty or not keys:
        return "\n".join(lines + ["Nothing has been graded yet.", ""])
    lines += [
        f"{len(g)} students; mean course percent {g['percent'].mean():.1f} %, median {g['percent'].median():.1f} %.",
        "",
    ]
    graded = {k: g.loc[g[f"{k}_status"] == GRADED, k] for k in keys}
    per = pd.DataFrame({
        "assignment": keys, "max points": [data.maxima[k] for k in keys],
        **{state: [int((g[f"{k}_status"] == state).sum()) for k in keys] for state in STATES},
        "mean (graded)": [round(float(graded[k].mean()), 2) if len(graded[k]) else "" for k in keys],
        "median (graded)": [float(graded[k].median()) if len(graded[k]) else "" for k in keys],
        "late": [int((g[f"{k}_late_days"] > 0).sum()) for k in keys],
    })  # fmt: skip
    lines += ["## Assignments", "", md_table(per), ""]
    hardest = data.checks[data.checks["pass_rate"] < 1].sort_values(["pass_rate", "check_id"]).head(10)
    view = pd.DataFrame({
        "check": hardest["check_id"], "passing": [f"{100 * p:.0f} %" for p in hardest["pass_rate"]],
        "most common known mistake": [f"{m} ({n}×)" if m else "" for m, n in
                                      zip(hardest["top_mistake"], hardest["top_mistake_n"], strict=True)],
    })  # fmt: skip
    lines += ["## Checks most students fail", "", "Over each assignment's graded hand-ins.", ""]
    lines += [md_table(view) if len(view) else "Every check passes.", ""]
    flags = data.flags[["student", "flag"]]
    lines += ["## Flagged submissions", "", md_table(flags) if len(flags) else "None.", ""]
    similar = data.similarity[data.similarity["flagged"]]
    lines += ["## Similar hand-ins", "", md_table(similar) if len(similar) else "No pair flagged.", ""]
    files = pd.DataFrame(FILES_IN_FOLDER, columns=["file", "what"])
    return "\n".join(lines + ["## Files in this folder", "", md_table(files, escape=False), ""])


FILES_IN_FOLDER = [
    ("`results.csv`, `results.parquet`", "one row per student × check: student, assignment, check_id, target, points, "
     "max_points, status (pass, fail, error, timeout), message, seconds"),
    ("`gradebook.csv`", "one row per student: for each assignment `<a>` (raw points), `<a>_status` (graded, not "
     "submitted, ungradable), `<a>_submitted_at`, "
     "`<a>_late_days`, `<a>_penalty` (the fraction lost), `<a>_final` (after the penalty); then `total` and "
     "`max_total` (points), `percent` (weighted by course.toml's weights) and `flags`"),
    ("`checks.csv`", "one row per check, over graded hand-ins: pass rate, mean points, failures by status, the "
     "known mistakes seen with their share of the failures, the discrimination index"),
    ("`similarity.csv`", "pairs of hand-ins sharing code: assignment, student_a, student_b, score, flagged, "
     "functions"),
    ("`report.html`", "the class summary with plots, in one self-contained file"),
    ("`feedback/<student>.md`", "what each student should fix"),
    ("`gradebook.sqlite`", "the source of them all: rebuild them with `grader report --out <this folder>`"),
]  # fmt: skip


def feedback(student: str, grades: dict, rows: list, maxima: dict[str, float]) -> str:
    """Every failing check of one student, grouped by assignment and function, in words they can act on.
    ``grades`` is the student's gradebook row, ``rows`` their long-table rows (named tuples)."""
    lines = [f"# Feedback for {markdown(student)}", "", f"Course score: **{grades['percent']:.1f} %**.", ""]
    for key, maximum in maxima.items():
        mine = [r for r in rows if r.assignment == key]
        days = grades[f"{key}_late_days"]
        late = f", {days} day(s) late: −{100 * grades[f'{key}_penalty']:g} %" if days else ""
        lines += [f"## {key}: {grades[f'{key}_final']:g} / {maximum:g} points{late}", ""]
        failing = [r for r in mine if r.points < r.max_points]
        if not mine:
            lines += ["Not graded.", ""]
        elif not failing:
            lines += ["Every check passes. Well done!", ""]
        else:
            lines += _failing(failing)
    return "\n".join(lines)


def _failing(failing: list) -> list[str]:
    """One line when a single message explains every failing check (a file that failed at import, was
    not handed in, or broke the numpy-only rule); otherwise per function, each check with its message,
    or one line for a function whose checks all failed the same way ("not implemented yet")."""
    messages = {r.message for r in failing}
    if len(failing) > 1 and len(messages) == 1:
        return [f"- {markdown(failing[0].message)} (all {len(failing)} failing checks)", ""]
    by_target: dict[str, list] = {}
    for r in failing:
        by_target.setdefault(r.target, []).append(r)
    lines = []
    for target, rows in by_target.items():
        lines += [f"### {target}", ""]
        if len(rows) > 1 and len({r.message for r in rows}) == 1:
            ids = ", ".join(f"`{r.check_id}`" for r in rows)
            lines += [f"- {markdown(rows[0].message)} ({len(rows)} checks: {ids})", ""]
            continue
        for r in rows:
            tip = hint(r.mistake) if r.mistake and not is_flag(r.mistake) else ""
            extra = f" Hint: {tip}." if tip and tip not in r.message else ""
            message = markdown(r.message)
            lines.append(f"- `{r.check_id}` ({r.points:g} / {r.max_points:g}, {r.status}): {message}{extra}")
        lines.append("")
    return lines


def write_summary(out_dir: Path, data: ReportData) -> Path:
    path = out_dir / "report.md"
    path.write_text(summary(data), encoding="utf-8")
    return path


def feedback_path(out_dir: Path, student: str) -> Path:
    """feedback/<student>.md, under a file name that is safe whatever the id holds (see ``file_stem``)."""
    return out_dir / "feedback" / f"{file_stem(student)}.md"
