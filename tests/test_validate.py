"""``grader validate``: passes on this repository; on a copy broken one way at a time, fails and names the
problem. Copies run their own grader (``python -m grader.cli`` from the copy's root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.authoring.parity import parity_problems
from grader.authoring.validate import record_problems, rule_problems, score_problems, suite_problems
from grader.checks.base import Check
from grader.checks.mistakes import Mistake
from grader.checks.rules import Rule
from grader.course.assignments import ASSIGNMENTS, REPO_ROOT
from grader.pipeline.results import CheckResult


def _check(check_id: str) -> Check:
    return Check(check_id, "value", 1)


def _row(status: str, points: float, message: str = "") -> CheckResult:
    return CheckResult("references", "hw1", "hw1.gd_step.public.basic", "gd_step", points, 1.0, status, message, 0.0)


@pytest.mark.parametrize("assignment", ASSIGNMENTS.values(), ids=lambda a: a.key)
def test_every_stub_matches_its_reference(assignment):
    assert parity_problems(assignment) == []


def test_suite_problems_name_duplicates_gaps_and_strangers():
    checks = [_check("hw1.gd_step.public.a"), _check("hw1.gd_step.public.a"), _check("hw1.gd_step.hidden.b"),
              _check("hw1.not_a_target.public.c")]
    problems = suite_problems({"hw1": checks}, None)
    assert "hw1.gd_step.public.a: check id used 2 times; ids must be unique" in problems
    assert any(p.startswith("hw1.not_a_target.public.c: targets 'not_a_target'") for p in problems)
    assert "hw1.sgd: no public check" in problems and "hw1.sgd: no hidden check" in problems
    assert not any(p.startswith("hw1.gd_step: no") for p in problems)


def make_inputs(rng):
    return {}


def test_record_problems_name_unknown_kinds_unfit_parameters_and_closures():
    problems = record_problems([
        Check("hw1.gd_step.public.closure", "value", 1, {"inputs": lambda rng: {}}),
        Check("hw1.gd_step.public.kind", "no_such_kind", 1, {"inputs": make_inputs}),
        Check("hw1.gd_step.public.params", "value", 1, {"inputs": make_inputs, "tolerance": 1e-3}),
        Check("hw1.gd_step.public.fine", "value", 1, {"inputs": make_inputs}),
    ])
    assert len(problems) == 3
    assert "closure" in problems[0] and "not a module-level function" in problems[0]
    assert "no kind of check named 'no_such_kind'" in problems[1]
    assert "do not fit the kind 'value'" in problems[2] and "tolerance" in problems[2]
    assert all("tests/test_validate.py:" in p for p in problems)  # where each record is written


def test_rule_problems_want_two_catalogued_mistakes_per_rule(monkeypatch):
    from grader.course import rules

    lonely = Rule("gd_step", make_inputs, "w", (Mistake("gd_step_ascent", "uphill"),))
    monkeypatch.setitem(rules.RULES, "hw1", (lonely, *rules.RULES["hw1"][1:]))
    assert rule_problems(["hw1"]) == [f"hw1.gd_step ({lonely.defined_at}): the rule catalogues 1 mistake(s); give "
                                      "it the two or more that students make most"]
    assert rule_problems(["hw2", "hw3", "lab"]) == []


def test_score_problems_want_full_marks_from_references_and_none_from_stubs():
    assert score_problems([_row("pass", 1.0)], "references", full=True) == []
    assert score_problems([_row("fail", 0.5, "off by one")], "references", full=True) == [
        "hw1.gd_step.public.basic: the references score 0.5/1 (fail): off by one"]
    assert score_problems([_row("error", 0.0, "not implemented")], "stubs", full=False) == []
    earned = score_problems([_row("pass", 1.0)], "stubs", full=False)
    assert earned == ["hw1.gd_step.public.basic: the stubs earn 1/1 points"]
    crashed = score_problems([_row("error", 0.0, "internal grader error (KeyError)")], "stubs", full=False)
    assert crashed and "trip the grader" in crashed[0]


# --- the command, end to end -------------------------------------------------------------------------

def _validate(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GRADER_SECRET", "GRADER_HIDDEN_DIR")}
    env["PYTHONPATH"] = str(root)  # the copy's grader and reference, not the installed ones
    return subprocess.run([sys.executable, "-m", "grader.cli", "validate", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_validate_passes_on_this_repository():
    done = _validate(REPO_ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all good" in done.stdout


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path} no longer holds {old!r}: update this test's breakage"
    path.write_text(text.replace(old, new, 1))


def _remove_stub_function(root: Path) -> None:
    path = root / "assignments" / "hw1_gradient_descent" / "gradient_descent.py"
    text = path.read_text()
    start = text.index("def gd_step(")
    end = text.index("\ndef ", start + 1)
    path.write_text(text[:start] + text[end:])


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


# (assignment to validate, how to break the copy, what the problem list must say). A wrong reference shows
# where a check has an oracle of its own: here the gradient check's finite differences of the forward.
BREAKAGES = {
    "stub function removed": ("hw1", _remove_stub_function,
                              "hw1.gd_step: the stub gradient_descent.py does not define it"),
    "wrong reference": ("hw2", lambda root: _edit(root / "reference" / "backprop_np.py",
                                                  "dY.T @ X, dY.sum(axis=0)", "dY.T @ X, dY.mean(axis=0)"),
                        "hw2.linear_backward.public.gradcheck: the references score 0/"),
    "duplicate check id": ("hw1", lambda root: _append(root / "grader" / "suites" / "public" / "hw1.py",
                                                       "\nCHECKS.append(CHECKS[0])\n"),
                           "check id used 2 times"),
    "a record that is not data": ("hw1", lambda root: _append(root / "grader" / "suites" / "public" / "hw1.py",
                                                              "\nfrom grader.checks.base import Check\nCHECKS.append("
                                                              "Check('hw1.gd_step.public.odd', 'value', 1, "
                                                              "{'inputs': lambda rng: {}}))\n"),
                                  "hw1.gd_step.public.odd (grader/suites/public/hw1.py:"),
}


@pytest.fixture(scope="module")
def pristine() -> Path:
    """A copy of the repository's course (grader, reference, assignments, config), outside /tmp: sandboxed
    workers get a private /tmp, so a grader under /tmp would be invisible to them."""
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="validate-test-", dir=REPO_ROOT / "build"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("grader", "reference", "assignments"):
        shutil.copytree(REPO_ROOT / name, root / "repo" / name, ignore=ignore)
    for name in ("course.toml", "pyproject.toml"):
        shutil.copyfile(REPO_ROOT / name, root / "repo" / name)
    yield root / "repo"
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.replace(" ", "-"))
def test_validate_fails_on_a_broken_copy_and_names_the_problem(pristine, tmp_path, breakage):
    root = pristine.parent / breakage.replace(" ", "-")
    shutil.copytree(pristine, root)
    assignment, break_it, expected = BREAKAGES[breakage]
    break_it(root)

    done = _validate(root, "--only", assignment)

    assert done.returncode == 1, done.stdout + done.stderr
    problems = done.stdout.split("problem(s):", 1)[-1]
    assert expected in problems, done.stdout + done.stderr
