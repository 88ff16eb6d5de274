"""The report's figures, drawn off-screen (Agg) and returned as ``data:image/png;base64`` URIs so the
HTML report is one self-contained file.

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
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from grader.reports.safe_text import one_line

MAX_NAMED = 120  # students in the heat map beyond which names are unreadable
HISTOGRAM = "#1565c0"
VISIBILITY_COLOURS = {"public": "#1565c0", "hidden": "#6a1b9a"}
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


@_plain_text
def score_distributions(gradebook: pd.DataFrame, maxima: pd.Series) -> str:
    """One histogram per assignment of the students' raw score in percent of the maximum, mean marked."""
    keys = list(maxima.index)
    fig = Figure(figsize=(3.2 * max(1, len(keys)), 2.6))
    axes = fig.subplots(1, max(1, len(keys)), squeeze=False)[0]
    bins = np.linspace(0, 100, 11)
    for ax, key in zip(axes, keys, strict=False):
        percent = 100.0 * gradebook[key].astype(float) / maxima[key]
        ax.hist(percent, bins=bins, color=HISTOGRAM, edgecolor="white")
        ax.axvline(percent.mean(), color="#ef6c00", linewidth=2, label=f"mean {percent.mean():.0f} %")
        ax.set_title(f"{key} (max {maxima[key]:g} points)", fontsize=10)
        ax.set_xlabel("score (% of max)")
        ax.set_xlim(0, 100)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole students
        ax.legend(fontsize=8, loc="upper left")
    axes[0].set_ylabel("students")
    return _data_uri(fig)


@_plain_text
def pass_rates(checks: pd.DataFrame) -> str:
    """Horizontal bars: the pass rate of every check, grouped by assignment, coloured by visibility."""
    frame = checks.sort_values(["assignment", "check_id"], ascending=False, ignore_index=True)
    height = 0.8 + 0.17 * len(frame)
    fig = Figure(figsize=(9, height))
    ax = fig.subplots()
    colours = [VISIBILITY_COLOURS.get(v, "grey") for v in frame["visibility"]]
    ax.barh(np.arange(len(frame)), 100 * frame["pass_rate"], color=colours, height=0.75)
    ax.set_yticks(np.arange(len(frame)), labels=_labels(frame["check_id"]), fontsize=7)
    ax.set_ylim(-0.6, len(frame) - 0.4)
    ax.set_xlim(0, 100)
    ax.set_xlabel("students passing (%)")
    ax.xaxis.set_ticks_position("both")
    ax.tick_params(axis="x", labeltop=True)
    for key in frame["assignment"].unique()[1:]:
        ax.axhline(frame.index[frame["assignment"] == key].max() + 0.5, color="black", linewidth=0.6)
    handles = [Patch(color=c, label=v) for v, c in VISIBILITY_COLOURS.items()]
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    return _data_uri(fig)


@_plain_text
def heatmap(scores: pd.DataFrame) -> str:
    """Students (rows) × targets (columns): fraction of the target's points earned; grey where not graded.
    Up to MAX_NAMED students are named, in id order; a larger class is sorted by overall fraction instead."""
    n_students, n_targets = scores.shape
    if n_students > MAX_NAMED:
        scores = scores.iloc[np.argsort(-scores.mean(axis=1).to_numpy(), kind="stable")]
    fig = Figure(figsize=(max(6.0, 0.22 * n_targets + 2.5), min(24.0, max(3.0, 0.2 * n_students + 2.0))))
    ax = fig.subplots()
    cmap = ListedColormap(["#c62828", "#ef6c00", "#fdd835", "#9ccc65", "#2e7d32"]).with_extremes(bad="#d0d0d0")
    image = ax.imshow(np.ma.masked_invalid(scores.to_numpy(dtype=float)), cmap=cmap, vmin=0, vmax=1,
                      aspect="auto", interpolation="nearest")  # fmt: skip
    ax.set_xticks(np.arange(n_targets), labels=_labels(scores.columns), rotation=90, fontsize=7)
    if n_students <= MAX_NAMED:
        ax.set_yticks(np.arange(n_students), labels=_labels(scores.index), fontsize=7)
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{n_students} students, best first")
    assignments = [c.split(".")[0] for c in scores.columns]
    for i in range(1, n_targets):
        if assignments[i] != assignments[i - 1]:
            ax.axvline(i - 0.5, color="black", linewidth=1)
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02, label="fraction of points")
    return _data_uri(fig)
