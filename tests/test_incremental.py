"""Reruns of ``grader grade`` cost only what changed: a submission is regraded when a file its session loads
changes (or the suite, config or secret), the run says which and why, a new submission time recomputes the
late penalty without running code, and a run with nothing to do writes nothing."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from grader.cli import main
from grader.course.assignments import ASSIGNMENTS, REPO_ROOT

GD = (REPO_ROOT / "reference" / "gradient_descent_np.py").read_text()
BACKPROP = (REPO_ROOT / "reference" / "backprop_np.py").read_text()
STUB = (REPO_ROOT / "assignments" / "hw2_backprop" / "backprop.py").read_text()
# Every hw2 function, taken from a module whose name is put together at run time: no import statement names it.
HIDING = "import importlib\n\n_impl = importlib.import_module('imple' + 'mentation')\n" + "".join(
    f"{name} = _impl.{name}\n" for name in ASSIGNMENTS["hw2"].targets
)


def grade(root: Path, out: Path, *extra: str) -> int:
    return main(["grade", str(root), "--out", str(out), "--only", "hw1,hw2", "--public-only", "--quiet", *extra])


def put(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def scores(out: Path) -> dict[tuple[str, str], float]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = db.execute("SELECT student, assignment, SUM(points) FROM results GROUP BY student, assignment")
        return {(s, a): points for s, a, points in rows}


def graded_by(out: Path) -> dict[tuple[str, str], int]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return {(s, a): run for s, a, run in db.execute("SELECT student, assignment, run_id FROM submissions")}


def files(out: Path) -> dict[Path, int]:
    """Every file of ``out`` with its modification time, SQLite's own journal files aside (opening makes them)."""
    return {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


def runs(out: Path) -> int:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


@pytest.fixture
def klass(tmp_path: Path) -> Path:
    root = tmp_path / "class"
    for student in ("s01", "s02"):
        put(root / student / "gradient_descent.py", GD)
        put(root / student / "backprop.py", BACKPROP)
    return root


def test_fixing_one_file_regrades_only_the_submissions_that_load_it(klass: Path, out_dir: Path, capsys) -> None:
    put(klass / "s01" / "backprop.py", STUB)
    assert grade(klass, out_dir) == 0
    before, first_scores = graded_by(out_dir), scores(out_dir)
    assert first_scores[("s01", "hw2")] == 0 and first_scores[("s01", "hw1")] > 0
    capsys.readouterr()

    put(klass / "s01" / "backprop.py", BACKPROP)  # the fix
    assert grade(klass, out_dir) == 0

    out = capsys.readouterr().out
    assert "skipped 3 unchanged, grading 1 " in out and "  s01/hw2: backprop.py changed" in out
    after = graded_by(out_dir)
    assert {key for key in after if after[key] != before[key]} == {("s01", "hw2")}
    assert scores(out_dir)[("s01", "hw2")] == first_scores[("s02", "hw2")] > 0
    # the similarity report's texts: hw1's never held the backprop.py it does not load (so none went stale)
    with sqlite3.connect(out_dir / "gradebook.sqlite") as db:
        kept = dict(((a, s), t) for s, a, t in db.execute("SELECT student, assignment, text FROM sources"))
    assert kept[("hw1", "s01")] == GD and kept[("hw2", "s01")] == BACKPROP


def test_a_hidden_dependency_never_keeps_a_stale_grade(klass: Path, out_dir: Path, capsys) -> None:
    put(klass / "s01" / "backprop.py", HIDING)
    put(klass / "s01" / "implementation.py", BACKPROP)
    assert grade(klass, out_dir) == 0
    assert scores(out_dir)[("s01", "hw2")] == scores(out_dir)[("s02", "hw2")] > 0  # the hiding works when run
    capsys.readouterr()

    put(klass / "s01" / "implementation.py", STUB)
    assert grade(klass, out_dir) == 0

    out = capsys.readouterr().out
    assert "  s01/hw2: implementation.py changed" in out
    assert scores(out_dir)[("s01", "hw2")] == 0


def test_what_each_row_was_hashed_from_is_recorded(klass: Path, out_dir: Path) -> None:
    put(klass / "s01" / "notes.py", "X = 1\n")  # sent along, imported by nothing
    assert grade(klass, out_dir) == 0
    with sqlite3.connect(out_dir / "gradebook.sqlite") as db:
        loaded = dict(((s, a), json.loads(v)) for s, a, v in db.execute("SELECT student, assignment, loaded "
                                                                          "FROM submissions"))  # fmt: skip
    assert sorted(loaded[("s01", "hw1")]["files"]) == ["gradient_descent.py"]
    assert sorted(loaded[("s01", "hw2")]["files"]) == ["backprop.py"] and loaded[("s01", "hw2")]["all"] == ""


def test_new_students_and_a_new_secret_are_named_as_reasons(
    klass: Path, out_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADER_SECRET", "one")
    assert grade(klass, out_dir) == 0
    shutil.copytree(klass / "s02", klass / "s03")
    capsys.readouterr()
    assert grade(klass, out_dir) == 0
    out = capsys.readouterr().out
    assert "  s03/hw1: new" in out and "  s03/hw2: new" in out and "grading 2 " in out

    monkeypatch.setenv("GRADER_SECRET", "two")
    assert grade(klass, out_dir) == 0
    out = capsys.readouterr().out
    assert "grading 6 " in out and "  s01/hw1: suite, config or secret changed" in out


def test_a_rerun_with_nothing_to_grade_writes_nothing(klass: Path, out_dir: Path, capsys) -> None:
    assert grade(klass, out_dir) == 0
    first = capsys.readouterr().out
    written = files(out_dir)
    count = runs(out_dir)

    assert grade(klass, out_dir) == 0

    out = capsys.readouterr().out
    assert "skipped 4 unchanged, grading 0 " in out and "reports unchanged" in out
    assert files(out_dir) == written
    assert runs(out_dir) == count
    assert first[first.index("summary:"):] == out[out.index("summary:"):]  # the same closing summary


def test_a_deleted_report_is_written_again(klass: Path, out_dir: Path, capsys) -> None:
    assert grade(klass, out_dir) == 0
    (out_dir / "report.md").unlink()
    assert grade(klass, out_dir) == 0
    assert "reports unchanged" not in capsys.readouterr().out and (out_dir / "report.md").is_file()


def test_a_new_submission_time_recomputes_the_penalty_without_running_code(
    klass: Path, out_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = out_dir.parent / "course.toml"
    config.write_text('[late]\npenalty_per_day = 0.1\ncap = 0.5\n'
                      '[assignments.hw1]\ndue = "2027-01-20T12:00:00+00:00"\n')
    monkeypatch.chdir(out_dir.parent)  # course.toml is read from the working folder
    put(klass / "submitted_at.csv", "student,assignment,submitted_at\ns01,hw1,2027-01-20T11:00:00+00:00\n")
    assert grade(klass, out_dir) == 0
    assert pd.read_csv(out_dir / "gradebook.csv", index_col="student").loc["s01", "hw1_penalty"] == 0
    count = runs(out_dir)
    capsys.readouterr()

    def no_sandbox(*args, **kwargs):
        raise AssertionError("a new submission time ran student code")

    monkeypatch.setattr("grader.pipeline.resources.sandbox_sessions", no_sandbox)
    put(klass / "submitted_at.csv", "student,assignment,submitted_at\ns01,hw1,2027-01-22T13:00:00+00:00\n")
    assert grade(klass, out_dir) == 0

    out = capsys.readouterr().out
    assert "1 unchanged submissions have a new submission time" in out and "grading 0 " in out
    assert "reports unchanged" not in out
    book = pd.read_csv(out_dir / "gradebook.csv", index_col="student")
    assert (book.loc["s01", "hw1_late_days"], book.loc["s01", "hw1_penalty"]) == (3, pytest.approx(0.3))
    assert runs(out_dir) == count
