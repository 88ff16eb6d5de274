"""The report's figure (the score distributions; the heat map and pass rates are HTML: ``heatmap``), drawn as SVG
here, without a plotting library, and returned as a ``data:image/svg+xml;base64`` URI so the HTML report stays one
self-contained file. Drawing it takes about a millisecond, so a rebuild draws it afresh every time.

One panel per assignment, side by side: a histogram of the graded hand-ins' raw score in percent of the maximum
(ten bins of 10 %, the last one closed: 100 % counts in 90-100), the mean as a line, named in a legend. Labels are
assignment names: shown as plain text (control characters as escapes), escaped for XML.
"""

from __future__ import annotations

import base64
import math
from html import escape

import numpy as np
import pandas as pd

from grader.reports.safe_text import one_line

HISTOGRAM = "#1565c0"
MEAN = "#ef6c00"
INK = "#333333"
WIDTH, HEIGHT = 320, 260  # one panel, in pixels
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 44  # the plotting area's margins within a panel
BINS = np.linspace(0.0, 100.0, 11)
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


def plotted(gradebook: pd.DataFrame, maxima: pd.Series) -> list[tuple[str, float, pd.Series]]:
    """What ``score_distributions`` draws: per assignment, its maximum and the graded hand-ins' percents."""
    found = []
    for key in maxima.index:
        graded = gradebook[gradebook[f"{key}_status"] == "graded"] if f"{key}_status" in gradebook else gradebook
        found.append((str(key), float(maxima[key]), 100.0 * graded[key].astype(float) / maxima[key]))
    return found


def score_distributions(gradebook: pd.DataFrame, maxima: pd.Series) -> str:
    """One histogram per assignment of the graded hand-ins' raw score in percent of the maximum, mean marked,
    side by side in one image (a data URI)."""
    shown = plotted(gradebook, maxima)
    panels = [_panel(name, maximum, percent, n == 0) for n, (name, maximum, percent) in enumerate(shown)]
    width = WIDTH * max(1, len(panels))
    body = "".join(f'<g transform="translate({WIDTH * n},0)">{panel}</g>' for n, panel in enumerate(panels))
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
           f'viewBox="0 0 {width} {HEIGHT}" {FONT}><rect width="{width}" height="{HEIGHT}" fill="white"/>'
           f"{body}</svg>")  # fmt: skip
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def y_ticks(highest: int) -> list[int]:
    """Whole-number ticks (students) from 0 up to at least ``highest``, at most six, a step of 1, 2 or 5 times
    10^k."""
    step = 1
    while math.ceil(max(highest, 1) / step) > 5:
        step = _next_step(step + 1)
    return list(range(0, math.ceil(max(highest, 1) / step) * step + 1, step))


def _next_step(step: int) -> int:
    """The smallest 1, 2 or 5 times 10^k not below ``step``."""
    magnitude = 10 ** (len(str(step)) - 1)
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= step)


def _text(x: float, y: float, text: str, size: int = 10, anchor: str = "middle", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{INK}"{extra}>'
            f"{escape(text)}</text>")


def _panel(name: str, maximum: float, percent: pd.Series, first: bool) -> str:
    """One assignment's histogram as SVG elements in a ``WIDTH`` x ``HEIGHT`` box."""
    values = percent.to_numpy(dtype=np.float64)
    values = values[np.isfinite(values)]
    counts, _ = np.histogram(np.clip(values, 0.0, 100.0), bins=BINS)
    ticks = y_ticks(int(counts.max()))  # ten bins, always
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP  # y0: the axis, y1: the top

    def x(p: float) -> float:
        return x0 + (x1 - x0) * p / 100.0

    def y(count: float) -> float:
        return y0 - (y0 - y1) * count / ticks[-1]

    parts = [_text(WIDTH / 2, 16, one_line(f"{name} (max {maximum:g} points)"), 11)]
    for count in ticks:  # grid lines and the y axis's labels
        parts.append(f'<line x1="{x0}" x2="{x1}" y1="{y(count):.1f}" y2="{y(count):.1f}" stroke="#e0e0e0"/>')
        parts.append(_text(x0 - 5, y(count) + 3.5, str(count), 9, "end"))
    for left, count in zip(BINS[:-1], counts, strict=True):
        if count:
            parts.append(f'<rect x="{x(left):.1f}" y="{y(count):.1f}" width="{x(left + 10) - x(left):.1f}" '
                         f'height="{y0 - y(count):.1f}" fill="{HISTOGRAM}" stroke="white"/>')  # fmt: skip
    parts.append(f'<line x1="{x0}" x2="{x1}" y1="{y0}" y2="{y0}" stroke="{INK}"/>')
    parts.append(f'<line x1="{x0}" x2="{x0}" y1="{y0}" y2="{y1}" stroke="{INK}"/>')
    for p in range(0, 101, 20):
        parts.append(f'<line x1="{x(p):.1f}" x2="{x(p):.1f}" y1="{y0}" y2="{y0 + 4}" stroke="{INK}"/>')
        parts.append(_text(x(p), y0 + 15, str(p), 9))
    parts.append(_text((x0 + x1) / 2, HEIGHT - 8, "score (% of max)"))
    if first:
        parts.append(_text(12, (y0 + y1) / 2, "students", extra=f' transform="rotate(-90 12 {(y0 + y1) / 2:.1f})"'))
    if len(values):
        mean = float(values.mean())
        parts.append(f'<line x1="{x(mean):.1f}" x2="{x(mean):.1f}" y1="{y0}" y2="{y1}" stroke="{MEAN}" '
                     'stroke-width="2"/>')  # fmt: skip
        parts.append(f'<line x1="{x0 + 8}" x2="{x0 + 24}" y1="{y1 + 10}" y2="{y1 + 10}" stroke="{MEAN}" '
                     'stroke-width="2"/>')  # fmt: skip
        parts.append(_text(x0 + 28, y1 + 13.5, f"mean {mean:.0f} %", 9, "start"))
    else:
        parts.append(_text((x0 + x1) / 2, (y0 + y1) / 2, "no graded hand-ins", 10))
    return "".join(parts)
