"""Whatever comes back from the student's process, every check judges it: a value of any type, shape or dtype the wire
lets through, in place of a call's return or a procedure's report, gets a verdict from the fixed vocabulary, never
"internal grader error" (which tells the student nothing and the staff a false alarm)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.course.assignments import ASSIGNMENTS
from grader.pipeline.resources import default_references
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
    return {"epochs": [{"X": X, "y": y}]}


REPORTS = [{"epochs": np.zeros(3)}, {"epochs": [5]}, _epoch(np.zeros(2), [1]), _epoch([np.zeros((2, 3))], []),
           _epoch([np.array(["a"])], [np.zeros(1)]), _epoch([np.zeros((2, 3), complex)], [np.zeros(2)]),
           _epoch([np.zeros(3)], [np.zeros(3)]), _epoch([np.full((2, 3), np.nan)], [np.zeros(2)]),
           _epoch([np.zeros((0, 3))], [np.zeros(0)]), {**_epoch([np.zeros((2, 3))], [np.zeros(2)]), "too_many": "yes"}]
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
