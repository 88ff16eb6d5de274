"""The report's two class-wide charts as HTML tables (no script, no image): the student × function heat map
and the pass rate of every check grouped by function. As HTML, a cell can say on hover why a hand-in could
not be graded, and 300 students stay readable where a PNG would shrink them.

Heat map colours: the fraction of a function's points earned on a graded hand-in, in five steps from red to
green; grey where the assignment was not submitted; purple where it was ungradable (the reason on hover).
Student ids and reasons are escaped text (``safe_text.html``); classes and titles are the grader's own.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from grader.course.assignments import ASSIGNMENTS
from grader.pipeline.gradebook_schema import GRADED, NOT_SUBMITTED, UNGRADABLE
from grader.reports.safe_text import html as escape
from grader.reports.tables import target_scores

SCALE = ("#c62828", "#ef6c00", "#fdd835", "#9ccc65", "#2e7d32")  # 0-20 %, ..., 80-100 % of the points
STATE_COLOURS = {NOT_SUBMITTED: "#bdbdbd", UNGRADABLE: "#7e57c2"}
STATE_CLASSES = {NOT_SUBMITTED: "ns", UNGRADABLE: "ug"}
VISIBILITY_COLOURS = {"public": "#1565c0", "hidden": "#6a1b9a"}
CSS = (
    "table.heat { border-collapse: collapse; font-size: 11px; } table.heat td { width: 13px; height: 13px; "
    "padding: 0; border: 1px solid #fff; } table.heat th { padding: 0 4px; border: none; background: none; "
    "font-weight: normal; white-space: nowrap; } table.heat th.v { writing-mode: vertical-rl; "
    "transform: rotate(180deg); text-align: left; } table.heat th.a { border-bottom: 1px solid #999; "
    "text-align: center; } .scroll { overflow: auto; max-height: 80vh; }"
    ".legend { display: flex; gap: 1.2em; flex-wrap: wrap; margin: .4em 0 .8em; font-size: 13px; }"
    ".sw { display: inline-block; width: 13px; height: 13px; vertical-align: middle; margin-right: .3em; }"
    "table.rates td.bars { display: flex; align-items: flex-end; gap: 2px; height: 26px; border: none; "
    "border-bottom: 1px solid #ccc; min-width: 12em; } .bar { width: 9px; display: inline-block; }"
    + "".join(f".g{i} {{ background: {c}; }}" for i, c in enumerate(SCALE))
    + "".join(f".{STATE_CLASSES[s]} {{ background: {c}; }}" for s, c in STATE_COLOURS.items())
    + "".join(f".{v} {{ background: {c}; }}" for v, c in VISIBILITY_COLOURS.items())
    + "".join(f".p{p} {{ height: {max(p, 2)}%; }}" for p in range(0, 101, 5))
)


def _swatch(css_class: str, label: str) -> str:
    return f'<span><span class="sw {css_class}"></span>{escape(label)}</span>'


def heatmap_legend() -> str:
    steps = [_swatch(f"g{i}", f"{20 * i}–{20 * (i + 1)} % of the points") for i in range(len(SCALE))]
    states = [_swatch("ns", "not submitted"), _swatch("ug", "ungradable (hover for the reason)")]
    return '<div class="legend">' + "".join(steps + states) + "</div>"


def heatmap(results: pd.DataFrame, submissions: pd.DataFrame) -> str:
    """Students (rows) × graded functions (columns, grouped by assignment)."""
    scores = target_scores(results)
    record = submissions.set_index(["student", "assignment"])
    states, reasons = record["state"].to_dict(), record["reason"].to_dict()
    columns = list(scores.columns)
    groups: list[list] = []  # [assignment, how many of its functions], in column order
    for column in columns:
        key = column.split(".")[0]
        if groups and groups[-1][0] == key:
            groups[-1][1] += 1
        else:
            groups.append([key, 1])
    head = "<tr><th></th>" + "".join(f'<th class="a" colspan="{n}">{escape(k)}</th>' for k, n in groups) + "</tr>"
    head += "<tr><th></th>" + "".join(f'<th class="v">{escape(c.split(".", 1)[1])}</th>' for c in columns) + "</tr>"
    body = []
    keys, titles = [c.split(".")[0] for c in columns], [escape(c) for c in columns]  # once per column
    for student, row in zip(scores.index, scores.to_numpy(dtype=np.float64).tolist(), strict=True):
        cells = []
        for key, title, fraction in zip(keys, titles, row, strict=True):
            state = states.get((student, key), NOT_SUBMITTED)
            cells.append(_cell(state, fraction, reasons.get((student, key), ""), title))
        body.append(f"<tr><th>{escape(str(student))}</th>{''.join(cells)}</tr>")
    return (
        heatmap_legend()
        + f'<div class="scroll"><table class="heat"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table></div>'
    )


def _cell(state: str, fraction: float, reason: str, title: str) -> str:
    """One cell; ``title``: the column's name, escaped."""
    if state == GRADED and not (isinstance(fraction, float) and math.isnan(fraction)):
        step = min(len(SCALE) - 1, int(fraction * len(SCALE)))
        return f'<td class="g{step}" title="{title}: {100 * fraction:.0f} %"></td>'
    if state == UNGRADABLE:
        return f'<td class="ug" title="{title}: ungradable: {escape(reason)}"></td>'
    return f'<td class="ns" title="{title}: not submitted"></td>'


def pass_rates(checks: pd.DataFrame) -> str:
    """One row per graded function, each of its checks a bar as high as its pass rate (hover: id and rate)."""
    course = [f"{key}.{target}" for key, spec in ASSIGNMENTS.items() for target in spec.targets]
    order = {item: i for i, item in enumerate(course)}
    legend = '<div class="legend">' + "".join(_swatch(v, f"{v} check") for v in VISIBILITY_COLOURS) + (
        "<span>bar height: share of graded hand-ins passing</span></div>"
    )
    frame = checks.assign(item=checks["assignment"] + "." + checks["target"])
    rank = {item: order.get(item, len(order)) for item in frame["item"].unique()}
    # functions in course order (others after, by name), each function's public checks first, then by id
    frame = frame.assign(rank=frame["item"].map(rank)).sort_values(
        ["rank", "item", "visibility", "check_id"], ascending=[True, True, False, True]
    )
    rows = []
    for item, mine in frame.groupby("item", sort=False):
        bars = "".join(
            f'<span class="bar {escape(v)} p{5 * round(20 * rate)}" title="{escape(c)}: {100 * rate:.0f} %"></span>'
            for c, v, rate in zip(mine["check_id"].tolist(), mine["visibility"].tolist(), mine["pass_rate"].tolist(),
                                  strict=True)  # fmt: skip
        )
        lowest = f"{100 * mine['pass_rate'].min():.0f} %"
        rows.append(f'<tr><th>{escape(item)}</th><td class="bars">{bars}</td><td class="num">{lowest}</td></tr>')
    head = "<tr><th>function</th><th>its checks</th><th>lowest</th></tr>"
    return legend + f'<table class="rates"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
