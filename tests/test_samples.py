"""The sample class stays in step with the references it is made from."""

from __future__ import annotations

import sys

import pytest

from grader.authoring.samples import BOB, MUTATIONS, mutate, reference_submission, write_submission
from grader.course.assignments import REPO_ROOT

SUBMISSIONS = REPO_ROOT / "submissions"


@pytest.mark.parametrize("student, mutations", [("alice", ()), ("bob", BOB)])
def test_generated_students_match_the_references(student: str, mutations: tuple[str, ...]) -> None:
    expected = mutate(reference_submission(), mutations)
    for name, data in expected.items():
        on_disk = (SUBMISSIONS / student / name).read_bytes()
        stale = f"submissions/{student}/{name} is stale: run `python -m grader.authoring.samples submissions`"
        assert on_disk == data, stale


@pytest.mark.parametrize("name", [m[0] for m in MUTATIONS])
def test_every_mutation_changes_its_file(name: str) -> None:
    correct = reference_submission()
    mutated = mutate(correct, (name,))
    assert [f for f in correct if correct[f] != mutated[f]] == [next(m[1] for m in MUTATIONS if m[0] == name)]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_each_sample_mistake_costs_its_target_only_and_is_named(mutation, tmp_path, monkeypatch):
    """A mutation's claims (``target``, ``also``, ``mistake``) hold: graded in-process on every check of its
    homework (the lab's held-out accuracy checks aside: they train for minutes and judge what the others do)."""
    from inprocess_worker import InProcessWorker

    from grader.checks.references import LiveReferences
    from grader.course.assignments import SUBMISSION_FILES, get_assignment
    from grader.course.kinds import KINDS
    from grader.suites import load_checks
    from grader.suites.runner import run_suite
    from grader.worker.notebook import notebook_to_source

    files = mutate(reference_submission(), (mutation.name,))
    write_submission(tmp_path, {n: d for n, d in files.items() if n.endswith(".py")})
    monkeypatch.syspath_prepend(str(tmp_path))  # practice.py imports backprop.py, as a student's would
    monkeypatch.delitem(sys.modules, "backprop", raising=False)
    module = tmp_path / mutation.file
    if mutation.file.endswith(".ipynb"):
        module = tmp_path / "mlp_lab.py"
        module.write_text(notebook_to_source(files[mutation.file]).source)
    key = SUBMISSION_FILES[mutation.file]
    checks = [c for c in load_checks(key, include_hidden=True) if KINDS[c.kind].category != "accuracy" or key != "lab"]
    verdicts = run_suite(checks, InProcessWorker(module), LiveReferences(), "test-secret", get_assignment(key).targets)
    failing = [(c, v) for c, (v, _) in zip(checks, verdicts, strict=True) if v.fraction < 1]
    assert {c.target for c, _ in failing} == {mutation.target, *mutation.also}
    assert not mutation.mistake or mutation.mistake in {v.mistake for _, v in failing}
