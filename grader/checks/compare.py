"""Compare a returned value with the expected one: structure, then shape, then dtype and finiteness, then values.

Values are close when ``|a - e| <= rtol * (|e| + max|e|)``: relative to each element and to the array's
scale, so cancellation in a correct formula (``1 - sigmoid`` near 1) is not an error. The check sets the
tolerance, never the student: a float32 result gets float32's precision (``rtol`` at least
``FLOAT32_RTOL``) only where the check accepts float32 (``float32=True``); elsewhere returning float32
would widen a tolerance built to catch a small mistake (an ignored ``eps``). Messages speak to the student; with
``hidden=True`` they never show an expected value or a shape (the student's own shape would tell the
hidden case's sizes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_RTOL = 1e-6
FLOAT32_RTOL = 1e-4
TINY = 1e-12


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()  # in an expected value: accept whatever came back here (e.g. a cache)


@dataclass(frozen=True)
class Mismatch:
    name: str  # which part of the return: "dW", "result", "result[1]"
    problem: str  # "type", "length", "shape", "dtype", "nonfinite", "values"
    message: str
    error: float = float("nan")  # largest error relative to the expected scale ("values" only)


def describe(value: Any) -> str:
    """How a student would recognise what they returned."""
    if value is None:
        return "None (a missing return?)"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}" if value.ndim else "a 0-d array"
    if isinstance(value, (list, tuple)):
        return f"a sequence of {len(value)} values"
    return f"a {type(value).__name__}"


def as_numeric(value: Any) -> np.ndarray | None:
    """``value`` as a real numeric array, or None when it is not numbers (None, str, ragged, complex...)."""
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return np.asarray(value)
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind in "biuf" else None
    if isinstance(value, (list, tuple)):
        try:
            array = np.array(value)
        except ValueError:  # ragged
            return None
        return array if array.dtype.kind in "biuf" else None
    return None


def all_numeric(values: Sequence[Any]) -> list[np.ndarray] | None:
    """Every value as a real numeric array (``as_numeric``), or None when one of them is not numbers."""
    arrays = [as_numeric(v) for v in values]
    return None if any(a is None for a in arrays) else [a for a in arrays if a is not None]


def rtol_for(actual: np.ndarray, rtol: float, float32: bool = False) -> float:
    """The tolerance for ``actual``: float32's precision where the check accepts float32, else ``rtol``."""
    narrow = actual.dtype.kind == "f" and actual.dtype.itemsize < 8
    return max(rtol, FLOAT32_RTOL) if float32 and narrow else rtol


def _parts(names: Sequence | None, name: str, k: int) -> list[tuple[str, Sequence | None]]:
    """A label and the nested names for each part; ``names`` may nest, e.g. ``[("dW0", "db0"), ...]``."""
    if names is None or len(names) != k:
        return [(f"{name}[{i}]", None) for i in range(k)]
    return [(n, None) if isinstance(n, str) else (f"{name}[{i}]", n) for i, n in enumerate(names)]


def compare(
    actual: Any,
    expected: Any,
    *,
    name: str = "result",
    names: Sequence | None = None,
    rtol: float = DEFAULT_RTOL,
    values: bool = True,
    hidden: bool = False,
    float32: bool = False,
) -> Mismatch | None:
    """The first way ``actual`` differs from ``expected``, or None when it matches.

    ``names`` labels the parts of a tuple return (``("dX", "dW", "db")``); ``values=False`` checks
    structure, shapes and dtypes only; ``float32=True`` accepts float32 results at float32's precision.
    """
    if expected is ANY:
        return None
    if isinstance(expected, (list, tuple)):
        k = len(expected)
        parts = _parts(names, name, k)
        if not isinstance(actual, (list, tuple)):
            labels = [label for label, _ in parts]
            what = f"({', '.join(labels)})" if names else f"{k} values"
            return Mismatch(name, "type", f"{name} should be a tuple {what}; got {describe(actual)}")
        if len(actual) != k:
            return Mismatch(name, "length", f"{name} should hold {k} values; got {len(actual)}")
        for a, e, (part, sub) in zip(actual, expected, parts, strict=True):
            found = compare(a, e, name=part, names=sub, rtol=rtol, values=values, hidden=hidden, float32=float32)
            if found is not None:
                return found
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            keys = ", ".join(sorted(expected))
            return Mismatch(name, "type", f"{name} should be a dict with keys {keys}; got {describe(actual)}")
        missing = [k for k in expected if k not in actual]
        if missing:
            return Mismatch(name, "type", f"{name} lacks the key(s) {missing}")
        for key, e in expected.items():
            found = compare(actual[key], e, name=f"{name}[{key!r}]", rtol=rtol, values=values, hidden=hidden,
                            float32=float32)
            if found is not None:
                return found
        return None
    if expected is None or isinstance(expected, str):
        if actual == expected:
            return None
        return Mismatch(name, "type", f"{name} should be {expected!r}; got {describe(actual)}")
    return _compare_leaf(actual, expected, name=name, rtol=rtol, values=values, hidden=hidden, float32=float32)


def _compare_leaf(actual: Any, expected: Any, *, name: str, rtol: float, values: bool, hidden: bool,
                  float32: bool) -> Mismatch | None:
    e = np.asarray(expected, dtype=np.float64)
    a = as_numeric(actual)
    if a is None:
        kind = "an array" if e.ndim else "a number"
        return Mismatch(name, "type", f"{name} should be {kind}; got {describe(actual)}")
    if a.shape != e.shape:
        if e.ndim == 0:
            return Mismatch(name, "shape", f"{name} should be a single number; got {describe(a)} (use float(...))")
        if hidden:  # the student's own shape would tell the hidden case's sizes
            dims = f" (it has {a.ndim} dimensions, expected {e.ndim})" if a.ndim != e.ndim else ""
            return Mismatch(name, "shape", f"{name} does not have the expected shape{dims}")
        return Mismatch(name, "shape", f"{name} has shape {a.shape}, expected {e.shape}")
    if not values:
        return None
    a64 = a.astype(np.float64)
    if not np.all(np.isfinite(a64)) and np.all(np.isfinite(e)):
        return Mismatch(name, "nonfinite", f"{name} contains NaN or inf: an overflow? use a numerically stable formula")
    scale = float(np.max(np.abs(e))) if e.size else 0.0
    err = np.abs(a64 - e)
    tol = rtol_for(a, rtol, float32) * (np.abs(e) + scale) + TINY
    bad = ~(err <= tol)
    if not np.any(bad):
        return None
    rel = float(np.max(err)) / max(scale, TINY)
    if e.ndim == 0:
        message = f"{name} is wrong (relative error {rel:.1e})"
        message += "" if hidden else f": got {float(a64):.6g}, expected {float(e):.6g}"
        return Mismatch(name, "values", message, rel)
    message = f"{name} has wrong values (largest error {rel:.1e} relative to the largest expected value)"
    if not hidden:
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        message += f"; e.g. at index {list(where)} got {a64[where]:.6g}, expected {e[where]:.6g}"
    return Mismatch(name, "values", message, rel)
