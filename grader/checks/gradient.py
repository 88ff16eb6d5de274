"""Finite-difference gradient checks, in float64, as in CS231n's ``gradient_check.py``.

For a forward ``f`` and a random upstream gradient ``G`` (never all ones: that hides a forgotten
``dY``), the gradient of the scalar ``Σ f(x)·G`` by ``x`` is what a backward must return for ``dY = G``.
Inputs come from generators that keep them away from kinks (ReLU at 0) and ties (max), where a
centred difference gives ½, which is neither rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from grader.checks.compare import Mismatch, as_numeric, compare

EPS = 1e-6
MAX_REL_ERROR = 1e-5
MAX_REL_ERROR_FLOAT32 = 1e-3


def numeric_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Central differences ``(f(x + eps e_i) − f(x − eps e_i)) / (2 eps)`` for every element of ``x``."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + eps
        plus = f(x.copy())
        x[i] = saved - eps
        minus = f(x.copy())
        x[i] = saved
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def objective(output: Any, upstream: Any) -> float:
    """``Σ output·upstream`` over matching nested structures (a tuple output takes a tuple upstream)."""
    if isinstance(output, (list, tuple)):
        return float(sum(objective(o, u) for o, u in zip(output, upstream, strict=True)))
    return float(np.sum(np.asarray(output, dtype=np.float64) * upstream))


def rel_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """CS231n's ``max |a − n| / max(|a| + |n|, floor)``, with the floor at 1e-3 of the gradient's scale so
    that elements near zero do not turn rounding noise into a large relative error."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.size == 0:
        return 0.0
    floor = max(1e-3 * float(np.max(np.abs(n))), 1e-10)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)))


def upstream(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A random upstream gradient: standard normal, so never all ones."""
    return rng.standard_normal(shape)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], margin: float = 0.1) -> np.ndarray:
    """Random values with ``|v| >= margin``: a finite difference of ReLU at these never crosses the kink."""
    return rng.choice([-1.0, 1.0], size=shape) * (margin + np.abs(rng.standard_normal(shape)))


def apart(rng: np.random.Generator, shape: tuple[int, ...], gap: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Two random arrays that differ by at least ``gap`` everywhere: no ties for max."""
    X1 = rng.standard_normal(shape)
    return X1, X1 + away_from_zero(rng, shape, gap)


def gradient_mismatch(
    actual: Any, numeric: Any, *, name: str = "result", names: Sequence | None = None, hidden: bool = False,
    float32: bool = False,
) -> Mismatch | None:
    """The first part of ``actual`` whose relative error against ``numeric`` is too large, or None.

    ``numeric`` may nest (tuples of arrays); ``names`` labels its parts as in ``compare``. A float32 answer
    gets float32's limit only where the check accepts float32 (``float32=True``).
    """
    found = compare(actual, numeric, name=name, names=names, values=False, hidden=hidden)
    if found is not None:
        return found
    if isinstance(numeric, (list, tuple)):
        for i, (a, n) in enumerate(zip(actual, numeric, strict=True)):
            sub = names[i] if names is not None and len(names) == len(numeric) else None
            label, nested = (sub, None) if isinstance(sub, str) else (f"{name}[{i}]", sub)
            found = gradient_mismatch(a, n, name=label, names=nested, hidden=hidden, float32=float32)
            if found is not None:
                return found
        return None
    a = as_numeric(actual)
    if a is None:  # compare(values=False) above let only numbers through
        return Mismatch(name, "type", f"{name} should be an array; got something else")
    if not np.all(np.isfinite(a)):
        return Mismatch(name, "nonfinite", f"{name} contains NaN or inf: an overflow? use a numerically stable formula")
    limit = MAX_REL_ERROR_FLOAT32 if float32 and a.dtype.kind == "f" and a.dtype.itemsize < 8 else MAX_REL_ERROR
    err = rel_error(a, numeric)
    if err <= limit:
        return None
    return Mismatch(name, "gradient", f"{name} disagrees with a finite-difference gradient of the forward "
                    f"(relative error {err:.1e}; at most {limit:.0e} passes)", err)
