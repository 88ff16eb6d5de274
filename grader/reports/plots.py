"""The report's figure (the score distributions; the heat map and pass rates are HTML: ``heatmap``), drawn
off-screen (Agg) and returned as a ``data:image/png;base64`` URI so the HTML report is one self-contained file.

Labels are student ids and check ids: drawn as plain text, never mathtext or TeX (a folder named
``$\\foo$`` would make matplotlib's math parser raise), with control characters shown as escapes.
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Callable
from typing import Any, cast

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from grader.reports import part_cache
from grader.reports.safe_text import one_line

HISTOGRAM = "#1565c0"
# Read when each Text is made, tick labels included, some of them only while saving: so for the whole call.
PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}


def _plain_text(draw: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(draw)
    def drawn(*args, **kwargs) -> str:
        with matplotlib.rc_context(cast(Any, PLAIN_TEXT)):  # the stubs know rc keys as literals only
            return draw(*args, **kwargs)

    return drawn


def _labels(values) -> list[str]:
    return [one_line(str(v)) for v in values]


def _data_uri(fig: Figure) -> str:
    FigureCanvasAgg(fig)  # Figure without pyplot: no global state, no display needed
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def plotted(gradebook: pd.DataFrame, maxima: pd.Series) -> list[tuple[str, float, np.ndarray]]:
    """What ``score_distributions`` draws: per assignment, its maximum and the graded hand-ins' percents."""
    found = []
    for key in maxima.index:
        graded = gradebook[gradebook[f"{key}_status"] == "graded"] if f"{key}_status" in gradebook else gradebook
        percent = 100.0 * graded[key].astype(float) / maxima[key]
        found.append((str(key), float(maxima[key]), percent.to_numpy(dtype=np.float64)))
    return found


def score_distributions(gradebook: pd.DataFrame, maxima: pd.Series, cache: part_cache.PartCache | None = None) -> str:
    """One histogram per assignment of the graded hand-ins' raw score in percent of the maximum, mean marked;
    with ``cache``, drawn again only when what it shows changed."""
    if cache is None:
        return _draw(gradebook, maxima)
    shown = [(name, maximum, percent.tobytes()) for name, maximum, percent in plotted(gradebook, maxima)]
    return cache.get("score_distributions", part_cache.key(shown), lambda: _draw(gradebook, maxima))


@_plain_text
def _draw(gradebook: pd.DataFrame, maxima: pd.Series) -> str:
    keys = list(maxima.index)
    fig = Figure(figsize=(3.2 * max(1, len(keys)), 2.6))
    axes = fig.subplots(1, max(1, len(keys)), squeeze=False)[0]
    bins = np.linspace(0, 100, 11)
    for ax, key in zip(axes, keys, strict=False):
        graded = gradebook[gradebook[f"{key}_status"] == "graded"] if f"{key}_status" in gradebook else gradebook
        percent = 100.0 * graded[key].astype(float) / maxima[key]
        ax.hist(percent, bins=bins, color=HISTOGRAM, edgecolor="white")
        ax.axvline(percent.mean(), color="#ef6c00", linewidth=2, label=f"mean {percent.mean():.0f} %")
        ax.set_title(f"{key} (max {maxima[key]:g} points)", fontsize=10)
        ax.set_xlabel("score (% of max)")
        ax.set_xlim(0, 100)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole students
        ax.legend(fontsize=8, loc="upper left")
    axes[0].set_ylabel("students")
    return _data_uri(fig)
