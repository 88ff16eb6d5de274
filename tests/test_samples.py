"""The sample class stays in step with the references it is made from."""

from __future__ import annotations

import pytest

from grader.authoring.samples import BOB, MUTATIONS, mutate, reference_submission
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
