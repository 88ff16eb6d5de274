"""The hw1 and hw2 suites, run in-process: the references score full marks, the stubs zero, every mutant
loses points on its own target only (with the known mistake named), and grading is deterministic."""

from __future__ import annotations

import importlib
import types
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from inprocess_worker import InProcessWorker

from grader.checks.base import Verdict
from grader.checks.references import LiveReferences, RecordedReferences, RecordingReferences
from grader.course.assignments import get_assignment
from grader.course.rules import HINTS
from grader.protocol.outcomes import Returned
from grader.suites import load_checks
from grader.suites.runner import run_check, run_suite

SECRET = "test-secret"
HOMEWORKS = ("hw1", "hw2")
REFERENCE = {"hw1": "reference.gradient_descent_np", "hw2": "reference.backprop_np"}
MUTANTS = Path(__file__).parent / "data" / "mutants"
MUTANT_FILES = sorted(MUTANTS.glob("hw[12]/*.py"))
# The mistakes a student must hear about by name (the SPEC's list and the course's usual suspects).
REQUIRED_MISTAKES = {
    "transposed_dW", "db_not_summed", "db_averaged", "relu_strict_at_zero", "mse_missing_1_over_N",
    "mse_1_over_N_not_2N", "ce_missing_1_over_N", "max_ties_to_X2", "add_not_summed", "sigmoid_of_S_missing",
    "forgot_dY", "sgd_full_batch", "batch_gd_losses_after_step",
}


@pytest.fixture(scope="module")
def references():
    return LiveReferences()


def grade(worker, hw: str, references, visibility: str | None = None) -> dict[str, tuple]:
    checks = [c for c in load_checks(hw, include_hidden=True) if visibility in (None, c.visibility)]
    verdicts = run_suite(checks, worker, references, SECRET, get_assignment(hw).targets)
    return {c.id: (c, v) for c, (v, _) in zip(checks, verdicts, strict=True)}


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_reference_scores_full_marks(hw, references):
    results = grade(InProcessWorker.from_module(REFERENCE[hw]), hw, references)
    failed = {cid: v.message for cid, (_, v) in results.items() if v != Verdict.ok()}
    assert not failed


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_stub_scores_zero_without_crashing(hw, references):
    stub = get_assignment(hw).stub_path
    if not stub.exists():
        pytest.skip(f"{stub} not written yet")
    results = grade(InProcessWorker(stub), hw, references)
    assert {v.fraction for _, v in results.values()} == {0.0}
    assert all("not implemented yet" in v.message for _, v in results.values())


@pytest.mark.parametrize("path", MUTANT_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_mutant_loses_points_on_its_target_only(path, references):
    worker = InProcessWorker(path)
    hw = path.parent.name
    failed = [(c, v) for c, v in grade(worker, hw, references).values() if v.fraction < 1]
    assert {c.target for c, _ in failed} == targets_of(worker.module)
    if worker.module.MISTAKE:
        assert worker.module.MISTAKE in {v.mistake for _, v in failed}
        assert HINTS[worker.module.MISTAKE] in " ".join(v.message for _, v in failed)


def targets_of(mutant) -> set[str]:
    """A mutant's TARGET: one function, or a tuple when a bug in helpers must not spill over."""
    return {mutant.TARGET} if isinstance(mutant.TARGET, str) else set(mutant.TARGET)


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_every_target_has_a_mutant_and_checks_of_both_visibilities(hw):
    mutated = set().union(*(targets_of(InProcessWorker(p).module) for p in MUTANTS.glob(f"{hw}/*.py")))
    targets = set(get_assignment(hw).targets)
    assert mutated == targets
    seen = defaultdict(set)
    for check in load_checks(hw, include_hidden=True):
        seen[check.target].add(check.visibility)
    assert {t: {"public", "hidden"} for t in targets} == dict(seen)


def test_required_mistakes_have_mutants_and_hints():
    named = {InProcessWorker(p).module.MISTAKE for p in MUTANT_FILES}
    assert REQUIRED_MISTAKES <= named
    assert REQUIRED_MISTAKES <= set(HINTS)


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_points_and_ids(hw):
    checks = load_checks(hw, include_hidden=True)
    assert len({c.id for c in checks}) == len(checks)
    assert all(c.points > 0 and c.description and c.timeout > 0 for c in checks)
    public = sum(c.points for c in checks if c.visibility == "public")
    hidden = sum(c.points for c in checks if c.visibility == "hidden")
    assert 0 < public < hidden
    if hw == "hw2":
        assert public + hidden == 100


def test_grading_is_deterministic(references):
    mutant = MUTANTS / "hw2" / "linear_backward_db_averaged.py"
    first = grade(InProcessWorker(mutant), "hw2", references)
    second = grade(InProcessWorker(mutant), "hw2", references)
    assert {k: v for k, (_, v) in first.items()} == {k: v for k, (_, v) in second.items()}


def test_hidden_feedback_shows_no_expected_values(references):
    for name in ("linear_backward_transposed_dW", "mse_forward_no_N", "max_backward_ties_to_X2"):
        results = grade(InProcessWorker(MUTANTS / "hw2" / f"{name}.py"), "hw2", references, "hidden")
        messages = [v.message for _, v in results.values() if v.fraction < 1]
        assert messages
        assert not any("expected (" in m or "e.g." in m or "expected 0" in m for m in messages)


def test_float32_answers_within_float32_precision_pass(references):
    reference = importlib.import_module(REFERENCE["hw2"])
    as_float32 = types.ModuleType("float32_backprop")
    for target in get_assignment("hw2").targets:
        setattr(as_float32, target, _cast32(getattr(reference, target)))
    results = grade(InProcessWorker.from_module(as_float32), "hw2", references)
    assert [cid for cid, (_, v) in results.items() if v.fraction < 1] == []


def _cast32(fn):
    def cast(value):
        if isinstance(value, np.ndarray) and value.dtype == np.float64:
            return value.astype(np.float32)
        if isinstance(value, (list, tuple)):
            return type(value)(cast(v) for v in value)
        return value

    return lambda *args, **kwargs: cast(fn(*args, **kwargs))


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_recorded_references_replay_public_checks(hw, references, tmp_path):
    recorder = RecordingReferences(references)
    live = grade(InProcessWorker.from_module(REFERENCE[hw]), hw, recorder, "public")
    recorder.save(tmp_path / "answers.npz")
    replay = RecordedReferences(tmp_path / "answers.npz")
    mutant = next(p for p in MUTANT_FILES if p.parent.name == hw)
    for worker in (InProcessWorker.from_module(REFERENCE[hw]), InProcessWorker(mutant)):
        replayed = grade(worker, hw, replay, "public")
        again = grade(worker, hw, references, "public")
        assert {k: v for k, (_, v) in replayed.items()} == {k: v for k, (_, v) in again.items()}
    assert all(v.status == "pass" for _, v in live.values())


class _Answering:
    """A worker that runs the reference and then replaces its answer: a stand-in for odd students."""

    def __init__(self, hw: str, answer) -> None:
        self.inner = InProcessWorker.from_module(REFERENCE[hw])
        self.answer = answer

    def call(self, function, args, kwargs, *, timeout):
        outcome = self.inner.call(function, args, kwargs, timeout=timeout)
        return Returned(self.answer(outcome.value), 0.0, outcome.args_after)

    def procedure(self, name, payload, *, timeout):
        raise NotImplementedError

    def restart(self):
        self.inner.restart()


def _numbers(change):
    """Apply ``change`` to every number and float array of an answer, keeping its structure."""

    def apply(value):
        if isinstance(value, (list, tuple)):
            return type(value)(apply(v) for v in value)
        if isinstance(value, float) or isinstance(value, np.ndarray) and value.dtype.kind == "f":
            return change(value)
        return value

    return apply


ODD_ANSWERS = {
    "distorted": _numbers(lambda v: v * 1.3 + 0.1),
    "nan": _numbers(lambda v: v * np.nan),
    "none": lambda value: None,
    "string": lambda value: "42",
    "nested": lambda value: [[1.0, [2.0]], {"a": 1}],
    "empty": lambda value: [],
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference fed NaN by a helper recomputation
@pytest.mark.parametrize("hw", HOMEWORKS)
@pytest.mark.parametrize("kind", ODD_ANSWERS)
def test_odd_answers_fail_cleanly_with_catalogued_hints(hw, kind, references, monkeypatch):
    import grader.checks.mistakes as mistakes

    seen: set[str] = set()
    original = mistakes.match

    def spy(actual, expected, variants, rtol=mistakes.DEFAULT_RTOL):
        seen.update(m.id for m in variants)
        return original(actual, expected, variants, rtol)

    monkeypatch.setattr("grader.checks.judge.match", spy)
    monkeypatch.setattr("grader.checks.standard.match", spy)
    results = grade(_Answering(hw, ODD_ANSWERS[kind]), hw, references)
    assert not [v.message for _, v in results.values() if "internal grader error" in v.message]
    value_checks = [v for c, v in results.values() if c.kind in ("value", "gradient")]
    assert all(v.fraction == 0 for v in value_checks) or kind == "distorted"
    assert seen <= set(HINTS)


class _Recording(InProcessWorker):
    """The reference, remembering the arguments of every call."""

    def call(self, function, args, kwargs, *, timeout):
        self.sent = getattr(self, "sent", []) + [args]
        return super().call(function, args, kwargs, timeout=timeout)


def test_hidden_inputs_follow_the_secret_and_public_ones_do_not(references):
    def inputs(check, secret):
        worker = _Recording(module=importlib.import_module(REFERENCE["hw2"]))
        run_check(check, worker, references, secret)
        return worker.sent[0][0]

    checks = {c.visibility: c for c in load_checks("hw2", include_hidden=True) if c.target == "linear_forward"}
    assert np.array_equal(inputs(checks["public"], "one"), inputs(checks["public"], "two"))
    assert not np.array_equal(inputs(checks["hidden"], "one"), inputs(checks["hidden"], "two"))
    assert np.array_equal(inputs(checks["hidden"], "one"), inputs(checks["hidden"], "one"))
