"""The hw3 and lab check suites against trusted modules: the references earn every point, the stubs none,
and each mutant (a reference with one typical bug) loses points on its own target only, with its hint."""

from __future__ import annotations

import importlib
import types
from pathlib import Path

import numpy as np
import pytest
from inprocess_worker import InProcessWorker, load_module

from grader.checks.references import LiveReferences
from grader.course.assignments import get_assignment
from grader.course.hw3.kinds.training import read_model
from grader.course.kinds import KINDS
from grader.course.rules import hint
from grader.suites import load_checks
from grader.suites.runner import run_check
from grader.worker.notebook import notebook_to_source

SECRET = "test-secret"
MUTANTS = Path(__file__).parent / "data" / "mutants"
ALTERNATIVES = Path(__file__).parent / "data" / "alternatives"
REFERENCE = {"hw3": "reference.practice_np", "lab": "reference.mlp_lab"}
SLOW_KINDS = tuple(name for name, kind in KINDS.items() if kind.category == "accuracy")
LEAKS = ("e.g.", "expected a factor", "full marks from", "over epochs", "expected (", "sizes are", "they have p")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Recording:
    """A module stand-in that notes which graded functions are looked up on it."""

    def __init__(self, module, targets):
        self._module, self._targets, self.touched = module, set(targets), set()

    def __getattr__(self, name):
        if name in self._targets:
            self.touched.add(name)
        return getattr(self._module, name)


def grade(module, checks):
    worker = InProcessWorker(module=module)
    refs = LiveReferences()
    return [(check, run_check(check, worker, refs, SECRET)) for check in checks]


def score(results, target=None):
    chosen = [(c, v) for c, v in results if target is None or c.target == target]
    return sum(v.fraction * c.points for c, v in chosen), sum(c.points for c, _ in chosen)


def all_checks(assignment):
    return load_checks(assignment, include_hidden=True)


def lab_stub(tmp_path):
    source = notebook_to_source(get_assignment("lab").stub_path.read_bytes()).source
    path = tmp_path / "mlp_lab_stub.py"
    path.write_text(source)
    return load_module(path)


@pytest.mark.parametrize("assignment", ["hw3", "lab"])
def test_every_target_has_public_and_hidden_checks(assignment):
    checks = all_checks(assignment)
    for target in get_assignment(assignment).targets:
        visibilities = {c.visibility for c in checks if c.target == target}
        assert visibilities == {"public", "hidden"}, target
    assert len({c.id for c in checks}) == len(checks)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ["hw3", "lab"])
def test_reference_scores_full_marks_and_each_check_touches_its_target_only(assignment):
    targets = get_assignment(assignment).targets
    module = importlib.import_module(REFERENCE[assignment])
    for check in all_checks(assignment):
        recording = Recording(module, targets)
        (_, verdict), = grade(recording, [check])
        assert (verdict.status, verdict.fraction) == ("pass", 1.0), (check.id, verdict.message)
        assert recording.touched == {check.target}, check.id


@pytest.mark.parametrize("assignment", ["hw3", "lab"])
def test_stub_scores_zero_without_crashing(assignment, tmp_path):
    stub = lab_stub(tmp_path) if assignment == "lab" else load_module(get_assignment("hw3").stub_path)
    results = grade(stub, all_checks(assignment))
    assert score(results)[0] == 0
    for check, verdict in results:
        assert verdict.status == "error" and "not implemented" in verdict.message, (check.id, verdict.message)


def mutant_files():
    return [pytest.param(path, id=f"{path.parent.name}/{path.stem}",
                         marks=[pytest.mark.slow] if path.stem.startswith(("train", "build")) else [])
            for assignment in ("hw3", "lab") for path in sorted((MUTANTS / assignment).glob("*.py"))]


@pytest.mark.parametrize("path", mutant_files())
def test_mutant_loses_points_on_its_target_only(path):
    assignment = path.parent.name
    mutant = load_module(path)
    own = [c for c in all_checks(assignment) if c.target == mutant.TARGET]
    others = [c for c in all_checks(assignment) if c.target != mutant.TARGET and c.kind not in SLOW_KINDS]
    results = grade(mutant, [c for c in own if c.kind not in SLOW_KINDS])
    if score(results)[0] == score(results)[1]:  # the bug shows in training only
        results += grade(mutant, [c for c in own if c.kind in SLOW_KINDS])
    earned, possible = score(results)
    assert earned < possible
    for check, verdict in results:  # hidden feedback never shows expected values or the inputs' numbers
        if check.visibility == "hidden":
            assert not any(leak in verdict.message for leak in LEAKS), (check.id, verdict.message)
    if mutant.MISTAKE:
        named = [v for _, v in results if v.mistake == mutant.MISTAKE]
        assert named and all(hint(mutant.MISTAKE) in v.message for v in named)
    # Other targets: their fast checks in full; the slow ones only ever touch their own target
    # (see the reference test above), so a bug elsewhere cannot reach them.
    for check, verdict in grade(mutant, others):
        assert verdict.fraction == 1.0, (check.id, verdict.message)


def test_every_target_has_a_mutant():
    covered = {(p.parent.name, load_module(p).TARGET) for a in ("hw3", "lab") for p in (MUTANTS / a).glob("*.py")}
    for assignment in ("hw3", "lab"):
        for target in get_assignment(assignment).targets:
            assert (assignment, target) in covered, (assignment, target)


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(ALTERNATIVES.glob("*/*.py")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_correct_code_written_another_way_earns_every_point(path):
    alternative = load_module(path)
    checks = [c for c in all_checks(path.parent.name) if c.target in alternative.TARGETS
              and not (c.kind in SLOW_KINDS and c.visibility == "hidden")]  # one training per target is enough
    for check, verdict in grade(alternative, checks):
        assert verdict.fraction == 1.0, (check.id, verdict.message)


JUNK = {"none": None, "str": "text", "ragged": [[1.0, 2.0], [3.0]], "number": 1.0, "dict": {"a": 1}}


@pytest.mark.parametrize("junk", JUNK.values(), ids=JUNK.keys())
@pytest.mark.parametrize("assignment", ["hw3", "lab"])
def test_wrong_kinds_of_return_earn_nothing_and_never_break_a_check(assignment, junk):
    module = types.SimpleNamespace(**{t: lambda *a, **k: junk for t in get_assignment(assignment).targets})
    for check, verdict in grade(module, all_checks(assignment)):
        assert verdict.fraction == 0.0, check.id
        assert "internal grader error" not in verdict.message, (check.id, verdict.message)


@pytest.mark.parametrize("container", [list, tuple])
def test_a_model_is_read_whether_its_layers_arrive_as_lists_or_tuples(container):
    params = container([container([np.ones((4, 3)), np.zeros(4)]), container([np.ones((2, 4)), np.zeros(2)])])
    model, problem = read_model({"mean": np.zeros(3), "std": np.ones(3), "params": params}, [3, 4, 2])
    assert model is not None, problem


def test_trains_says_so_when_a_release_cannot_train_the_students_model():
    from grader.checks.references import MissingRecording

    def recording_without_this_model(assignment, function, args, kwargs):
        raise MissingRecording(f"no answer for {assignment}.{function}")

    check, = [c for c in all_checks("lab") if c.id == "lab.build_mlp.hidden.trains"]
    verdict = run_check(check, InProcessWorker(module=importlib.import_module("reference.mlp_lab")),
                        recording_without_this_model, SECRET)
    assert verdict.status == "error" and "course's grading judges it" in verdict.message
    assert "internal grader error" not in verdict.message
