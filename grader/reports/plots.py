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


def _plain_text(draw: Callable[..., bytes]) -> Callable[..., bytes]:
    @functools.wraps(draw)
    def drawn(*args, **kwargs) -> bytes:
        with matplotlib.rc_context(cast(Any, PLAIN_TEXT)):  # the stubs know rc keys as literals only
            return draw(*args, **kwargs)

    return drawn


def _labels(values) -> list[str]:
    return [one_line(str(v)) for v in values]


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)  # Figure without pyplot: no global state, no display needed
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def plotted(gradebook: pd.DataFrame, maxima: pd.Series) -> list[tuple[str, float, pd.Series]]:
    """What ``score_distributions`` draws: per assignment, its maximum and the graded hand-ins' percents."""
    found = []
    for key in maxima.index:
        graded = gradebook[gradebook[f"{key}_status"] == "graded"] if f"{key}_status" in gradebook else gradebook
        found.append((str(key), float(maxima[key]), 100.0 * graded[key].astype(float) / maxima[key]))
    return found


def score_distributions(gradebook: pd.DataFrame, maxima: pd.Series, cache: part_cache.PartCache | None = None) -> str:
    """One histogram per assignment of the graded hand-ins' raw score in percent of the maximum, mean marked,
    side by side in one image. With ``cache``, a histogram is drawn again only when what it shows changed."""
    shown = plotted(gradebook, maxima)
    if cache is None:
        return _image([_panel(name, maximum, percent, n == 0) for n, (name, maximum, percent) in enumerate(shown)])
    keys = [part_cache.key(name, maximum, n == 0, percent.to_numpy(dtype=np.float64))
            for n, (name, maximum, percent) in enumerate(shown)]  # fmt: skip

    def panels() -> str:
        found = []
        for n, ((name, maximum, percent), key) in enumerate(zip(shown, keys, strict=True)):
            draw = functools.partial(_panel, name, maximum, percent, n == 0)
            found.append(base64.b64decode(cache.get(f"score_distribution {name}", key, functools.partial(_text, draw))))
        return _image(found)

    return cache.get("score_distributions", part_cache.key(*keys), panels)


def _image(panels: list[bytes]) -> str:
    return "data:image/png;base64," + base64.b64encode(_side_by_side(panels)).decode("ascii")


@_plain_text
def _panel(name: str, maximum: float, percent: pd.Series, first: bool) -> bytes:
    fig = Figure(figsize=(3.2, 2.6))
    ax = fig.subplots()
    ax.hist(percent, bins=list(np.linspace(0, 100, 11)), color=HISTOGRAM, edgecolor="white")
    ax.axvline(percent.mean(), color="#ef6c00", linewidth=2, label=f"mean {percent.mean():.0f} %")
    ax.set_title(f"{name} (max {maximum:g} points)", fontsize=10)
    ax.set_xlabel("score (% of max)")
    ax.set_xlim(0, 100)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole students
    ax.legend(fontsize=8, loc="upper left")
    if first:
        ax.set_ylabel("students")
    return _png(fig)


def _text(draw: Callable[[], bytes]) -> str:
    return base64.b64encode(draw()).decode("ascii")


def _side_by_side(panels: list[bytes]) -> bytes:
    """The panels in one PNG, left to right, tops aligned, on white."""
    from PIL import Image

    if not panels:
        panels = [_png(Figure(figsize=(3.2, 2.6)))]
    images = [Image.open(io.BytesIO(png)).convert("RGBA") for png in panels]
    whole = Image.new("RGBA", (sum(i.width for i in images), max(i.height for i in images)), (255, 255, 255, 255))
    left = 0
    for image in images:
        whole.paste(image, (left, 0))
        left += image.width
    buffer = io.BytesIO()
    whole.save(buffer, format="PNG")
    return buffer.getvalue()
