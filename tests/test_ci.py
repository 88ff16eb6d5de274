"""``grader ci`` in the instructor's repository: exit codes, results.json, JUnit, step summary, annotations,
hidden checks (installed, or from ``GRADER_HIDDEN_DIR``). The student release's run is in test_release.py."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from test_exports import GRADESCOPE_SCHEMA, runner_commands

from grader.authoring.samples import reference_submission, write_submission
from grader.cli import main
from grader.course.assignments import REPO_ROOT
from grader.exports.github import MAX_ANNOTATIONS, function_lines

HW1 = "gradient_descent.py"
SIGN_BUG = (b"return w - lr * grad", b"return w + lr * grad")


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A student repository holding a correct hw1 at the course layout, as the working folder."""
    folder = tmp_path / "repo"
    write_submission(folder / "assignments" / "hw1_gradient_descent", {HW1: reference_submission()[HW1]})
    monkeypatch.chdir(folder)
    monkeypatch.delenv("GRADER_SECRET", raising=False)
    monkeypatch.delenv("GRADER_HIDDEN_DIR", raising=False)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    return folder


def _break_gd_step(work: Path) -> Path:
    path = work / "assignments" / "hw1_gradient_descent" / HW1
    path.write_bytes(path.read_bytes().replace(*SIGN_BUG))
    return path


def test_correct_work_passes_and_writes_every_output(work, capsys):
    assert main(["ci", "--fail-under", "100"]) == 0

    out = capsys.readouterr().out
    assert "(100.0 %)" in out and "::error" not in out
    document = json.loads((work / "grading-results" / "results.json").read_text())
    jsonschema.validate(document, GRADESCOPE_SCHEMA)
    assert document["score"] == sum(t["max_score"] for t in document["tests"]) > 0
    assert {t["visibility"] for t in document["tests"]} == {"visible"}  # public checks only
    suite = ET.parse(work / "grading-results" / "junit.xml").getroot().find("testsuite")
    assert suite.get("name") == "hw1" and suite.get("failures") == "0"
    summary = (work.parent / "summary.md").read_text()
    assert summary.startswith("## Public checks: 9 / 9 points (100.0 %)")
    assert "**Passed:** the score reaches the 100 % this workflow requires (`--fail-under 100`)" in summary
    assert "hidden checks" in summary


def test_a_bug_fails_the_run_and_is_annotated_at_its_function(work, capsys):
    path = _break_gd_step(work)

    assert main(["ci", "--fail-under", "100"]) == 1

    out = capsys.readouterr().out
    line = function_lines(path.read_text())["gd_step"]
    expected = f"::error file=assignments/hw1_gradient_descent/{HW1},line={line},title=hw1 gd_step"
    assert any(a.startswith(expected) for a in out.splitlines()), out
    summary = (work.parent / "summary.md").read_text()
    assert "### What to fix" in summary and "hw1.gd_step.public" in summary
    assert "**Failed:** the score is under the 100 % this workflow requires (`--fail-under 100`)" in summary
    results = json.loads((work / "grading-results" / "results.json").read_text())
    assert any(t["status"] == "failed" and "gd_step" in t["name"] for t in results["tests"])


def test_a_students_message_runs_no_workflow_command_and_no_escape_sequence(work, monkeypatch, capsys):
    path = work / "assignments" / "hw1_gradient_descent" / HW1
    # Wrapped to the terminal's width, the table's lines start with "::add-mask::" whatever the width.
    evil = b'raise ValueError("\\n::error::pwned\\x1b[2J " + "::add-mask::wrapped " * 40 + "\\x07")'
    path.write_bytes(path.read_bytes().replace(SIGN_BUG[0], evil))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    assert main(["ci"]) == 0

    out = capsys.readouterr().out
    assert "pwned" in out and not any(c in out for c in "\x1b\x07")
    commands = runner_commands(out)
    assert commands and all(c.startswith("::error file=assignments/hw1_gradient_descent/") for c in commands), commands
    summary = (work.parent / "summary.md").read_text()
    assert "pwned" in summary and not any(c in summary for c in "\x1b\x07")


def test_fail_under_sets_the_exit_code_only(work):
    _break_gd_step(work)
    assert main(["ci", "--fail-under", "10"]) == 0  # most of hw1 still passes
    assert main(["ci"]) == 0  # default: never fails on the score


def test_a_named_assignment_that_is_missing_scores_zero(work, capsys):
    assert main(["ci", "--only", "hw1,hw2", "--fail-under", "50", "--results-dir", "out"]) == 1

    document = json.loads((work / "out" / "results.json").read_text())
    hw2 = [t for t in document["tests"] if t["number"].startswith("hw2.")]
    assert hw2 and all(t["score"] == 0 and "not submitted" in t["output"] for t in hw2)


def test_hidden_checks_need_the_secret_and_show_after_publishing(work, capsys, secret):
    assert main(["ci", "--hidden"]) == 0

    tests = json.loads((work / "grading-results" / "results.json").read_text())["tests"]
    hidden = [t for t in tests if ".hidden." in t["number"]]
    assert hidden and all(t["visibility"] == "after_published" and t["status"] == "passed" for t in hidden)


def test_hidden_without_a_secret_is_a_user_error(work, capsys):
    assert main(["ci", "--hidden"]) == 2
    assert "secret" in capsys.readouterr().err


def test_hidden_checks_from_a_folder_named_by_the_environment(work, tmp_path, monkeypatch, secret):
    hidden = tmp_path / "private"
    hidden.mkdir()
    (hidden / "hw1.py").write_text(
        "from grader.checks.maker import make\n"
        "from grader.course.hw1 import rules as r\n"
        "CHECKS = [r.GD_STEP.value('hw1.gd_step.hidden.from_env', 2, make(r.step_inputs, (3,)),\n"
        "                          description='kept outside the repo')]\n"
    )
    monkeypatch.setenv("GRADER_HIDDEN_DIR", str(hidden))

    assert main(["ci"]) == 0  # the environment alone turns hidden checks on

    tests = json.loads((work / "grading-results" / "results.json").read_text())["tests"]
    assert [t["number"] for t in tests if ".hidden." in t["number"]] == ["hw1.gd_step.hidden.from_env"]


def test_a_hidden_folder_that_is_not_there_is_a_user_error(work, tmp_path, monkeypatch, capsys, secret):
    monkeypatch.setenv("GRADER_HIDDEN_DIR", str(tmp_path / "nowhere"))
    assert main(["ci"]) == 2
    assert "GRADER_HIDDEN_DIR" in capsys.readouterr().err


def test_no_work_found_still_writes_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["ci", "--fail-under", "1"]) == 1
    assert "Nothing to grade" in capsys.readouterr().out
    assert json.loads((tmp_path / "grading-results" / "results.json").read_text())["tests"] == []


def test_the_stubs_get_ten_annotations_worst_first_and_a_notice(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADER_SECRET", raising=False)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))

    assert main(["ci", "--path", str(REPO_ROOT), "--fail-under", "100"]) == 1

    commands = runner_commands(capsys.readouterr().out)
    errors = [c for c in commands if c.startswith("::error ")]
    notices = [c for c in commands if c.startswith("::notice ")]
    assert len(errors) == MAX_ANNOTATIONS and len(notices) == 1 and len(commands) == 11
    lost = [float(e.split("title=")[1].split("%3A ")[1].split("/")[1].split(" ")[0]) for e in errors]
    assert lost == sorted(lost, reverse=True) and lost[0] == 7  # hw3's train_classifier: 0/7, the most
    assert "41 more failing functions not annotated" in notices[0]
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("## Public checks: 0 / 99.5 points (0.0 %)") and "**Failed:**" in summary
    assert "| hw2 relu_backward: 3 checks | error |" in summary  # alike failures are one row
