"""Every assignment's stub against its reference: the same targets, the same signatures, and stubs that
raise NotImplementedError("<assignment>.<function>") until a student fills them in.

Signatures are compared by parameter names, order, kinds and defaults: that is the API a student codes
against (annotations are documentation and may spell a type differently). A missing stub or reference
is a failure, not a skip: the course content is required.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from grader.assignments import ASSIGNMENTS, Assignment
from grader.checks.references import REFERENCE_MODULES
from grader.notebook import notebook_to_source

NOTEBOOK_ASSIGNMENTS = [a for a in ASSIGNMENTS.values() if a.is_notebook]


@functools.cache
def _load_stub(assignment: Assignment) -> ModuleType:
    path = assignment.stub_path
    assert path.is_file(), f"{assignment.key}: the stub {path} is missing"
    if assignment.is_notebook:
        source = notebook_to_source(path.read_bytes())
        assert source.tagged, f"{path}: no cell is tagged 'graded'"
        module = ModuleType(f"stub_{assignment.key}")
        exec(compile(source.source, str(path), "exec"), module.__dict__)  # our own stub: no student code here
        return module
    spec = importlib.util.spec_from_file_location(f"stub_{assignment.key}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def _load_reference(assignment: Assignment) -> ModuleType:
    name = REFERENCE_MODULES[assignment.key]
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        pytest.fail(f"{assignment.key}: the reference module {name} cannot be imported ({exc})")


def _function(module: ModuleType, assignment: Assignment, target: str) -> Callable:
    function = getattr(module, target, None)
    if not callable(function):
        pytest.fail(f"{assignment.key}: {module.__name__} does not define {target}")
    return function


def _api(function: Callable) -> list[tuple[str, Any, Any]]:
    """What a caller depends on: each parameter's name, kind and default, in order."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def _dummy(parameter: inspect.Parameter) -> Any:
    """A value of roughly the right kind for a parameter, judged from its annotation (a string here)."""
    hint = str(parameter.annotation)
    if "Callable" in hint:
        return lambda *args, **kwargs: np.zeros(2)
    if "Generator" in hint:
        return np.random.default_rng(0)
    if "Tensor" in hint or "Module" in hint:
        import torch

        return torch.nn.Linear(2, 2) if "Module" in hint else torch.zeros(4, 2)
    for name, value in (("int", 2), ("float", 0.1), ("str", "relu"), ("dict", {}), ("list", [1]), ("tuple", (2, 2))):
        if hint.startswith(name):
            return value
    return np.ones((2, 2))


def _call_with_dummies(function: Callable) -> Any:
    args, kwargs = [], {}
    for p in inspect.signature(function).parameters.values():
        if p.default is not inspect.Parameter.empty:
            continue
        if p.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[p.name] = _dummy(p)
        elif p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            args.append(_dummy(p))
    result = function(*args, **kwargs)
    return next(result) if inspect.isgenerator(result) else result  # a generator raises when first advanced


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
    assert _api(ours) == _api(theirs), (
        f"{assignment.key}.{target}: stub {inspect.signature(ours)} != reference {inspect.signature(theirs)}"
    )


@pytest.mark.parametrize(("assignment", "target"), _targets(list(ASSIGNMENTS.values())))
def test_stub_raises_not_implemented(assignment, target):
    function = _function(_load_stub(assignment), assignment, target)
    with pytest.raises(NotImplementedError, match=rf"^{assignment.key}\.{target}$"):
        _call_with_dummies(function)


@pytest.mark.parametrize("assignment", NOTEBOOK_ASSIGNMENTS, ids=lambda a: a.key)
def test_graded_cells_define_exactly_the_targets(assignment):
    source = notebook_to_source(assignment.stub_path.read_bytes())
    assert source.tagged, f"{assignment.stub_path}: no cell is tagged 'graded'"
    defined = [n.name for n in ast.parse(source.source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert sorted(defined) == sorted(assignment.targets), (
        f"{assignment.key}: graded cells define {defined}; expected exactly {list(assignment.targets)}"
    )
