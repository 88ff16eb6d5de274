"""The reports' long table, re-read only where the gradebook changed: always the table a whole read gives."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from grader.pipeline.gradebook import FILENAME, Gradebook
from grader.pipeline.results import CheckResult
from grader.reports import results_table
from grader.reports.results_table import FILENAME as KEPT
from grader.reports.results_table import read_results

# ids as hostile as a folder name can be (a line break, ESC, a bidi override, a formula): the kept table and its
# metadata carry them as data
STUDENTS = ["ann", "Bob", "b\u00e9a", "zo\u00eb", "s_10", "s_9", "\u00e5sa", "\U0001f600x",
            "new\nline\x1b[31m", "evil\u202etxt", "=HYPERLINK(\"x\")"]
ASSIGNMENTS = ["hw1", "hw2", "lab"]


def rows_for(student: str, assignment: str, n: int, tag: str) -> list[CheckResult]:
    return [
        CheckResult(student, assignment, f"{assignment}.c{i:02d}", f"t{i}", float(i % 2), 1.0,
                    "pass" if i % 2 else "fail", f"{tag} {i}", 0.01 * i, "transposed" if i == 2 else "")
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture
def out(tmp_path):
    """A gradebook of every student and assignment, three to six rows each."""
    with Gradebook(tmp_path) as book:
        run = book.start_run(["grade"])
        for k, student in enumerate(STUDENTS):
            for assignment in ASSIGNMENTS:
                book.record(run, student, assignment, "h", "S", None, rows_for(student, assignment, 3 + k % 4, "x"))
    return tmp_path


def read_both(out) -> pd.DataFrame:
    """The table read through the kept one, checked against a whole read."""
    kept = read_results(out / FILENAME, out / "cache")
    pd.testing.assert_frame_equal(kept, read_results(out / FILENAME))
    return kept


def hand_edit(out, statement: str, args: tuple = ()) -> None:
    """A change made by another writer than the grader (an instructor in the sqlite3 shell)."""
    with sqlite3.connect(out / FILENAME) as db:
        db.execute(statement, args)


@pytest.fixture
def whole_reads(monkeypatch):
    """How many times the table was read whole."""
    count = []
    whole = results_table._whole
    monkeypatch.setattr(results_table, "_whole", lambda db: count.append(1) or whole(db))
    return count


EDITS = {
    "the grader regrades one submission": lambda out: _record(out, "zo\u00eb", "hw2", 7, "regraded"),
    "a new student": lambda out: _record(out, "ann2", "lab", 2, "new"),
    "the grader forgets one": lambda out: _forget(out, "Bob", "hw1"),
    "points changed by hand": lambda out: hand_edit(out, "UPDATE results SET points = 9 WHERE student = 's_9' "
                                                         "AND check_id = 'hw1.c01'"),
    "a row moved to another student by hand": lambda out: hand_edit(
        out, "UPDATE results SET student = 'ann', check_id = 'lab.moved' WHERE student = 's_10' "
             "AND check_id = 'lab.c00'"),
    "a row deleted by hand": lambda out: hand_edit(out, "DELETE FROM results WHERE student = 'ann' AND "
                                                        "check_id = 'hw2.c01'"),
    "a row replaced by hand": lambda out: hand_edit(
        out, "INSERT OR REPLACE INTO results SELECT student, assignment, check_id, target, points, max_points, status,"
             " 'replaced', seconds, mistake, visibility, grader_version, suite_hash, run_id, secret_fingerprint "
             "FROM results WHERE student = 'b\u00e9a' AND check_id = 'hw2.c00'"),
    "a row added by hand": lambda out: hand_edit(
        out, "INSERT INTO results SELECT student, assignment, 'hw2.c99', target, points, max_points, status, message,"
             " seconds, mistake, visibility, grader_version, suite_hash, run_id, secret_fingerprint FROM results "
             "WHERE student = '\u00e5sa' AND check_id = 'hw2.c00'"),
}  # fmt: skip


def _record(out, student: str, assignment: str, n: int, tag: str) -> None:
    with Gradebook(out) as book:
        book.record(book.start_run(["grade"]), student, assignment, "h2", "S", None,
                    rows_for(student, assignment, n, tag))  # fmt: skip


def _forget(out, student: str, assignment: str) -> None:
    with Gradebook(out) as book:
        book.forget(student, assignment)


@pytest.mark.parametrize("edit", EDITS)
def test_a_change_by_any_writer_is_read_again_and_only_that(out, whole_reads, edit):
    before = read_both(out)
    assert len(whole_reads) == 2  # the first read with the kept table, and the check's
    EDITS[edit](out)
    after = read_both(out)
    assert len(whole_reads) == 3  # only the check's: the kept table was spliced
    assert not after.equals(before)


def test_nothing_changed_reads_nothing_but_the_versions(out, whole_reads):
    first = read_both(out)
    kept = (out / "cache" / KEPT).stat().st_mtime_ns
    again = read_results(out / FILENAME, out / "cache")
    pd.testing.assert_frame_equal(again, first)
    assert len(whole_reads) == 2 and (out / "cache" / KEPT).stat().st_mtime_ns == kept  # nor writes it again


def test_many_random_changes_in_a_row_always_give_the_whole_table(out):
    rng = np.random.default_rng(5)
    edits = list(EDITS.values())
    read_both(out)
    for step in range(25):
        student, assignment = STUDENTS[rng.integers(len(STUDENTS))], ASSIGNMENTS[rng.integers(3)]
        if rng.random() < 0.5:
            _record(out, student, assignment, int(rng.integers(0, 6)), f"step {step}")
        else:
            try:
                edits[rng.integers(len(edits))](out)
            except sqlite3.IntegrityError:  # that hand edit was made already
                pass
        read_both(out)


@pytest.mark.parametrize("damage", ["garbage", "empty", "other code", "other dtypes"])
def test_a_damaged_or_foreign_kept_table_means_a_whole_read(out, whole_reads, damage, monkeypatch):
    read_both(out)
    path = out / "cache" / KEPT
    if damage == "garbage":
        path.write_bytes(b"ARROW1" + bytes(range(256)) * 10)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "other code":
        monkeypatch.setattr(results_table, "code_stamp", lambda: "another grader")
    else:  # the same rows, one column kept as plain Python objects
        table, groups = results_table._load(path)
        results_table._store(path, table.astype({"student": object}), groups)
    _record(out, "ann", "hw1", 2, "after")
    read_both(out)
    assert len(whole_reads) == 4  # the damaged file was not used


def test_a_submission_without_a_version_is_read_whole_until_it_has_one_again(out, whole_reads):
    """Versions deleted by hand: the rows they covered are not lost, and are read whole while they lack one."""
    read_both(out)
    hand_edit(out, "DELETE FROM result_versions WHERE student = 'ann' AND assignment = 'hw1'")
    assert len(read_both(out).query("student == 'ann' and assignment == 'hw1'")) == 3
    assert len(whole_reads) == 4  # the kept table no longer adds up to the gradebook's rows
    hand_edit(out, "UPDATE results SET points = 5 WHERE student = 'ann' AND assignment = 'hw1'")  # a version again
    assert read_both(out).query("student == 'ann' and assignment == 'hw1'")["points"].eq(5).all()


def test_a_gradebook_from_before_versions_gets_one_for_each_submission(out, whole_reads):
    """Version 2 had no versions: migrating gives every recorded submission one, so the table can be kept."""
    with sqlite3.connect(out / FILENAME) as db:
        for trigger in ("results_inserted", "results_updated", "results_deleted"):
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute("DROP TABLE result_versions")
        db.execute("PRAGMA user_version = 2")
    pd.testing.assert_frame_equal(read_results(out / FILENAME, out / "cache"), read_results(out / FILENAME))
    with Gradebook(out):  # what the reports open first: it migrates
        pass
    with sqlite3.connect(out / FILENAME) as db:
        assert db.execute("SELECT count(*) FROM result_versions").fetchone() == (len(STUDENTS) * len(ASSIGNMENTS),)
    read_both(out)
    hand_edit(out, "UPDATE results SET points = 7 WHERE student = 'Bob' AND assignment = 'lab'")
    assert read_both(out).query("student == 'Bob' and assignment == 'lab'")["points"].eq(7).all()


def test_a_change_to_most_submissions_is_read_whole(out, whole_reads):
    """Splicing pays only for a few changes: after a regrade of the whole class the table is read whole, right."""
    read_both(out)
    for student in STUDENTS:
        for assignment in ASSIGNMENTS:
            _record(out, student, assignment, 2, "regraded")
    assert set(read_both(out)["message"].str.split().str[0]) == {"regraded"}
    assert len(whole_reads) == 4
