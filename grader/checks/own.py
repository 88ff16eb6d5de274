"""Judging a target on its own when it calls the student's other functions.

``batch_gd`` calls the student's ``gd_step``; ``mlp_backward`` their ``linear_backward``. When such a
target's answer is wrong, an ``own(ctx, args)`` function recomputes the right answer with the student's
own helpers (through ``helper``, i.e. more calls into the sandbox); if the answer matches that, the
target is right and only the helper's own checks charge the bug.

The excuse cannot be bought: it holds only when a helper the recomputation called has itself failed one
of its own checks in this submission (the engine judges helpers before the targets that call them), and
the recomputation runs in a fresh process, so a helper that remembered the target's inputs, or counts
its calls, has nothing to go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from grader.checks.base import Context
from grader.checks.compare import DEFAULT_RTOL, as_numeric, compare
from grader.protocol.outcomes import Returned

Own = Callable[[Context, tuple], Any]
Shape = tuple[int, ...]


class HelperFailed(Exception):
    """A student's helper function did not return a usable answer."""


def _numeric(value: Any, shape: Shape | None, function: str) -> np.ndarray:
    array = as_numeric(value)
    if array is None or shape is not None and array.shape != tuple(shape):
        raise HelperFailed(function)
    return array.astype(np.float64)


def helper(ctx: Context, function: str, *call_args: Any, shape: Shape | Sequence[Shape | None] | None = None) -> Any:
    """The student's own ``function`` on these arguments: an array (of ``shape`` unless None), or a list
    of arrays when ``shape`` is a list (a tuple return; None entries take any shape). ``HelperFailed``
    if it raised, hung or returned anything else. A wrong shape is kept where it is None: the student's
    later steps may well be consistent with it."""
    ctx.extras.setdefault("helpers", set()).add(function)
    outcome = ctx.call_function(function, *call_args)
    if not isinstance(outcome, Returned):
        raise HelperFailed(function)
    if isinstance(shape, list):
        parts = outcome.value
        if not isinstance(parts, (list, tuple)) or len(parts) != len(shape):
            raise HelperFailed(function)
        return [_numeric(p, s, function) for p, s in zip(parts, shape, strict=True)]
    return _numeric(outcome.value, shape, function)


def right_given_own(ctx: Context, own: Own, args: tuple, value: Any, view: Callable[[Any], Any] = lambda e: e, *,
                    values: bool = True, rtol: float = DEFAULT_RTOL) -> bool:
    """Whether ``value`` matches (the ``view`` of) the answer computed with the student's own helpers, in a
    fresh process, given that one of those helpers failed its own checks (see the module docstring)."""
    ctx.extras["helpers"] = set()
    ctx.restart()
    try:
        theirs = own(ctx, args)
    except Exception:  # noqa: BLE001 - a helper's odd answer can break the recomputation: then no excuse
        return False
    finally:
        ctx.restart()  # the checks after this one run as they would have without the recomputation
    if not ctx.extras["helpers"] & ctx.failed:
        return False
    return compare(value, view(theirs), values=values, rtol=rtol) is None


def message(target: str) -> str:
    return f"{target} is right given your own helper functions (their own checks grade them)"
