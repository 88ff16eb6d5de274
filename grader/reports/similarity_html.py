"""The report's similarity section: the most similar pairs of hand-ins, side by side, shared code marked.

Each text is escaped span by span (``safe_text.html_block``) and the grader's own ``<mark>`` tags go
around the escaped shared spans, so nothing a student wrote can open a tag, a script or an entity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from grader.reports import similarity
from grader.reports.safe_text import html as escape
from grader.reports.safe_text import html_block

if TYPE_CHECKING:
    from grader.reports.build import ReportData

SHOWN = 3  # pairs shown side by side per assignment, besides every flagged one (at most MAX_SHOWN in all)
MAX_SHOWN = 20
CSS = (
    ".pair { display: grid; grid-template-columns: 1fr 1fr; gap: .8em; } .pair pre { max-height: 36em; "
    "overflow: auto; background: #fafafa; border: 1px solid #ddd; padding: .4em; font-size: 11px; margin: 0; }"
    " mark { background: #ffe082; } details.sim { margin: .4em 0; }"
)


def marked(text: str, slices: np.ndarray) -> str:
    """``text`` escaped, with each slice (``slices[0]`` starts, ``slices[1]`` ends) inside ``<mark>``."""
    parts, done = [], 0
    if slices.size:
        for start, end in sorted(zip(slices[0].tolist(), slices[1].tolist(), strict=True)):
            start, end = max(int(start), done), min(int(end), len(text))
            if end <= start:
                continue
            parts += [html_block(text[done:start]), "<mark>", html_block(text[start:end]), "</mark>"]
            done = end
    parts.append(html_block(text[done:]))
    return "".join(parts)


def section(data: ReportData) -> str:
    table = data.similarity
    note = (
        f"<p>Hand-ins compared by winnowed fingerprints (copydetect, as MOSS): names, comments, strings and layout "
        f"do not count, nor does the stub every student was given. Score: the larger share of one hand-in's code "
        f"found in the other. Flagged at {similarity.FLAG_THRESHOLD:g} or more with at least "
        f"{similarity.MIN_SHARED} shared characters of normalised code, a threshold measured on independent "
        f"solutions and disguised copies (benchmarks/similarity_calibration.py). Notebooks are not compared. "
        f"A flag is a reason to look, not a verdict.</p>"
    )
    if table.empty:
        return note + "<p>No pairs to compare yet (hand-in texts are kept from the next `grader grade`).</p>"
    flagged = int(table["flagged"].sum())
    shown = table[table["flagged"] | (table.groupby("assignment").cumcount() < SHOWN)].head(MAX_SHOWN)
    listing = table.head(MAX_SHOWN)[["assignment", "student_a", "student_b", "score", "flagged", "functions"]]
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(f'{v:.2f}' if isinstance(v, float) else str(v))}</td>" for v in row) + "</tr>"
        for row in listing.itertuples(index=False)
    )
    head = "".join(f"<th>{c}</th>" for c in listing.columns)
    parts = [note, f"<p>{flagged} pairs flagged; all listed pairs are in similarity.csv.</p>",
             f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"]  # fmt: skip
    for record in shown.itertuples(index=False):
        a, b, match = data.pairs[(record.assignment, record.student_a, record.student_b)]
        flag = ", flagged" if record.flagged else ""
        summary = f"{record.assignment}: {record.student_a} ~ {record.student_b}: {record.score:.2f}{flag}"
        parts.append(
            f'<details class="sim"><summary>{escape(summary)}</summary><div class="pair">'
            f"<div><b>{escape(record.student_a)}</b><pre>{marked(a, match.slices_a)}</pre></div>"
            f"<div><b>{escape(record.student_b)}</b><pre>{marked(b, match.slices_b)}</pre></div>"
            "</div></details>"
        )
    return "".join(parts)
