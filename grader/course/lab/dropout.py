"""Dropout in train mode, judged from a train-mode output in which every entry is one hidden unit.

With ``unit_revealing_weights`` the eval-mode output ``h`` (N, H) holds the hidden units themselves, all at least
0.5. Inverted dropout makes the train-mode entry ``0`` where the unit was dropped and exactly ``h / (1 - p)``
where it was kept, each unit dropped independently with probability p. So from the output alone:

- the rescale is checked exactly: every entry is 0 or h / (1 - p) (float32 precision);
- the drop rate is checked statistically: the share of zeros among the n = N·H entries is a mean of n i.i.d.
  Bernoulli(p) variables, so by Hoeffding it is within ``hoeffding_halfwidth(n, 0, 1)`` of p except with
  probability ``DELTA`` = 1e-7. That one test is the check's only chance of failing a correct model: below 1e-6.
"""

from __future__ import annotations

import numpy as np

from grader.checks.compare import FLOAT32_RTOL
from grader.checks.statistical import DELTA, hoeffding_halfwidth

ZERO = 1e-6  # a dropped unit reads exactly 0; kept units read at least 0.5


def _scaled_by(out: np.ndarray, h: np.ndarray, factor: float) -> np.ndarray:
    """Which entries equal ``factor · h`` within float32 precision (an infinite or NaN entry equals nothing)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(out - factor * h) <= FLOAT32_RTOL * factor * h


def dropout_problem(out: np.ndarray, h: np.ndarray, p: float, hidden: bool) -> tuple[str, str]:
    """(problem, mistake) of a train-mode output ``out`` against the units ``h`` and the dropout rate p, or
    ("", "") when both the rescale and the drop rate are right. Hidden checks' messages state no numbers."""
    dropped = np.abs(out) <= ZERO
    kept = ~dropped
    if not np.any(dropped) and np.all(_scaled_by(out, h, 1.0)):
        return "with p_dropout > 0 the train-mode output equals the eval-mode output: dropout is not applied", \
            "dropout_p_ignored"
    if not np.all(_scaled_by(out[kept], h[kept], 1.0 / (1.0 - p))):
        if np.all(_scaled_by(out[kept], h[kept], 1.0)):
            return "in train mode the kept units are not scaled by 1/(1 - p)", "build_dropout_not_rescaled"
        ratios = out[kept] / h[kept]
        if ratios.size and np.all(_scaled_by(out[kept], h[kept], float(np.median(ratios)))) and ratios[0] > 1:
            return "in train mode the kept units are scaled by 1/(1 - q) for some q other than p_dropout", \
                "dropout_p_ignored"
        return "in train mode each hidden unit should be either dropped (0) or kept and scaled by 1/(1 - p)", ""
    n = out.size
    rate, halfwidth = float(np.mean(dropped)), hoeffding_halfwidth(n, 0.0, 1.0, DELTA)
    if abs(rate - p) < halfwidth:
        return "", ""
    numbers = "" if hidden else f" ({rate:.3f} of {n} units dropped, expected {p} ± {halfwidth:.3f})"
    return f"in train mode the share of dropped units is far from p_dropout{numbers}", "dropout_p_ignored"
