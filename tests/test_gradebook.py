"""The gradebook: incremental regrading, resuming after kill -9, and two writers at once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace

import pandas as pd
import pytest

import grader
from grader.checks.base import Check
from grader.pipeline.config import CourseConfig, apply_overrides, parse_course_config
from grader.pipeline.gradebook import RESULT_DTYPES, Gradebook, suite_hash
from grader.pipeline.results import RESULT_COLUMNS, CheckResult

N_CHECKS = 4


def rows_for(student: str, assignment: str = "hw2", n: int = N_CHECKS, tag: str = "") -> list[CheckResult]:
    return [
        CheckResult(student, assignment, f"{assignment}.t{i}.public.c", f"t{i}", i % 2, 1.0,
                    "pass" if i % 2 else "fail", f"msg {i}{tag}", 0.01 * i, "transposed" if i == 2 else "")
        for i in range(n)
    ]  # fmt: skip


def make_check(check_id: str = "hw2.linear_backward.public.basic", points: float = 2.0, **kw) -> Check:
    return Check(check_id, "value", points, **kw)


@pytest.fixture
def book(tmp_path):
    with Gradebook(tmp_path) as gb:
        yield gb


def record_class(book: Gradebook, students: list[str], suite: str = "S") -> int:
    run = book.start_run(["grade", "x"])
    for s in students:
        book.record(run, s, "hw2", f"hash-{s}", suite, "2027-01-29T20:00:00+01:00", rows_for(s))
    book.finish_run(run, graded=len(students), skipped=0)
    return run


def test_results_frame_has_fixed_columns_and_dtypes(book):
    record_class(book, ["bob", "ann"])
    frame = book.results_frame(extra=False)
    assert tuple(frame.columns) == RESULT_COLUMNS
    assert frame.dtypes.astype(str).to_dict() == RESULT_DTYPES
    assert list(frame["student"].unique()) == ["ann", "bob"]  # sorted
    extra = book.results_frame()
    assert set(extra["grader_version"]) == {grader.__version__}
    assert set(extra["mistake"]) == {"", "transposed"}


def test_empty_gradebook_frames_keep_their_schema(book):
    frame = book.results_frame(extra=False)
    assert frame.empty and frame.dtypes.astype(str).to_dict() == RESULT_DTYPES
    assert book.submissions_frame().empty


def test_only_the_changed_submission_is_stale(book):
    students = ["ann", "bob", "cem", "dan"]
    record_class(book, students)
    before = book.results_frame()
    assert all(book.is_current(s, "hw2", f"hash-{s}", "S") for s in students)
    stale = [s for s in students if not book.is_current(s, "hw2", "changed" if s == "bob" else f"hash-{s}", "S")]
    assert stale == ["bob"]
    run = book.start_run(["grade"])
    book.record(run, "bob", "hw2", "changed", "S", None, rows_for("bob", tag=" again"))
    after = book.results_frame()
    others = ["ann", "cem", "dan"]
    pd.testing.assert_frame_equal(
        before[before.student.isin(others)].reset_index(drop=True),
        after[after.student.isin(others)].reset_index(drop=True),
    )
    bob = after[after.student == "bob"]
    assert len(bob) == N_CHECKS and bob["message"].str.endswith(" again").all()
    assert set(bob["run_id"]) == {run}


def test_record_replaces_rows_and_never_duplicates(book):
    run = book.start_run([])
    book.record(run, "ann", "hw2", "h", "S", None, rows_for("ann", n=4))
    book.record(run, "ann", "hw2", "h", "S", None, rows_for("ann", n=2))
    assert len(book.results_frame()) == 2
    assert len(book.submissions_frame()) == 1


def test_record_rejects_rows_of_another_student(book):
    with pytest.raises(ValueError, match="not ann/hw2"):
        book.record(1, "ann", "hw2", "h", "S", None, rows_for("bob"))
    with pytest.raises(ValueError, match="duplicate"):
        book.record(1, "ann", "hw2", "h", "S", None, rows_for("ann") * 2)


def test_submitted_at_is_stored_in_utc(book):
    book.record(1, "ann", "hw2", "h", "S", "2027-01-29T23:30:00+01:00", [])
    assert book.submissions_frame()["submitted_at"].tolist() == ["2027-01-29T22:30:00+00:00"]
    with pytest.raises(ValueError, match="timezone"):
        book.record(1, "bob", "hw2", "h", "S", "2027-01-29T23:30:00", [])


def test_a_corrected_submission_time_is_stored_without_a_regrade(book):
    record_class(book, ["ann", "bob"])
    before = book.results_frame()

    corrected = [("ann", "hw2", "2027-02-02T10:00:00+00:00"), ("bob", "hw2", "2027-01-29T19:00:00+00:00")]
    changed = book.set_submitted_at(corrected)

    assert changed == 1  # bob's time is the same instant as before
    times = book.submissions_frame().set_index("student")["submitted_at"]
    assert times.to_dict() == {"ann": "2027-02-02T10:00:00+00:00", "bob": "2027-01-29T19:00:00+00:00"}
    assert book.set_submitted_at([("ann", "hw2", None), ("nobody", "hw2", "2027-01-01T00:00:00+00:00")]) == 1
    assert book.submissions_frame().set_index("student")["submitted_at"]["ann"] == ""  # unknown
    pd.testing.assert_frame_equal(book.results_frame(), before)


def test_runs_are_logged(book):
    run = record_class(book, ["ann"])
    runs = book.runs_frame()
    assert runs.loc[0, "run_id"] == run and runs.loc[0, "graded"] == 1 and runs.loc[0, "finished"]


def test_claims_keep_two_runs_from_grading_one_submission(tmp_path):
    with Gradebook(tmp_path) as first, Gradebook(tmp_path) as second:
        a, b = first.start_run(["a"]), second.start_run(["b"])
        assert first.claim(a, "ann", "hw2", "h", "S")
        assert first.claim(a, "ann", "hw2", "h", "S")  # a run may ask again
        assert not second.claim(b, "ann", "hw2", "h", "S")  # run a is alive and busy with it
        first.record(a, "ann", "hw2", "h", "S", None, rows_for("ann"))
        assert not second.claim(b, "ann", "hw2", "h", "S")  # current now
        assert second.claim(b, "ann", "hw2", "changed", "S")  # a new hand-in is fair game
        assert first.claim(a, "bob", "hw2", "h", "S")
        first.finish_run(a, 1, 0)
        assert second.claim(b, "bob", "hw2", "h", "S")  # a finished run's claims lapse


def test_a_dead_runs_claims_lapse(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with Gradebook(tmp_path) as book:
        a, b = book.start_run(["a"]), book.start_run(["b"])
        assert book.claim(a, "ann", "hw2", "h", "S")
        book._db.execute("UPDATE runs SET pid = ? WHERE run_id = ?", (int(dead.stdout), a))  # as if killed
        assert book.claim(b, "ann", "hw2", "h", "S")


def test_suite_hash_follows_points_timeouts_and_secret():
    checks = [make_check(), make_check("hw2.linear_backward.hidden.ties")]
    base = suite_hash(checks, CourseConfig())
    assert base == suite_hash(list(reversed(checks)), CourseConfig())
    override = parse_course_config({"assignments": {"hw2": {"points": {"hw2.linear_backward.public.basic": 3}}}})
    assert suite_hash(apply_overrides(checks, override), override) != base
    assert suite_hash([replace(checks[0], timeout=1.0), checks[1]], CourseConfig()) != base
    assert suite_hash(checks, CourseConfig(secret="other")) != base


def test_suite_hash_follows_the_source_of_a_function_a_check_names(tmp_path, monkeypatch):
    (tmp_path / "my_inputs.py").write_text("def make(rng):\n    return {}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_inputs

    check = make_check(params={"inputs": my_inputs.make})
    before = suite_hash([check], CourseConfig())
    (tmp_path / "my_inputs.py").write_text("def make(rng):\n    return {'X': 1}\n")
    assert suite_hash([check], CourseConfig()) != before


def test_suite_hash_ignores_where_a_record_is_written():
    check = make_check()
    assert suite_hash([check], CourseConfig()) == suite_hash([replace(check, defined_at="elsewhere.py:1")],
                                                             CourseConfig())


def test_points_override_makes_recorded_rows_stale(book):
    checks = [make_check()]
    before = suite_hash(checks, CourseConfig())
    book.record(1, "ann", "hw2", "h", before, None, rows_for("ann"))
    config = parse_course_config({"assignments": {"hw2": {"points": {"hw2.linear_backward.public.basic": 5}}}})
    after = suite_hash(apply_overrides(checks, config), config)
    assert book.is_current("ann", "hw2", "h", before)
    assert not book.is_current("ann", "hw2", "h", after)


# A writer in its own process: records students in order, printing each one once committed.
WRITER = """
import os, signal, sys, time
from pathlib import Path
from grader.pipeline.gradebook import Gradebook
from grader.pipeline.results import CheckResult
def rows_for(student, n):
    return [CheckResult(student, "hw2", f"hw2.t{i}.public.c", f"t{i}", 1.0, 1.0, "pass", "", 0.0) for i in range(n)]
out, first, last, kill_after = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
book = Gradebook(Path(out))
run = book.start_run(sys.argv)
print("ready", flush=True)
while len(sys.argv) > 5 and not os.path.exists(sys.argv[5]):  # a barrier, so both writers overlap
    pass
for i, n in enumerate(range(first, last, 1 if last > first else -1)):
    if i == kill_after:
        os.kill(os.getpid(), signal.SIGKILL)
    student = f"s{n:03d}"
    graded = book.claim(run, student, "hw2", "h", "S")
    if graded:
        time.sleep(0.002)  # grading takes a while: another writer may try this student meanwhile
        book.record(run, student, "hw2", "h", "S", None, rows_for(student, n=30))
    print(student, "graded" if graded else "skipped", flush=True)
book.finish_run(run, last - first, 0)
"""


def writer(out, first: int, last: int, kill_after: int = -1, barrier: str = "") -> subprocess.Popen:
    args = [sys.executable, "-c", WRITER, str(out), str(first), str(last), str(kill_after)] + [barrier] * bool(barrier)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"
    return proc


def assert_consistent(out, students: list[str]) -> None:
    with Gradebook(out) as book:
        frame = book.results_frame()
        subs = book.submissions_frame()
    assert sqlite3.connect(out / "gradebook.sqlite").execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert sorted(subs["student"]) == sorted(students)
    counts = frame.groupby("student").size()
    assert counts.to_dict() == dict.fromkeys(students, 30)  # every student complete, none twice
    # Every student's rows come from a single record, the one its submission row names.
    merged = frame.merge(subs[["student", "run_id"]], on="student", suffixes=("", "_sub"))
    assert (merged["run_id"] == merged["run_id_sub"]).all()


def test_killed_writer_keeps_every_finished_student_and_resumes(tmp_path):
    proc = writer(tmp_path, 0, 40, kill_after=7)
    finished = [line.split()[0] for line in proc.stdout.read().splitlines()]
    assert proc.wait() == -signal.SIGKILL
    assert len(finished) == 7
    assert_consistent(tmp_path, finished)
    resumed = writer(tmp_path, 0, 12)
    assert resumed.wait() == 0
    assert_consistent(tmp_path, [f"s{n:03d}" for n in range(12)])
    with Gradebook(tmp_path) as book:
        assert set(book.results_frame().query("student < 's007'")["run_id"]) == {1}  # not regraded


def test_writer_killed_from_outside_at_any_moment(tmp_path):
    proc = writer(tmp_path, 0, 400)
    seen = [proc.stdout.readline().split()[0] for _ in range(5)]
    time.sleep(0.05)  # lands somewhere mid-batch, possibly mid-transaction
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Gradebook(tmp_path) as book:
        done = book.submissions_frame()["student"].tolist()
    assert set(seen) <= set(done)
    assert_consistent(tmp_path, done)
    assert writer(tmp_path, 0, 400).wait() == 0
    assert_consistent(tmp_path, [f"s{n:03d}" for n in range(400)])


def test_two_concurrent_writers_leave_it_consistent_and_split_the_work(tmp_path):
    go = tmp_path / "go"
    # They race towards each other over s030..s059, so both want the same students at the same time.
    first, second = writer(tmp_path, 0, 60, barrier=str(go)), writer(tmp_path, 89, 29, barrier=str(go))
    go.touch()
    graded = [
        {line.split()[0] for line in proc.stdout.read().splitlines() if line.endswith("graded")}
        for proc in (first, second)
    ]
    assert first.wait() == 0 and second.wait() == 0
    assert_consistent(tmp_path, [f"s{n:03d}" for n in range(90)])
    assert graded[0] & graded[1] == set()  # nobody graded twice
    assert graded[0] | graded[1] == {f"s{n:03d}" for n in range(90)}
    with Gradebook(tmp_path) as book:
        runs = book.runs_frame()
    assert len(runs) == 2 and runs["finished"].notna().all()


SLOW_IMPORT = b"\nimport time\n\ntime.sleep(1.5)  # a slow student: the batch can be killed while it runs\n"


def recorded(out) -> int:
    try:
        with sqlite3.connect(out / "gradebook.sqlite", timeout=30) as db:
            return db.execute("SELECT count(*) FROM submissions").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


@pytest.mark.slow
def test_grade_killed_partway_resumes_without_losing_or_repeating_work(tmp_path, secret):
    from grader.authoring.samples import reference_submission, write_submission
    from grader.cli import main
    from grader.suites import load_checks

    correct = reference_submission()["gradient_descent.py"]
    students = [f"a{i}" for i in range(4)] + [f"z{i}" for i in range(4)]  # the "z" students are slow
    for student in students:
        slow = student.startswith("z")
        write_submission(tmp_path / "class" / student, {"gradient_descent.py": correct + SLOW_IMPORT * slow})
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader.cli", "grade", str(tmp_path / "class"), "--out", str(out),
               "--only", "hw1", "--jobs", "1", "--quiet"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
    while recorded(out) < 2 and proc.poll() is None:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the grader and its sandboxes, mid-batch
    proc.wait()
    done_before = recorded(out)
    assert 2 <= done_before < len(students), "the batch should have been cut short"
    with Gradebook(out) as book:
        before = book.results_frame()

    assert main(["grade", str(tmp_path / "class"), "--out", str(out), "--only", "hw1", "--quiet"]) == 0

    with Gradebook(out) as book:
        after, runs = book.results_frame(), book.runs_frame()
    n_checks = len(load_checks("hw1", include_hidden=True))
    assert after.groupby("student").size().to_dict() == dict.fromkeys(students, n_checks)
    assert not after.duplicated(["student", "assignment", "check_id"]).any()
    assert (runs.iloc[-1]["graded"], runs.iloc[-1]["skipped"]) == (len(students) - done_before, done_before)
    kept = after[after["student"].isin(before["student"])]
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), before.reset_index(drop=True))  # not regraded
    assert (after.loc[after["student"].str.startswith("a"), "status"] == "pass").all()
