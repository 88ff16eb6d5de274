"""Whatever comes back from the student's process, every check judges it: a value of any type, shape or dtype the wire
lets through, in place of a call's return or a procedure's report, gets a verdict from the fixed vocabulary, never
"internal grader error" (which tells the student nothing and the staff a false alarm). Two ways in: every check fed
each value of a list of hostile ones, and every reply a check gets from the reference hand-in (in the sandbox)
replayed with one part of it replaced: a leaf by another type, shape or dtype, a container cut, grown or recast, or
an argument as read back after the call written over with extreme values."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from grader.authoring.samples import reference_submission
from grader.course.assignments import ASSIGNMENTS
from grader.pipeline.resources import default_references, sandbox_sessions
from grader.protocol.outcomes import Outcome, Returned
from grader.suites import load_checks
from grader.suites.runner import run_check

ARRAYS = [np.array(["a", "b"]), np.zeros(0), np.zeros((2, 3)), np.array(1 + 2j), np.zeros((2, 3), complex),
          np.array([True, False]), np.array(7.0), np.full(3, np.inf), np.full((2, 3), np.nan), np.zeros((0, 3))]
SCALARS = [None, True, 3, -1, 2.5, float("nan"), "text"]
CONTAINERS = [[], [np.zeros(3)], [[1, 2], [3]], (np.zeros(2), np.zeros(2)), [np.zeros((2, 2)), "a"], {}, {"X": "a"},
              {"mean": "a", "std": None, "params": [1]},
              {"params": [[np.zeros(2)]], "mean": np.zeros(2), "std": np.zeros(2)},
              {"initial": [[np.zeros(2)]]}, {"losses": "x"}]


def _epoch(X, y) -> dict:
    return {"epochs": [{"X": X, "y": y}], "too_many": False}


REPORTS = [{"epochs": np.zeros(3)}, {"epochs": [5]}, _epoch(np.zeros(2), [1]), _epoch([np.zeros((2, 3))], []),
           _epoch([np.array(["a"])], [np.zeros(1)]), _epoch([np.zeros((2, 3), complex)], [np.zeros(2)]),
           _epoch([np.zeros(3)], [np.zeros(3)]), _epoch([np.full((2, 3), np.nan)], [np.zeros(2)]),
           _epoch([np.zeros((0, 3))], [np.zeros(0)]), {**_epoch([np.zeros((2, 3))], [np.zeros(2)]), "too_many": "yes"},
           {**_epoch([np.zeros((2, 3))], [np.zeros(2)]), "too_many": np.zeros(0)}]
HOSTILE = SCALARS + ARRAYS + CONTAINERS + REPORTS


class Hostile:
    """A worker whose every call and procedure returns ``value``, the arguments unchanged."""

    def __init__(self, value) -> None:
        self.value = value

    def call(self, function: str, args: tuple, kwargs: dict, *, timeout: float) -> Outcome:
        return Returned(self.value, 0.0, list(args))

    def procedure(self, name: str, payload: dict, *, timeout: float) -> Outcome:
        return Returned(self.value, 0.0, [payload])

    def restart(self) -> None:
        pass


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_no_returned_value_makes_a_check_fail_inside_the_grader(assignment: str) -> None:
    references = default_references()
    internal = {(check.id, repr(value)[:60]): verdict.message
                for check in load_checks(assignment, include_hidden=True) for value in HOSTILE
                if (verdict := run_check(check, Hostile(value), references, "secret")).problem == "internal"}
    assert internal == {}


def _real(a: Any) -> np.ndarray | None:
    """``a`` as a real-number array, or None when it is not one."""
    if isinstance(a, (dict, str)):
        return None
    try:
        array = np.asarray(a)
    except ValueError:  # ragged
        return None
    return array if array.dtype.kind in "biuf" else None


SKIP = object()  # a swap that does not apply to this leaf
LEAF_SWAPS = [  # what a leaf (a number, an array, ...) is replaced by
    lambda a: np.array(["x"]), lambda a: np.zeros(0), lambda a: np.zeros((2, 0)), lambda a: None, lambda a: "s",
    lambda a: -3, lambda a: np.array(1e308), lambda a: [a],
    lambda a: SKIP if _real(a) is None else np.full(np.shape(a), np.nan),
    lambda a: SKIP if _real(a) is None else np.full(np.shape(a), np.inf),
    lambda a: SKIP if _real(a) is None else _real(a)[None],
    lambda a: SKIP if _real(a) is None or _real(a).ndim != 2 else _real(a).T,
    lambda a: SKIP if _real(a) is None else _real(a).astype(complex),
    lambda a: SKIP if _real(a) is None else _real(a).astype(bool),
]


def _parts(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    yield path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else ()
    for key, part in items:
        yield from _parts(part, (*path, key))


def _replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    key, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, key: _replaced(value[key], rest, new)}
    changed = [*value[:key], _replaced(value[key], rest, new), *value[key + 1:]]
    return tuple(changed) if isinstance(value, tuple) else changed


def mutants(value: Any) -> Iterator[Any]:
    """``value`` with one part replaced: each leaf by each of ``LEAF_SWAPS``, each container cut by one, grown by
    one or recast (a dict as the list of its values, a list as a dict)."""
    for path, part in _parts(value):
        for swap in LEAF_SWAPS:
            if (new := swap(part)) is not SKIP:
                yield _replaced(value, path, new)
        if isinstance(part, dict) and part:
            first = next(iter(part))
            yield _replaced(value, path, {k: v for k, v in part.items() if k != first})
            yield _replaced(value, path, list(part.values()))
        if isinstance(part, (list, tuple)) and part:
            yield _replaced(value, path, type(part)(part[:-1]))
            yield _replaced(value, path, type(part)([*part, part[0]]))
            yield _replaced(value, path, {"0": part[0]})


def written_over(args_after: list) -> Iterator[list]:
    """The arguments as read back after a call, with one array written over in place by the student's code: its
    dtype and shape are the grader's own, its values anything (NaN, infinities, extremes)."""
    for path, part in _parts(args_after):
        if not isinstance(part, np.ndarray) or part.size == 0:
            continue
        if part.dtype.kind == "f":
            fills = [np.nan, np.inf, -np.finfo(part.dtype).max]
        elif part.dtype.kind in "iu":
            fills = [np.iinfo(part.dtype).max, np.iinfo(part.dtype).min]
        else:
            fills = [~part] if part.dtype.kind == "b" else []
        for fill in fills:
            yield _replaced(args_after, path, np.full_like(part, fill) if np.ndim(fill) == 0 else fill)


class Recording:
    """The worker as a check sees it, keeping every outcome it gives."""

    def __init__(self, worker) -> None:
        self.worker, self.outcomes = worker, []

    def call(self, *args, **kwargs) -> Outcome:
        self.outcomes.append(self.worker.call(*args, **kwargs))
        return self.outcomes[-1]

    def procedure(self, *args, **kwargs) -> Outcome:
        self.outcomes.append(self.worker.procedure(*args, **kwargs))
        return self.outcomes[-1]

    def restart(self) -> None:
        self.worker.restart()


class Replay:
    """A worker giving ``outcomes`` in turn, whatever is asked (then returning None)."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        self.left = iter(outcomes)

    def call(self, function: str, args: tuple, kwargs: dict, *, timeout: float) -> Outcome:
        return next(self.left, Returned(None))

    def procedure(self, name: str, payload: dict, *, timeout: float) -> Outcome:
        return next(self.left, Returned(None))

    def restart(self) -> None:
        pass


MUTANTS_PER_REPLY = 300


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_no_reply_changed_in_one_place_makes_a_check_fail_inside_the_grader(assignment: str) -> None:
    references, files = default_references(), reference_submission()
    checks = load_checks(assignment, include_hidden=True)
    hand_in = {name: files[name] for name in (ASSIGNMENTS[assignment].filename, "backprop.py")}  # hw3 imports hw2
    internal, replayed, overwritten = {}, 0, 0
    with sandbox_sessions(1) as open_session, open_session(assignment, hand_in) as session:
        for check in checks:
            recording = Recording(session)
            assert run_check(check, recording, references, "secret").status == "pass", check.id
            for k, outcome in enumerate(recording.outcomes):
                if not isinstance(outcome, Returned):
                    continue
                returns = ((value, outcome.args_after) for value in mutants(outcome.value))
                read_back = ((outcome.value, after) for after in written_over(outcome.args_after))
                for value, after in itertools.chain(itertools.islice(returns, MUTANTS_PER_REPLY), read_back):
                    changed = [*recording.outcomes]
                    changed[k] = Returned(value, outcome.seconds, after, outcome.stderr, outcome.stdout)
                    verdict = run_check(check, Replay(changed), references, "secret")
                    replayed, overwritten = replayed + 1, overwritten + (after is not outcome.args_after)
                    if verdict.problem == "internal":
                        internal[(check.id, k, repr(value)[:60], repr(after)[:60])] = verdict.message
    assert internal == {}
    assert replayed >= 10 * len(checks) and overwritten > 0, (replayed, overwritten)  # replies were changed
