"""Reference answers remembered across students."""

from __future__ import annotations

import numpy as np

from grader.pipeline.resources import CachedReferences
from grader.protocol.markers import Rng


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, assignment, function, args, kwargs):
        self.calls += 1
        return [np.asarray(args[0]) * 2, {"seed": args[1].seed}]


def slow_cache(inner) -> CachedReferences:
    cached = CachedReferences(inner)
    cached.SLOW_SECONDS = -1.0  # every function counts as worth remembering
    return cached


def test_an_answer_is_computed_once_per_distinct_arguments() -> None:
    inner = Counting()
    cached = slow_cache(inner)

    first = cached("hw2", "f", (np.arange(3.0), Rng(1)), {})
    again = cached("hw2", "f", (np.arange(3.0), Rng(1)), {})
    other = cached("hw2", "f", (np.arange(3.0), Rng(2)), {})

    assert inner.calls == 2
    np.testing.assert_array_equal(again[0], first[0])
    assert other[1] == {"seed": 2}


def test_callers_get_independent_copies() -> None:
    cached = slow_cache(Counting())

    first = cached("hw2", "f", (np.ones(2), Rng(0)), {})
    first[0][:] = -1  # a check that scribbles on its expected value
    again = cached("hw2", "f", (np.ones(2), Rng(0)), {})

    np.testing.assert_array_equal(again[0], [2.0, 2.0])


def test_fast_functions_are_not_remembered() -> None:
    inner = Counting()
    cached = CachedReferences(inner)  # Counting answers in microseconds

    for _ in range(3):
        cached("hw2", "f", (np.ones(2), Rng(0)), {})

    assert inner.calls == 3
