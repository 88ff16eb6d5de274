"""A gradebook that mixes secrets says so, ``--regrade-stale`` brings it back to one; ``grade`` ends with a
summary; a gradebook written before submission states were recorded is migrated in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from grader.authoring.samples import reference_submission, write_submission
from grader.cli import main
from grader.pipeline.gradebook import Gradebook, secret_fingerprint
from grader.pipeline.gradebook_schema import VERSION

HW1, HW2 = "gradient_descent.py", "backprop.py"


def grade(root: Path, out: Path, *extra: str) -> int:
    return main(["grade", str(root), "--out", str(out), "--quiet", *extra])


@pytest.fixture
def small_class(tmp_path: Path) -> Path:
    correct = reference_submission()
    write_submission(tmp_path / "class" / "ann", {HW1: correct[HW1], HW2: correct[HW2]})
    write_submission(tmp_path / "class" / "bob", {HW1: b"import torch\n" + correct[HW1]})  # no hw2, torch in hw1
    return tmp_path / "class"


def test_two_secrets_warn_and_regrade_stale_clears_it(small_class, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    monkeypatch.setenv("GRADER_SECRET", "first secret")
    assert grade(small_class, out, "--only", "hw1,hw2") == 0
    capsys.readouterr()
    monkeypatch.setenv("GRADER_SECRET", "second secret")
    assert grade(small_class, out, "--only", "hw1") == 0
    err = capsys.readouterr().err
    assert err.count("mixes grades from 2 course secrets") == 1 and "--regrade-stale" in err
    assert "(hw1: 2)" in err and "(hw2: 2)" in err
    assert main(["report", "--out", str(out)]) == 0
    assert "mixes grades from 2 course secrets" in capsys.readouterr().err

    assert grade(small_class, out, "--only", "hw1", "--regrade-stale") == 0
    captured = capsys.readouterr()
    assert "WARNING" not in captured.err and "grading 2 on" in captured.out  # hw2 only: hw1 is current
    with Gradebook(out) as book:
        recorded = book.submissions_frame()
    assert set(recorded["secret_fingerprint"]) == {secret_fingerprint("second secret")}
    assert main(["report", "--out", str(out)]) == 0
    assert "WARNING" not in capsys.readouterr().err


def test_grade_ends_with_a_summary_of_what_needs_a_look(small_class, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRADER_SECRET", "a secret")
    assert grade(small_class, tmp_path / "out", "--only", "hw1,hw2") == 0
    out = capsys.readouterr().out
    summary = out[out.index("summary: ") :]
    assert "summary: hw1 1 graded, 1 ungradable; hw2 1 graded, 1 not submitted" in summary
    assert "flagged (1): bob/hw1: uses torch in hw1" in summary
    assert "ungradable (1): bob/hw1: hw1 must be done in numpy only" in summary
    assert "late: none" in summary
    assert "similar hand-ins flagged (1): hw1: ann ~ bob" in summary  # bob's hw1 is ann's with an import added


OLD_SCHEMA = """
CREATE TABLE runs (run_id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL, finished TEXT,
    argv TEXT NOT NULL, graded INTEGER, skipped INTEGER, pid INTEGER);
CREATE TABLE submissions (student TEXT NOT NULL, assignment TEXT NOT NULL, content_hash TEXT NOT NULL,
    suite_hash TEXT NOT NULL, submitted_at TEXT NOT NULL, run_id INTEGER NOT NULL, graded_at TEXT NOT NULL,
    PRIMARY KEY (student, assignment));
CREATE TABLE results (student TEXT NOT NULL, assignment TEXT NOT NULL, check_id TEXT NOT NULL, target TEXT NOT NULL,
    points REAL NOT NULL, max_points REAL NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL,
    seconds REAL NOT NULL, mistake TEXT NOT NULL, visibility TEXT NOT NULL, grader_version TEXT NOT NULL,
    suite_hash TEXT NOT NULL, run_id INTEGER NOT NULL, PRIMARY KEY (student, assignment, check_id));
CREATE TABLE claims (student TEXT NOT NULL, assignment TEXT NOT NULL, run_id INTEGER NOT NULL,
    claimed_at TEXT NOT NULL, PRIMARY KEY (student, assignment));
"""
OLD_ROWS = {  # (student, assignment): [(check, status, message, mistake, visibility)]
    ("ann", "hw1"): [("a", "pass", "", "", "public"), ("b", "fail", "gd_step: values differ", "", "hidden")],
    ("bob", "hw1"): [("a", "error", "not submitted: no gradient_descent.py in bob/", "", "public"),
                     ("b", "error", "gd_step: not submitted", "", "hidden")],
    ("cem", "hw1"): [("a", "error", "gradient_descent.py failed at import, so none of its checks ran: SyntaxError",
                      "", "public"),
                     ("b", "error", "gd_step: could not run: the file failed at import (see its public checks)", "",
                      "hidden")],
    ("dan", "hw2"): [("a", "error", "hw2 must be done in numpy only", "flag: uses torch in hw2", "public"),
                     ("b", "error", "hw2 must be done in numpy only", "flag: uses torch in hw2", "hidden")],
}  # fmt: skip


def test_an_older_gradebook_is_migrated_with_its_states(tmp_path):
    db = sqlite3.connect(tmp_path / "gradebook.sqlite")
    db.executescript(OLD_SCHEMA)
    for (student, assignment), rows in OLD_ROWS.items():
        db.execute("INSERT INTO submissions VALUES (?, ?, 'h', 'S', '', 1, '2027-01-01')", (student, assignment))
        for check, status, message, mistake, visibility in rows:
            db.execute(
                "INSERT INTO results VALUES (?, ?, ?, 't', 0, 1, ?, ?, 0, ?, ?, '0.1', 'S', 1)",
                (student, assignment, f"{assignment}.t.{visibility}.{check}", status, message, mistake, visibility),
            )
    db.commit()
    db.close()
    with Gradebook(tmp_path) as book:
        states = book.submissions_frame().set_index("student")[["state", "reason", "secret_fingerprint"]]
        assert book.results_frame()["secret_fingerprint"].eq("").all()
        assert book.sources_frame().empty
    assert states["state"].to_dict() == {"ann": "graded", "bob": "not submitted", "cem": "ungradable",
                                         "dan": "ungradable"}  # fmt: skip
    assert states.loc["cem", "reason"].startswith("gradient_descent.py failed at import")
    assert sqlite3.connect(tmp_path / "gradebook.sqlite").execute("PRAGMA user_version").fetchone() == (VERSION,)
    with Gradebook(tmp_path) as book:  # opening it again changes nothing
        assert book.submissions_frame().set_index("student")["state"].to_dict() == states["state"].to_dict()
