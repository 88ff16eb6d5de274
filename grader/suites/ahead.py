"""Calls sent ahead: the calls of consecutive checks go to the sandbox in one round trip.

A check of a ``Kind.call_ahead`` kind makes one call, whose arguments follow from its seed and the references.
Before such checks run, each is run once against a planner that records its call and stops it there; the
recorded calls go to the worker together (``call_ahead``), the child runs them one after the other, in the order
the checks would have made them, and replies to each as it finishes. Then the checks run as usual and each gets
the outcome of its call as if it had made it then (``Sent.matches``): the student's process sees the same calls
in the same order, each under its own timeout, measured outside it.

A batch never holds checks of both visibilities (``run_order`` puts the public ones first): no hidden input is in a
process while it serves a public check. A check that judges the arguments read back after its call ends its batch,
so that no student code runs between that call and the reading (``Kind.reads_back``); the calls of a batch share
one memory file for their arrays, read back once all have ended.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.checks.base import Check, Kind, References, make_context
from grader.checks.expectations import Expectations
from grader.protocol.outcomes import Outcome
from grader.protocol.wire import array_bytes

MAX_CALLS = 64  # calls in one batch
MAX_BYTES = 16 * 2**20  # array bytes in one batch's arguments
PLANNED = "call planned ahead"  # the label of a check's planned call among what it expects


@dataclass(frozen=True)
class Sent:
    """One call sent ahead: what a check will ask for (``timeout`` as capped when it was sent). ``last``: its
    check judges the arguments read back after it (``Kind.reads_back``), so it ends its batch."""

    function: str
    args: tuple
    kwargs: dict
    timeout: float
    last: bool = False

    def matches(self, function: str, args: tuple, kwargs: dict) -> bool:
        """Whether a call asks exactly for this one: the same function, and arguments equal to the last bit."""
        return function == self.function and _same(args, self.args) and _same(kwargs, self.kwargs)


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and _same_bits(a, b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, float) and a != a:
        return b != b  # NaN
    return bool(a == b)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays of one dtype and shape hold the same bits (a NaN equals the same NaN, -0.0 differs from
    0.0), compared as unsigned integers of the same size: no copy of either (a copy of a large input costs more
    than the comparison)."""
    if a.dtype.itemsize in (1, 2, 4, 8):
        as_bits = np.dtype(f"u{a.dtype.itemsize}")
        return bool(np.array_equal(a.view(as_bits), b.view(as_bits)))
    return a.tobytes() == b.tobytes()


class _Planned(Exception):
    def __init__(self, sent: Sent) -> None:
        self.sent = sent


class _NotPlannable(Exception):
    pass


class _Unread(Mapping[str, frozenset[str]]):
    """``ctx.failed`` while a call is planned: the failures of the checks before are not known yet."""

    def __getitem__(self, key: str) -> frozenset[str]:
        raise _NotPlannable

    def __iter__(self) -> Iterator[str]:
        raise _NotPlannable

    def __len__(self) -> int:
        raise _NotPlannable


class _Planner:
    """A worker that records the first call and stops the check there; anything else stops planning."""

    def call(self, function: str, args: tuple, kwargs: dict, *, timeout: float) -> Outcome:
        raise _Planned(Sent(function, tuple(args), dict(kwargs), timeout))

    def procedure(self, name: str, payload: dict, *, timeout: float) -> Outcome:
        raise _NotPlannable

    def restart(self) -> None:
        raise _NotPlannable


def planned_call(check: Check, references: References, secret: str, *, fresh_public: bool = False,
                 kinds: Mapping[str, Kind], fingerprint: str | None = None) -> Sent | None:
    """The call ``check`` will make first, or None when it cannot be known ahead (a kind that does not call ahead,
    a check that reads what failed before it, asks for anything else first, or fails to plan). It follows from the
    check's record and seed alone, so with a store of expectations (``fingerprint`` given) it is planned once per
    run and every later student gets a copy."""
    kind = kinds.get(check.kind)
    if kind is None or not kind.call_ahead:  # a fresh kind restarts first, which stops planning
        return None
    store = getattr(references, "expectations", None)
    remembered = store if isinstance(store, Expectations) and fingerprint else None
    ctx = make_context(check, _Planner(), references, secret, fresh_public=fresh_public, expectations=remembered,
                       fingerprint=fingerprint or "")
    ctx.failed = _Unread()

    def plan() -> tuple[str, tuple, dict, float] | None:
        try:
            kind.run(ctx, **check.params)
        except _Planned as planned:
            return planned.sent.function, planned.sent.args, planned.sent.kwargs, planned.sent.timeout
        except Exception:  # noqa: BLE001 - _NotPlannable, or a check that fails: it runs as usual and says so
            return None
        return None

    call = ctx.expected(PLANNED, plan)
    if call is None:
        return None
    function, args, kwargs, timeout = call
    return Sent(function, args, kwargs, timeout, last=kind.reads_back)


def plan_batch(checks: Sequence[Check], plan: Any) -> list[Sent]:
    """The calls ``checks`` make, from the first on, while each can be planned (``plan(check)``: its ``Sent`` or
    None) and the batch stays within ``MAX_CALLS`` and ``MAX_BYTES`` and one visibility; a call whose arguments are
    judged as read back after it (``Sent.last``) is the batch's last."""
    batch: list[Sent] = []
    size = 0
    for check in checks:
        if len(batch) >= MAX_CALLS or check.visibility != checks[0].visibility:
            break
        sent = plan(check)
        if sent is None:
            break
        size += array_bytes(sent.args) + array_bytes(sent.kwargs)
        if size > MAX_BYTES and batch:
            break
        batch.append(sent)
        if sent.last:
            break
    return batch
