"""Every assignment's stub against its reference: the same targets, the same signatures, and stubs that
raise NotImplementedError("<assignment>.<function>") until a student fills them in.

Signatures are compared by parameter names, order, kinds and defaults: that is the API a student codes
against (annotations are documentation and may spell a type differently). A missing stub or reference
is a failure, not a skip: the course content is required.
"""

from __future__ import annotations

import ast
import functools
import inspect
from collections.abc import Callable
from types import ModuleType

import pytest

from grader.authoring import parity
from grader.course.assignments import ASSIGNMENTS, Assignment
from grader.worker.notebook import notebook_to_source

NOTEBOOK_ASSIGNMENTS = [a for a in ASSIGNMENTS.values() if a.is_notebook]


@functools.cache
def _load_stub(assignment: Assignment) -> ModuleType:
    try:
        return parity.load_stub(assignment)
    except ValueError as exc:
        pytest.fail(str(exc))


@functools.cache
def _load_reference(assignment: Assignment) -> ModuleType:
    try:
        return parity.load_reference(assignment)
    except ModuleNotFoundError as exc:
        pytest.fail(f"{assignment.key}: the reference module cannot be imported ({exc})")


def _function(module: ModuleType, assignment: Assignment, target: str) -> Callable:
    function = getattr(module, target, None)
    if not callable(function):
        pytest.fail(f"{assignment.key}: {module.__name__} does not define {target}")
    return function


def _targets(assignments: list[Assignment]) -> list:
    return [pytest.param(a, t, id=f"{a.key}.{t}") for a in assignments for t in a.targets]


@pytest.mark.parametrize("assignment", ASSIGNMENTS.values(), ids=lambda a: a.key)
def test_stub_and_reference_define_every_target(assignment):
    stub, reference = _load_stub(assignment), _load_reference(assignment)
    for where, module in (("stub", stub), ("reference", reference)):
        missing = [t for t in assignment.targets if not callable(getattr(module, t, None))]
        assert not missing, f"{assignment.key} {where} ({module.__name__}) lacks {', '.join(missing)}"


@pytest.mark.parametrize(("assignment", "target"), _targets(list(ASSIGNMENTS.values())))
def test_stub_signature_matches_reference(assignment, target):
    ours = _function(_load_stub(assignment), assignment, target)
    theirs = _function(_load_reference(assignment), assignment, target)
    assert parity.api(ours) == parity.api(theirs), (
        f"{assignment.key}.{target}: stub {inspect.signature(ours)} != reference {inspect.signature(theirs)}"
    )


@pytest.mark.parametrize(("assignment", "target"), _targets(list(ASSIGNMENTS.values())))
def test_stub_raises_not_implemented(assignment, target):
    function = _function(_load_stub(assignment), assignment, target)
    with pytest.raises(NotImplementedError, match=rf"^{assignment.key}\.{target}$"):
        parity.call_with_dummies(function)


@pytest.mark.parametrize("assignment", NOTEBOOK_ASSIGNMENTS, ids=lambda a: a.key)
def test_graded_cells_define_exactly_the_targets(assignment):
    source = notebook_to_source(assignment.stub_path.read_bytes())
    assert source.tagged, f"{assignment.stub_path}: no cell is tagged 'graded'"
    defined = [n.name for n in ast.parse(source.source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert sorted(defined) == sorted(assignment.targets), (
        f"{assignment.key}: graded cells define {defined}; expected exactly {list(assignment.targets)}"
    )
