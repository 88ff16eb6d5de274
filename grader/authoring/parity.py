"""Each assignment's stub against its reference: the same targets with the same signatures, stubs that
raise ``NotImplementedError("<assignment>.<function>")``. Used by ``grader validate`` and the parity tests.

Signatures are compared by parameter names, order, kinds and defaults: that is the API a student codes
against (annotations are documentation and may spell a type differently). Stubs and references are the
instructor's own code, so loading them here runs nothing untrusted.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import itertools
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from grader.course.assignments import Assignment
from grader.worker.notebook import notebook_to_source

_counter = itertools.count()


def load_stub(assignment: Assignment) -> ModuleType:
    """The student stub as a module (a notebook's graded cells for the lab). Raises ``ValueError`` with
    the reason when it is missing or has no graded cell."""
    path = assignment.stub_path
    if not path.is_file():
        raise ValueError(f"{assignment.key}: the stub {path} is missing")
    name = f"stub_{assignment.key}_{next(_counter)}"
    if assignment.is_notebook:
        source = notebook_to_source(path.read_bytes())
        if not source.tagged:
            raise ValueError(f"{path}: no cell is tagged 'graded'")
        module = ModuleType(name)
        exec(compile(source.source, str(path), "exec"), module.__dict__)  # our own stub: no student code here
        return module
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_reference(assignment: Assignment) -> ModuleType:
    """The numpy (or, for the lab, torch) reference module of ``assignment``."""
    return importlib.import_module(assignment.reference)


def api(function: Callable) -> list[tuple[str, Any, Any]]:
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


def call_with_dummies(function: Callable) -> Any:
    """Call ``function`` with a dummy for each required parameter (a generator is advanced once)."""
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


def parity_problems(assignment: Assignment) -> list[str]:
    """Everything wrong between the stub and the reference of ``assignment``, as readable lines."""
    try:
        stub = load_stub(assignment)
    except Exception as exc:  # noqa: BLE001 - reported, whatever the stub's problem
        return [f"{assignment.key}: the stub cannot be loaded ({type(exc).__name__}: {exc})"]
    try:
        reference = load_reference(assignment)
    except Exception as exc:  # noqa: BLE001
        return [f"{assignment.key}: the reference {assignment.reference} cannot be imported ({exc})"]
    problems = []
    for target in assignment.targets:
        ours, theirs = getattr(stub, target, None), getattr(reference, target, None)
        if not callable(ours):
            problems.append(f"{assignment.key}.{target}: the stub {assignment.filename} does not define it")
        if not callable(theirs):
            problems.append(f"{assignment.key}.{target}: the reference {reference.__name__} does not define it")
        if not (callable(ours) and callable(theirs)):
            continue
        if api(ours) != api(theirs):
            problems.append(f"{assignment.key}.{target}: stub signature {inspect.signature(ours)} differs from "
                            f"the reference's {inspect.signature(theirs)}")
        expected = f"{assignment.key}.{target}"
        try:
            call_with_dummies(ours)
            problems.append(f"{expected}: the stub returns instead of raising NotImplementedError({expected!r})")
        except NotImplementedError as exc:
            if str(exc) != expected:
                problems.append(f"{expected}: the stub raises NotImplementedError({str(exc)!r}), "
                                f"expected NotImplementedError({expected!r})")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{expected}: the stub raises {type(exc).__name__}: {exc}, not NotImplementedError")
    return problems
