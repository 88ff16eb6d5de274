"""Calls sent ahead: the calls of consecutive checks go to the sandbox in one round trip.

A check of a ``Kind.call_ahead`` kind makes one call, whose arguments follow from its seed and the references; one
of a ``Kind.in_turn`` kind makes several, one after the other, whose arguments follow from the same alone, and stops
at the first that does not return (a schedule over many epochs). Before such checks run, each is run once against a
planner that records its calls (giving each a stand-in outcome, ``_Planner``); the recorded calls go to the worker
together (``call_ahead``), the child runs them one after the other, in the order the checks would have made them, and
replies to each as it finishes. Then the checks run as usual and each gets the outcome of its calls as if it had
made them then (``Sent.matches``): the student's process sees the same calls in the same order, each under its own
timeout, measured outside it. The calls of one check carry its ``group``: once one raises, the child makes no more
of them, as the check would not have, and the grader waits for no reply to them.

A batch never holds checks of both visibilities (``run_order`` puts the public ones first): no hidden input is in a
process while it serves a public check. A check that judges the arguments read back after its call ends its batch,
so that no student code runs between that call and the reading (``Kind.reads_back``); the calls of a batch share
one memory file for their arrays, read back once all have ended.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from grader.checks.base import Check, Kind, References, make_context
from grader.checks.expectations import Expectations
from grader.protocol.outcomes import Outcome, Returned
from grader.protocol.wire import array_bytes

MAX_CALLS = 64  # calls in one batch
MAX_BYTES = 16 * 2**20  # array bytes in one batch's arguments
PLANNED = "call planned ahead"  # the label of a check's planned call among what it expects


@dataclass(frozen=True)
class Sent:
    """One call sent ahead: what a check will ask for (``timeout`` as capped when it was sent). ``last``: its
    check judges the arguments read back after it (``Kind.reads_back``), so it ends its batch. ``group``: the
    position of its check among the checks of its batch (``plan_batch``); the child stops a group's calls at the
    first that raises."""

    function: str
    args: tuple
    kwargs: dict
    timeout: float
    last: bool = False
    group: int = 0

    def matches(self, function: str, args: tuple, kwargs: dict) -> bool:
        """Whether a call asks exactly for this one: the same function, and arguments equal to the last bit."""
        return function == self.function and _same(args, self.args) and _same(kwargs, self.kwargs)


def _same(a: Any, b: Any) -> bool:
    if a is b:  # the same remembered input, as planned and as asked for (grader.checks.expectations)
        return True
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
    pass


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
    """A worker that records the calls a check makes: the first only, where the check stops (``call_ahead``), or all
    of them (``in_turn``), each answered with a stand-in the check's judging then runs on, its verdict unused.
    Anything else asked of it stops planning."""

    def __init__(self, in_turn: bool) -> None:
        self.in_turn = in_turn
        self.calls: list[tuple[str, tuple, dict, float]] = []

    def call(self, function: str, args: tuple, kwargs: dict, *, timeout: float) -> Outcome:
        self.calls.append((function, tuple(args), dict(kwargs), timeout))
        if not self.in_turn:
            raise _Planned()
        return Returned(None)

    def procedure(self, name: str, payload: dict, *, timeout: float) -> Outcome:
        raise _NotPlannable

    def restart(self) -> None:
        raise _NotPlannable


def planned_calls(check: Check, references: References, secret: str, *, fresh_public: bool = False,
                  kinds: Mapping[str, Kind], fingerprint: str | None = None) -> list[Sent]:
    """The calls ``check`` will make, from the first, or none when they cannot be known ahead (a kind that does not
    call ahead, a check that reads what failed before it, asks for anything else, or fails to plan). They follow
    from the check's record and seed alone, so with a store of expectations (``fingerprint`` given) they are planned
    once per run and every later student is sent the same (read-only) arguments."""
    kind = kinds.get(check.kind)
    if kind is None or not kind.call_ahead:
        return []
    store = getattr(references, "expectations", None)
    remembered = store if isinstance(store, Expectations) and fingerprint else None
    planner = _Planner(kind.in_turn)
    ctx = make_context(check, planner, references, secret, fresh_public=fresh_public, expectations=remembered,
                       fingerprint=fingerprint or "")
    ctx.failed = _Unread()

    def plan() -> list[tuple[str, tuple, dict, float]]:
        try:
            kind.run(ctx, **check.params)
        except _Planned:
            pass
        except Exception:  # noqa: BLE001 - _NotPlannable, or a check that fails: it runs as usual and says so
            return []
        return list(planner.calls)

    calls = ctx.expected(PLANNED, plan)
    if kind.reads_back:  # its arguments are read back after its first call, which ends the batch
        calls = calls[:1]
    return [Sent(function, args, kwargs, timeout, last=kind.reads_back) for function, args, kwargs, timeout in calls]


def plan_batch(checks: Sequence[Check], plan: Any) -> list[Sent]:
    """The calls ``checks`` make, from the first on, while each can be planned (``plan(check)``: its ``Sent``s, or
    none) and the batch stays within ``MAX_CALLS`` and ``MAX_BYTES`` and one visibility; a call whose arguments are
    judged as read back after it (``Sent.last``) is the batch's last. Each call's ``group`` is its check's position
    among ``checks``; a first check with more than ``MAX_CALLS`` calls sends that many, and makes the rest itself."""
    batch: list[Sent] = []
    size = 0
    for position, check in enumerate(checks):
        if check.visibility != checks[0].visibility:
            break
        calls = plan(check)
        if not calls or (batch and len(batch) + len(calls) > MAX_CALLS):
            break
        size += sum(array_bytes(sent.args) + array_bytes(sent.kwargs) for sent in calls)
        if size > MAX_BYTES and batch:
            break
        batch.extend(replace(sent, group=position) for sent in calls[:MAX_CALLS])
        if batch[-1].last or len(batch) >= MAX_CALLS:
            break
    return batch
