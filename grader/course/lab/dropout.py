"""Dropout in train mode, judged from a train-mode output in which every entry is one hidden unit.

With ``unit_revealing_weights`` the eval-mode output ``h`` (N, H) holds the hidden units themselves, all at least
0.5. Inverted dropout makes the train-mode entry ``0`` where the unit was dropped and exactly ``h / (1 - p)``
where it was kept, each unit dropped independently with probability p (with B hidden blocks, each ending in its
own Dropout(p), and identity layers between them, an entry is kept only if every block keeps it: all below holds
with 1 - (1 - p)^B for p). So from the output alone:

- the rescale is checked exactly: every entry is 0 or h / (1 - p) (float32 precision);
- the drop rate is checked statistically: the share of zeros among the n = N·H entries is a mean of n i.i.d.
  Bernoulli(p) variables, so by Hoeffding it is within ``hoeffding_halfwidth(n, 0, 1)`` of p except with
  probability ``DELTA`` = 1e-7;
- so is the independence of the entries (``independence_problem``, on the two train-mode passes' masks): each
  unit's share of drops over the N rows is within the Hoeffding half-width of p (a mask shared by every row drops
  a unit in all rows or none), the share of rows dropped or kept whole stays near p^H + (1 - p)^H (a mask per row
  drops rows whole), and the two passes agree on a share p² + (1 - p)² of the entries (a mask made from the one
  before, or from a counter, does not), each test at ``DELTA`` (the unit test at DELTA / H per unit).

These seven tests are the check's only chance of failing a correct model: below 1e-6 in all. A dropout that draws
its masks from a generator of its own passes them, as it should.
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


def independence_problem(dropped: list[np.ndarray], p: float) -> str:
    """The problem with the masks ``dropped`` (each (N, H), True where a unit was dropped) of train-mode passes, or
    "" when they look like independent Bernoulli(p) entries, fresh on every pass (see the module docstring)."""
    N, H = dropped[0].shape
    by_unit, by_row = hoeffding_halfwidth(N, 0.0, 1.0, DELTA / H), hoeffding_halfwidth(N, 0.0, 1.0, DELTA)
    for mask in dropped:
        if np.any(np.abs(mask.mean(axis=0) - p) >= by_unit):
            return "in train mode some hidden units are dropped in far more or far fewer rows than a share " \
                "p_dropout: each entry should be dropped on its own, not with one mask shared by every row"
        whole = float(np.mean(mask.all(axis=1) | ~mask.any(axis=1)))
        if whole - (p**H + (1.0 - p) ** H) >= by_row:
            return "in train mode whole rows are dropped or kept together: each entry should be dropped on its " \
                "own, not with one mask per row"
    if len(dropped) > 1:
        agree = float(np.mean(dropped[0] == dropped[1]))
        if abs(agree - (p * p + (1.0 - p) ** 2)) >= hoeffding_halfwidth(N * H, 0.0, 1.0, DELTA):
            return "in train mode the units dropped on one forward pass depend on those dropped on the one " \
                "before: dropout should draw a fresh random mask each time"
    return ""


def first_layer_gradients(weights: list, X: np.ndarray, out: np.ndarray, p: float, upstream: np.ndarray
                          ) -> list[np.ndarray]:
    """``[dW1, db1]`` of ``sum(out * upstream)`` for ``Linear(D, H) -> ReLU -> Dropout -> ...`` under the
    unit-revealing ``weights`` (every first pre-activation positive, every later layer the identity), with the mask
    the train-mode output ``out`` (N, H) shows, ``p`` the share of entries dropped: S = (out ≠ 0) / (1 - p),
    Z = X W1ᵀ + b1, dZ = (G W_last ⋯ W2) ⊙ S ⊙ [Z > 0], dW1 = dZᵀ X, db1 = Σ dZ (G the upstream, N × C). A ReLU
    after the identity layers leaves these alone."""
    (W1, b1), *later = [[np.asarray(a, np.float64) for a in layer] for layer in weights]
    X, back = np.asarray(X, np.float64), np.asarray(upstream, np.float64)
    for W, _ in reversed(later):
        back = back @ W
    Z = X @ W1.T + b1
    dZ = back * (np.abs(out) > ZERO) / (1.0 - p) * (Z > 0)
    return [dZ.T @ X, dZ.sum(axis=0)]
