"""What checks expect, remembered across students: the same verdicts as computing it every time, computed once per
distinct input, never shared across secrets or edited checks, and held under a bound."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from inprocess_worker import InProcessWorker

from grader.checks.base import Check
from grader.checks.expectations import LEAF_BYTES, Expectations, frozen
from grader.checks.references import LiveReferences
from grader.course.assignments import get_assignment
from grader.pipeline.resources import CachedReferences
from grader.suites import load_checks
from grader.suites.runner import run_check, run_suite

SECRET = "test-secret"
MUTANTS = Path(__file__).parent / "data" / "mutants"
REFERENCE = {"hw1": "reference.gradient_descent_np", "hw2": "reference.backprop_np", "hw3": "reference.practice_np"}
STANDARD = ("value", "gradient", "unchanged")  # the kinds that remember what they expect


class Counting:
    """Live references that count their calls."""

    def __init__(self) -> None:
        self.inner, self.calls = LiveReferences(), 0

    def __call__(self, assignment: str, function: str, args: tuple, kwargs: dict):
        self.calls += 1
        return self.inner(assignment, function, args, kwargs)


def checks_of(hw: str) -> list:
    # hw3's training and statistical kinds compute nothing ahead of the student's answer: left out for time
    return [c for c in load_checks(hw, include_hidden=True) if c.kind in STANDARD]


def verdicts(worker, hw: str, references, secret: str = SECRET) -> list:
    return [v for v, _ in run_suite(checks_of(hw), worker, references, secret, get_assignment(hw).targets)]


@pytest.mark.parametrize("hw", ["hw1", "hw2", "hw3"])
def test_remembered_and_recomputed_expectations_give_identical_verdicts_for_every_mutant(hw):
    cached = CachedReferences(LiveReferences())
    verdicts(InProcessWorker.from_module(REFERENCE[hw]), hw, cached)  # the first student fills the store
    filled = len(cached.expectations)
    submissions = [InProcessWorker.from_module(REFERENCE[hw]), InProcessWorker(get_assignment(hw).stub_path)]
    submissions += [InProcessWorker(path) for path in sorted(MUTANTS.glob(f"{hw}/*.py"))]
    for worker in submissions:
        assert verdicts(worker, hw, cached) == verdicts(worker, hw, LiveReferences())
    assert filled > 0 and cached.expectations.hits > filled * len(submissions) // 2


def test_a_second_student_costs_no_reference_answer():
    counting = Counting()
    cached = CachedReferences(counting)
    reference = InProcessWorker.from_module(REFERENCE["hw2"])
    verdicts(reference, "hw2", cached)
    first = counting.calls
    assert first > 100  # finite differences call the reference forward many times
    verdicts(reference, "hw2", cached)
    assert counting.calls == first


def test_a_different_secret_never_reuses_expectations():
    counting = Counting()
    cached = CachedReferences(counting)
    check = next(c for c in checks_of("hw2") if c.visibility == "hidden" and c.kind == "gradient")
    worker = InProcessWorker.from_module(REFERENCE["hw2"])
    wrong = InProcessWorker(MUTANTS / "hw2" / "linear_backward_transposed_dW.py")
    run_check(check, worker, cached, "secret-a")
    after_a = counting.calls
    run_check(check, worker, cached, "secret-b")
    assert counting.calls > after_a  # new inputs: computed afresh
    for secret in ("secret-a", "secret-b"):
        for student in (worker, wrong):
            assert run_check(check, student, cached, secret) == run_check(check, student, LiveReferences(), secret)


def test_an_edited_check_with_the_same_id_never_reuses_expectations():
    cached = CachedReferences(LiveReferences())
    check = next(c for c in checks_of("hw2") if c.id == "hw2.linear_backward.public.values")
    worker = InProcessWorker(MUTANTS / "hw2" / "linear_backward_transposed_dW.py")
    assert run_check(check, worker, cached, SECRET).status == "fail"
    stored = len(cached.expectations)
    # the same id, its inputs made by another rule's maker: what it expects is computed for them
    other = next(c for c in checks_of("hw2") if c.id == "hw2.linear_backward.hidden.non_square")
    edited = dataclasses.replace(check, params={**check.params, "inputs": other.params["inputs"]})
    assert run_check(edited, worker, cached, SECRET) == run_check(edited, worker, LiveReferences(), SECRET)
    assert len(cached.expectations) > stored


def test_what_the_store_gives_cannot_be_written_into_and_is_the_same_for_every_caller():
    store = Expectations()
    made = {"X": np.zeros(3), "pair": (np.ones(2), [1.0])}
    first = store.get("k", lambda: made)
    made["X"][:] = 7  # what compute() returned stays the caller's: the store kept its own copy
    with pytest.raises(ValueError, match="read-only"):
        first["X"][:] = 7
    with pytest.raises(ValueError, match="read-only"):
        first["pair"][0] += 1
    again = store.get("k", lambda: pytest.fail("computed twice"))
    assert again is first and isinstance(again["pair"], tuple)
    assert np.array_equal(again["X"], np.zeros(3)) and np.array_equal(again["pair"][0], np.ones(2))


def test_frozen_keeps_a_fortran_ordered_input_fortran_ordered():
    fortran = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    assert frozen(fortran).flags.f_contiguous and np.array_equal(frozen(fortran), fortran)


def snapshot(value):
    """A copy of ``value``'s arrays and containers, sharing everything else (records, markers such as ANY)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(snapshot(v) for v in value)
    if isinstance(value, dict):
        return {k: snapshot(v) for k, v in value.items()}
    return value


class Auditing(Expectations):
    """A store that keeps, beside each entry, a private copy of it as it was remembered."""

    def __init__(self) -> None:
        super().__init__()
        self.as_remembered: dict = {}

    def _remember(self, key, value) -> None:
        self.as_remembered.setdefault(key, (value, snapshot(value)))
        super()._remember(key, value)


def same(a, b) -> bool:
    """Exactly equal, type for type (NaN equal to NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b or a != a and b != b


@pytest.mark.parametrize("hw", ["hw1", "hw2", "hw3"])
def test_no_kind_changes_what_the_store_shares_while_a_class_is_graded(hw):
    """Shared values are not copied for each student (only their arrays are protected, by being read-only): every
    entry must still be what was remembered after the reference, the stub and every mutant were graded."""
    cached = CachedReferences(LiveReferences())
    cached.expectations = Auditing()
    submissions = [InProcessWorker.from_module(REFERENCE[hw]), InProcessWorker(get_assignment(hw).stub_path)]
    submissions += [InProcessWorker(path) for path in sorted(MUTANTS.glob(f"{hw}/*.py"))]
    for worker in submissions:
        verdicts(worker, hw, cached)
    remembered = cached.expectations.as_remembered
    assert len(remembered) > 50 and cached.expectations.hits > len(remembered)
    changed = [key for key, (shared, copy) in remembered.items() if not same(shared, copy)]
    assert changed == []


def test_the_store_stays_under_its_bound_dropping_the_least_recently_used():
    array_bytes = 8 * 100
    store = Expectations(max_bytes=3 * (array_bytes + LEAF_BYTES))
    for key in "abc":
        store.get(key, lambda: np.zeros(100))
    store.get("a", lambda: pytest.fail("a is remembered"))  # a is now the most recently used
    store.get("d", lambda: np.zeros(100))  # over the bound: b goes
    assert len(store) == 3 and store.bytes <= store.max_bytes
    computed = []
    store.get("b", lambda: computed.append("b") or np.zeros(100))
    assert computed == ["b"]
    store.get("huge", lambda: np.zeros(10_000))  # larger than the whole bound: answered, never kept
    assert store.bytes <= store.max_bytes and "huge" not in store._entries


def test_the_store_keeps_at_most_its_number_of_entries():
    store = Expectations(max_entries=5)
    for i in range(20):
        store.get(i, lambda i=i: i)
    assert len(store) == 5 and sorted(store._entries) == list(range(15, 20))


def test_a_check_without_a_fingerprint_computes_what_it_expects_every_time():
    cached = CachedReferences(LiveReferences())
    check = Check("hw2.relu_forward.public.lambda", "value", 1,
                  params={"inputs": lambda rng: {"S": rng.normal(size=4)}})  # a lambda: no fingerprint
    worker = InProcessWorker.from_module(REFERENCE["hw2"])
    assert run_check(check, worker, cached, SECRET).status == "pass"
    assert len(cached.expectations) == 0
