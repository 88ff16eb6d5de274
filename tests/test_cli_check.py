"""``grader check``: a student's local run of the public checks, through the real sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.authoring.samples import reference_submission, write_submission
from grader.cli import main
from grader.course.assignments import REPO_ROOT


def test_correct_work_passes_with_exit_code_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_submission(tmp_path, {"gradient_descent.py": reference_submission()["gradient_descent.py"]})

    assert main(["check", "hw1", "--path", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    assert "isolation:" in out
    assert "gd_step" in out and "FAIL" not in out and "ERROR" not in out
    assert "(100 %)" in out


def test_the_stubs_fail_with_exit_code_1_and_say_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "hw1", "--path", str(REPO_ROOT)]) == 1  # found in the assignments/ layout

    out = capsys.readouterr().out
    assert "not implemented yet" in out
    assert "(0 %)" in out


def test_a_bug_is_named_in_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = reference_submission()["gradient_descent.py"].replace(b"return w - lr * grad", b"return w + lr * grad")
    write_submission(tmp_path, {"gradient_descent.py": source})

    assert main(["check", "--path", str(tmp_path)]) == 1

    lines = capsys.readouterr().out.splitlines()
    failing = [line for line in lines if "gd_step" in line and "FAIL" in line]
    assert failing, lines


def test_nothing_to_check_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "hw2", "--path", str(tmp_path)]) == 2
    assert "no backprop.py" in capsys.readouterr().err


def test_a_linked_helper_is_refused_as_in_grading(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "solution.py").write_text("SECRET = 1\n")
    work = tmp_path / "work"
    write_submission(work, {"gradient_descent.py": b"from helpers import *\n"})
    (work / "helpers.py").symlink_to(tmp_path / "elsewhere" / "solution.py")

    assert main(["check", "hw1", "--path", str(work)]) == 1

    out = capsys.readouterr().out
    assert "helpers.py is a symbolic link: hand in regular files only" in out
    assert "(0 %)" in out
