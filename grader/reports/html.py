"""report.html: one self-contained page for the instructor (inline CSS, the figure as a base64 SVG, no scripts,
no network references), readable at a glance: summary first, then what needs attention.

Rates (pass rates, the checks most students fail, the item analysis) count each assignment's graded
hand-ins only: a student who did not submit it, or whose file could not run, says nothing about a check."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from grader.course.rules import hint
from grader.pipeline.gradebook_schema import GRADED, STATES
from grader.reports import heatmap, plots, similarity_html
from grader.reports.safe_text import html as escape  # one line, HTML-escaped

if TYPE_CHECKING:
    from grader.reports.build import ReportData

HARDEST = 12  # checks listed under "checks most students fail"
CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1200px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
.cards { display: flex; gap: 1em; flex-wrap: wrap; margin: 1em 0; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: .6em 1.1em; min-width: 9em; background: #fafafa; }
.card b { display: block; font-size: 1.7em; } .muted { color: #666; }
table { border-collapse: collapse; margin: .5em 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; } code { font-size: 12px; }
""" + heatmap.CSS + similarity_html.CSS
CREDIT_NOTE = (
    "An accuracy check trains with the student's code and scores the model on held-out data: no credit "
    "at or below the floor, full credit at or above the threshold, linear in between."
)
CALIBRATION_NOTE = (
    "Each threshold was calibrated by running the reference solution over many check seeds and taking the "
    "worst held-out accuracy minus a margin, so that a correct submission falls short with probability "
    "below 1e-3 (the numbers sit beside each task in the suites)."
)


def _table(frame: pd.DataFrame, numeric: tuple[str, ...] = ()) -> str:
    columns = list(frame.columns)
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    opening = ['<td class="num">' if column in numeric else "<td>" for column in columns]
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for start, value in zip(opening, row, strict=True):
            text = f"{value:.3g}" if isinstance(value, float) else str(value)
            cells.append(f"{start}{escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def accuracy_thresholds(keys: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The accuracy tasks of the graded assignments' suites (floor and threshold each), and the suites'
    ``THRESHOLD_NOTE`` strings saying how the thresholds were calibrated."""
    from grader.checks.accuracy import AccuracyTask

    rows, notes = [], []
    for key in keys:
        for visibility in ("public", "hidden"):
            try:
                module = importlib.import_module(f"grader.suites.{visibility}.{key}")
            except ImportError:  # no such suite, or a student release without hidden checks
                continue
            for task in vars(module).values():
                if isinstance(task, AccuracyTask):
                    rows.append((key, visibility, task.name, task.floor, task.threshold))
            if getattr(module, "THRESHOLD_NOTE", ""):
                notes.append(f"{key} ({visibility}): {module.THRESHOLD_NOTE}")
    columns = ["assignment", "suite", "task", "floor (no credit)", "threshold (full credit)"]
    return pd.DataFrame(rows, columns=columns), notes


def _thresholds(keys: list[str]) -> str:
    tasks, notes = accuracy_thresholds(keys)
    if tasks.empty:
        return "<p>No accuracy checks among the graded assignments.</p>"
    return (
        f"<p>{escape(CREDIT_NOTE)}</p>"
        + "".join(f"<p>{escape(n)}</p>" for n in notes or [CALIBRATION_NOTE])
        + _table(tasks, ("floor (no credit)", "threshold (full credit)"))
    )


def _assignments(data: ReportData) -> pd.DataFrame:
    rows = []
    for key, maximum in data.maxima.items():
        settings = data.config.assignment(key)
        graded = data.gradebook[data.gradebook[f"{key}_status"] == GRADED]
        percent = 100 * graded[key] / maximum if maximum else graded[key] * 0
        states = data.gradebook[f"{key}_status"].value_counts()
        rows.append({
            "assignment": key, "weight": settings.weight, "due": settings.due.isoformat() if settings.due else "",
            "max points": maximum, **{s: int(states.get(s, 0)) for s in STATES},
            "late": int((data.gradebook[f"{key}_late_days"] > 0).sum()),
            "mean % (graded)": round(float(percent.mean()), 1) if len(graded) else "—",
            "median % (graded)": round(float(percent.median()), 1) if len(graded) else "—",
        })  # fmt: skip
    return pd.DataFrame(rows)


def _hardest(data: ReportData) -> pd.DataFrame:
    failing = data.checks[data.checks["pass_rate"] < 1].sort_values(["pass_rate", "check_id"]).head(HARDEST)
    return pd.DataFrame({
        "check": failing["check_id"], "passing": [f"{100 * p:.0f} %" for p in failing["pass_rate"]],
        "graded hand-ins": failing["n"],
        "most common known mistake": [
            f"{m} ({n}×): {hint(m)}" if m else "—" for m, n in zip(failing["top_mistake"], failing["top_mistake_n"],
                                                                   strict=True)
        ],
    })  # fmt: skip


RATES_NOTE = "Rates over each assignment's graded hand-ins: not submitted and ungradable ones are left out."
ITEMS_NOTE = (
    "Per check, over the graded hand-ins: pass rate, mean points, each known mistake's share of the failures, "
    "and the discrimination index (the correlation of the check's score with the rest of the student's score on "
    "the assignment). An index near 0 or below flags a check that measures something else than the rest: "
    "broken, or trivial; blank where everyone scored the same."
)


def _items(data: ReportData) -> str:
    parts = [f'<p class="muted">{escape(ITEMS_NOTE)}</p>']
    for key, rows in data.checks.groupby("assignment", sort=False):
        view = pd.DataFrame({
            "check": rows["check_id"], "graded": rows["n"], "pass rate": rows["pass_rate"].round(3),
            "mean points": rows["mean_points"].round(3),
            "discrimination": [("" if pd.isna(v) else v) for v in rows["discrimination"]],
            "known mistakes (share of failures)": rows["mistakes"].replace("", "—"),
        })  # fmt: skip
        numeric = ("graded", "pass rate", "mean points", "discrimination")
        parts.append(f"<details><summary>{escape(str(key))}: {len(rows)} checks</summary>"
                     f"{_table(view, numeric)}</details>")  # fmt: skip
    return "".join(parts)


def render(data: ReportData) -> str:
    g, keys = data.gradebook, list(data.maxima.index)
    flagged = data.flags["student"].nunique()
    cards = [
        ("students", str(len(g))), ("assignments", ", ".join(keys) or "none"),
        ("mean course %", f"{g['percent'].mean():.1f}" if len(g) else "—"),
        ("median course %", f"{g['percent'].median():.1f}" if len(g) else "—"),
        ("students flagged", str(flagged)),
    ]  # fmt: skip
    parts = [
        f"<h1>{escape(data.config.name)}</h1>",
        f'<p class="muted">{_last_run(data)}</p>',
        '<div class="cards">' + "".join(f'<div class="card"><b>{escape(v)}</b>{escape(k)}</div>' for k, v in cards),
        "</div>",
    ]
    if g.empty or not keys:
        parts.append("<p>Nothing has been graded yet.</p>")
        return _page(data.config.name, parts)
    parts += [
        "<h2>Assignments</h2>", _table(_assignments(data), ("weight", "max points", *STATES, "late")),
        "<h2>Score distribution</h2>", f'<img alt="score distribution per assignment" '
        f'src="{plots.score_distributions(g, data.maxima)}">',
        f"<h2>Flagged submissions ({len(data.flags)})</h2>",
        _table(data.flags) if len(data.flags) else "<p>None: no integrity flags, timeouts, crashes or errors.</p>",
        "<h2>Checks most students fail</h2>", f'<p class="muted">{RATES_NOTE}</p>',
        _table(_hardest(data), ("graded hand-ins",)),
        "<h2>Pass rate per check</h2>", heatmap.pass_rates(data.checks),
        "<h2>Students × functions</h2>",
        '<p class="muted">Fraction of each function\'s points earned, by submission state.</p>',
        heatmap.heatmap(data.results, data.submissions),
        "<h2>Item analysis</h2>", _items(data),
        "<h2>Similar hand-ins</h2>", similarity_html.section(data),
        "<h2>How accuracy thresholds were set</h2>",
        _thresholds(keys),
        "<h2>Gradebook</h2>", f"<p>{_late_note(data)}</p>",
        f"<details><summary>All {len(g)} students</summary>{_table(_gradebook_view(data), ('total', 'percent'))}"
        "</details>",
    ]  # fmt: skip
    return _page(data.config.name, parts)


def _gradebook_view(data: ReportData) -> pd.DataFrame:
    keys = list(data.maxima.index)
    columns = ["student"] + [f"{k}_final" for k in keys] + ["total", "percent", "flags"]
    return data.gradebook[columns].rename(columns={f"{k}_final": k for k in keys})


def _late_note(data: ReportData) -> str:
    late = data.config.late
    return escape(
        f"Scores after the late policy: {100 * late.penalty_per_day:g} % per started day late, at most "
        f"{100 * late.cap:g} %, {late.grace_minutes:g} minutes' grace. The course percent weighs each assignment "
        "by its course.toml weight."
    )


def _last_run(data: ReportData) -> str:
    if data.runs.empty:
        return "No grading run recorded."
    last = data.runs.iloc[-1]
    return escape(f"Last grading run #{last['run_id']} started {last['started']} ({len(data.runs)} runs in all).")


def _page(title: str, parts: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} — grading report</title><style>{CSS}</style></head>\n"
        "<body>\n" + "\n".join(parts) + "\n</body></html>\n"
    )


def write(out_dir: Path, data: ReportData) -> Path:
    path = out_dir / "report.html"
    path.write_text(render(data), encoding="utf-8")
    return path
