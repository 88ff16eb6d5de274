"""``grader check``: a student's local run of the public checks, through the real sandbox, and what it prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from grader.authoring.samples import mutate, reference_submission, write_submission
from grader.cli import main
from grader.course.assignments import REPO_ROOT

HW1 = "gradient_descent.py"
SIGN_BUG = (b"return w - lr * grad", b"return w + lr * grad")


def test_correct_work_passes_with_exit_code_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_submission(tmp_path, {HW1: reference_submission()[HW1]})

    assert main(["check", "hw1", "--path", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    assert "gd_step" in out and "FAIL" not in out and "ERROR" not in out
    assert out.rstrip().splitlines()[-1].startswith("total: 9/9 points (100 %), 11 of 11 public checks pass")
    assert "hidden checks used for your grade will test more" in out


def test_the_stubs_print_one_line_per_function_and_a_total(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--path", str(REPO_ROOT)]) == 1  # every stub, found in the assignments/ layout

    lines = capsys.readouterr().out.rstrip().splitlines()
    assert len(lines) <= 60, "\n".join(lines)
    stubbed = [line.split()[0] for line in lines if line.endswith("not implemented yet")]
    assert "gd_step" in stubbed and "mlp_backward" in stubbed and "train_classifier" in stubbed
    assert len(stubbed) == len(set(stubbed)) + 1  # `predict` is hw3's and the lab's: one line per function
    assert lines[-1].startswith("total: 0/") and "(0 %)" in lines[-1] and "hidden checks" in lines[-1]


def test_one_hand_in_is_checked_without_the_store_of_expectations(tmp_path, capsys, monkeypatch):
    """The store remembers across students: one student's check would only pay for it."""
    from grader.checks.expectations import Expectations

    asked: list[object] = []
    remember = Expectations.get

    def get(self, key, compute):
        asked.append(key)
        return remember(self, key, compute)

    monkeypatch.setattr(Expectations, "get", get)
    write_submission(tmp_path, {HW1: reference_submission()[HW1]})

    assert main(["check", "hw1", "--path", str(tmp_path)]) == 0

    assert "11 of 11 public checks pass" in capsys.readouterr().out
    assert asked == []


def test_a_file_with_a_syntax_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = reference_submission()["backprop.py"].replace(b"def relu_forward(S", b"def relu_forward(S,,", 1)
    write_submission(tmp_path, {"backprop.py": source})

    assert main(["check", "hw2", "--path", str(tmp_path)]) == 1

    lines = capsys.readouterr().out.rstrip().splitlines()
    about = [line for line in lines if "SyntaxError" in line]
    assert len(about) == 1 and "backprop.py failed at import" in about[0], lines
    assert "relu_forward" not in "\n".join(lines[1:-1]).replace(about[0], "")  # no line per function or check
    assert "(0 %)" in lines[0]


def test_a_bug_is_named_once_and_failed_only_hides_what_passes(tmp_path, capsys):
    write_submission(tmp_path, {HW1: reference_submission()[HW1].replace(*SIGN_BUG)})

    assert main(["check", "--path", str(tmp_path)]) == 1
    everything = capsys.readouterr().out.splitlines()
    assert main(["check", "--path", str(tmp_path), "--failed-only"]) == 1
    failing = capsys.readouterr().out.splitlines()

    assert any(line.split()[:1] == ["gd_step"] and "FAIL" in line for line in failing), failing
    assert any(line.split()[:1] == ["sgd"] and line.endswith("pass") for line in everything)
    assert not any(line.split()[:1] == ["sgd"] for line in failing)
    assert sum("likely mistake" in line for line in failing) == 1


def test_repeated_hints_are_said_once(tmp_path, capsys):
    # the missing 1/N fails mse_backward's value check and its gradient check, with one hint for both
    write_submission(tmp_path, mutate(reference_submission(), ("mse_missing_1_over_n",)))

    assert main(["check", "hw2", "--path", str(tmp_path), "--failed-only"]) == 1

    out = capsys.readouterr().out
    assert "values:" in out and "gradcheck:" in out
    assert out.count("1/N is missing") == 1, out


def test_path_takes_a_file_and_says_what_is_wrong_with_one(tmp_path, capsys):
    write_submission(tmp_path, {HW1: reference_submission()[HW1]})

    assert main(["check", "--path", str(tmp_path / HW1)]) == 0
    assert "total: 9/9" in capsys.readouterr().out
    assert main(["check", "--path", str(tmp_path / "nowhere.py")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("x")
    assert main(["check", "--path", str(tmp_path / "notes.txt")]) == 2
    assert "not a homework file" in capsys.readouterr().err
    assert main(["check", "hw2", "--path", str(tmp_path / HW1)]) == 2
    assert "hw1's file" in capsys.readouterr().err


def test_what_a_failing_function_printed_is_shown_escaped(tmp_path, capsys):
    source = reference_submission()[HW1].replace(
        SIGN_BUG[0], b'print("debug: step", lr, "\\x1b[2J")\n    ' + b"\n    ".join(
            [b'print("line", i)' for i in range(3)]) + b"\n    " + SIGN_BUG[1])
    write_submission(tmp_path, {HW1: source})

    assert main(["check", "hw1", "--path", str(tmp_path), "--failed-only"]) == 1

    out = capsys.readouterr().out
    assert "it printed:" in out and "| debug: step" in out and "\\x1b[2J" in out and "\x1b" not in out


def test_nothing_to_check_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "hw2", "--path", str(tmp_path)]) == 2
    assert "no backprop.py" in capsys.readouterr().err


def test_a_linked_helper_is_refused_as_in_grading(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "solution.py").write_text("SECRET = 1\n")
    work = tmp_path / "work"
    write_submission(work, {HW1: b"from helpers import *\n"})
    (work / "helpers.py").symlink_to(tmp_path / "elsewhere" / "solution.py")

    assert main(["check", "hw1", "--path", str(work)]) == 1

    out = capsys.readouterr().out
    assert "helpers.py is a symbolic link: hand in regular files only" in out
    assert "(0 %)" in out


def _course_layout(root: Path, hw2: bytes | None) -> Path:
    solutions = reference_submission()
    write_submission(root / "assignments" / "hw3_practice", {"practice.py": solutions["practice.py"]})
    if hw2 is not None:
        write_submission(root / "assignments" / "hw2_backprop", {"backprop.py": hw2})
    return root


def test_hw3_imports_hw2_from_its_own_folder_in_the_course_layout(tmp_path, capsys):
    assert b"from backprop import" in reference_submission()["practice.py"]  # what this test is about
    root = _course_layout(tmp_path, reference_submission()["backprop.py"])

    assert main(["check", "hw3", "--path", str(root / "assignments" / "hw3_practice")]) == 0

    assert "(100 %)" in capsys.readouterr().out


def test_a_missing_course_module_gets_a_hint_saying_where_it_goes(tmp_path, capsys):
    root = _course_layout(tmp_path, None)

    assert main(["check", "hw3", "--path", str(root)]) == 1

    out = " ".join(capsys.readouterr().out.split())
    assert "No module named 'backprop'" in out
    assert "backprop.py is your hw2 file: hand it in beside practice.py" in out
    assert "assignments/hw2_backprop/backprop.py" in out


def _without_torch(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """The grader with torch not importable in its process (as in an install without the lab extra)."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "from grader.cli import main\n"
            f"sys.exit(main({args!r}))\n")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("GRADER_SECRET", None)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def test_without_torch_hw1_to_hw3_are_checked_and_the_lab_says_what_to_install(tmp_path):
    solutions = reference_submission()
    write_submission(tmp_path, {name: solutions[name] for name in (HW1, "backprop.py", "mlp_lab.ipynb")})

    asked = _without_torch(["check", "lab"], tmp_path)
    found = _without_torch(["check"], tmp_path)

    assert asked.returncode == 2 and 'lab needs PyTorch' in asked.stderr and '".[lab]"' in asked.stderr
    assert found.returncode == 0, found.stdout + found.stderr  # hw1 and hw2 pass; the lab is said, not failed
    assert "total: 51/51 points (100 %)" in found.stdout
    assert "lab  " in found.stdout and "not checked: lab needs PyTorch" in found.stdout


def test_without_torch_the_instructor_grades_hw1_to_hw3(tmp_path):
    write_submission(tmp_path / "class" / "ann", {HW1: reference_submission()[HW1]})

    done = _without_torch(["grade", "class", "--only", "hw1", "--out", "out"], tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    gradebook = pd.read_csv(tmp_path / "out" / "gradebook.csv")
    assert gradebook.loc[0, "student"] == "ann" and gradebook.loc[0, "percent"] == 100
