"""Checks are records: they pickle (a check may be judged in another process), and their fingerprint comes from
the record — its data, and each function it names by qualified name and the source it runs through."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
from functools import partial

import pytest

from grader.checks import fingerprint as fp
from grader.checks.base import Check
from grader.course.assignments import ASSIGNMENTS, REPO_ROOT
from grader.pipeline.config import CourseConfig
from grader.pipeline.gradebook import suite_hash
from grader.suites import load_checks
from grader.suites.runner import fingerprint

ALL = [c for key in ASSIGNMENTS for c in load_checks(key, include_hidden=True)]


def test_every_check_pickles_to_an_equal_record_with_the_same_fingerprint():
    for check in ALL:
        copy = pickle.loads(pickle.dumps(check))
        assert copy == check and copy.defined_at == check.defined_at, check.id
        assert fingerprint(copy) == fingerprint(check), check.id


def test_every_fingerprint_differs():
    assert len({fingerprint(c) for c in ALL}) == len(ALL)


def test_a_fingerprint_follows_what_grades_and_not_where_the_record_is_written():
    check = next(c for c in ALL if c.id == "hw2.max_backward.hidden.all_ties")
    same = [dataclasses.replace(check, defined_at="elsewhere.py:1"), dataclasses.replace(check, description="new")]
    assert {fingerprint(c) for c in same} == {fingerprint(check)}
    other_inputs = dataclasses.replace(check.params["inputs"], args=((3, 5),))
    changed = [dataclasses.replace(check, points=2), dataclasses.replace(check, timeout=3.0),
               dataclasses.replace(check, params={**check.params, "rtol": 1e-3}),
               dataclasses.replace(check, params={**check.params, "inputs": other_inputs})]
    assert len({fingerprint(c) for c in changed} | {fingerprint(check)}) == 5


def test_a_closure_or_an_object_is_not_a_parameter():
    def local(rng):
        return {}

    for value in (lambda rng: {}, local, object()):
        with pytest.raises(fp.NotData):
            fp.canonical(value)
    assert fp.canonical(partial(sorted, key=len))[0] == "partial"  # a built-in, by name


def test_a_function_is_hashed_with_the_modules_it_imports(tmp_path, monkeypatch):
    package = tmp_path / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from mypkg import b\n\ndef make(rng):\n    return b.VALUE\n")
    (package / "b.py").write_text("VALUE = 1\n")
    (package / "unrelated.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(fp, "FOLLOWED", ("mypkg",))
    from mypkg import a

    before = fp.function_id(a.make)
    (package / "unrelated.py").write_text("X = 2\n")
    assert fp.function_id(a.make) == before
    (package / "b.py").write_text("VALUE = 22\n")
    assert fp.function_id(a.make) != before


def test_the_suite_fingerprint_is_the_same_in_another_process():
    code = ("from grader.pipeline.config import CourseConfig\nfrom grader.pipeline.gradebook import suite_hash\n"
            "from grader.suites import load_checks\nprint(suite_hash(load_checks('hw2', True), CourseConfig()))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert done.stdout.strip() == suite_hash(load_checks("hw2", True), CourseConfig()), done.stderr


def test_a_record_reports_the_line_that_writes_it():
    line = sys._getframe().f_lineno + 1
    check = Check("hw1.gd_step.public.here", "value", 1)
    assert check.defined_at == f"tests/test_fingerprint.py:{line}"
