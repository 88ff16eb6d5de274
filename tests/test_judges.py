"""Judging in processes: the same rows as grading on threads, and nothing lost when a judge cannot grade."""

from __future__ import annotations

import multiprocessing
import os
import pickle
from pathlib import Path

import pytest
from slow_training import SLOW_TRAINING

import grader.pipeline.judges as judges
from grader.authoring.samples import reference_submission, write_submission
from grader.pipeline.discover import Submission, discover
from grader.pipeline.engine import grade_many
from grader.pipeline.resources import default_references, sandbox_sessions
from grader.suites import load_checks
from grader.suites.runner import remembered_fingerprint

MUTANTS = Path(__file__).parent / "data" / "mutants" / "hw2"


def small_class(root: Path) -> list:
    """The reference and five one-bug hand-ins of hw2."""
    write_submission(root / "s00", reference_submission())
    for i, mutant in enumerate(sorted(MUTANTS.glob("*.py"))[:5], start=1):
        write_submission(root / f"s{i:02d}", {"backprop.py": mutant.read_bytes()})
    return discover(root, ["hw2"])


def rows(graded: list) -> list[tuple]:
    return sorted((r.student, r.check_id, r.points, r.status, r.message, r.mistake, r.problem, r.output)
                  for g in graded for r in g.results)


def test_judge_processes_grade_exactly_as_threads_do(tmp_path, secret, monkeypatch):
    subs = small_class(tmp_path / "class")
    checks = load_checks("hw2", include_hidden=True)
    used = []
    real = judges.judged

    def spy(todo, make_plan, jobs, **kwargs):
        def planned():
            plan = make_plan()
            used.append((jobs, plan.answers))
            return plan

        return real(todo, planned, jobs, **kwargs)

    monkeypatch.setattr(judges, "MIN_PER_JUDGE", 1)
    monkeypatch.setattr(judges, "judged", spy)
    answers = tmp_path / "answers"
    with sandbox_sessions(2) as open_session:
        in_judges = list(grade_many(subs, lambda key: checks, open_session, default_references(answers=answers),
                                    secret, jobs=2, progress=False))
        on_threads = list(grade_many(subs, lambda key: checks, lambda *a, **k: open_session(*a, **k),
                                     default_references(), secret, jobs=2, progress=False))
    # the first run went to two judges that share the parent's slow answers; the second (not sandbox_sessions'
    # own) to threads
    assert used == [(2, answers)]
    assert rows(in_judges) == rows(on_threads)
    by_student = {g.submission.student: g for g in in_judges}
    assert all(r.status == "pass" for r in by_student["s00"].results)
    assert all(any(r.status != "pass" for r in by_student[f"s{i:02d}"].results) for i in range(1, 6))
    # every hand-in waited for its child to be forked and ended, apart from its time in student calls
    assert all(0 < g.isolation_seconds < g.seconds - g.student_seconds for g in in_judges + on_threads)


def test_what_a_judge_cannot_grade_is_graded_here(tmp_path, secret):
    subs = small_class(tmp_path / "class")[:3]
    plan = judges.Plan(checks={}, budgets={}, secret=secret, fresh_public=False)  # a judge knows no hw2: KeyError
    fell_back: list = []

    def fallback(rest):
        fell_back.extend(rest)
        return iter(["graded here"] * len(rest))

    out = list(judges.judged(subs, lambda: plan, 2, fallback))
    assert out == ["graded here"] * 3
    assert sorted(s.student for s in fell_back) == ["s00", "s01", "s02"]


def judge_processes() -> set[int]:
    return {p.pid for p in multiprocessing.active_children()}


def test_every_judge_is_starting_before_the_plan_is_made_and_none_waits_for_another(tmp_path, secret):
    """Judges spawn first and take their plan as it comes, so their start and the plan's making overlap: a plan sent
    at the spawn itself (this one is larger than a pipe's buffer) held each spawn until the judge before it started."""
    subs = small_class(tmp_path / "class")
    before = judge_processes()
    checks = {key: load_checks(key, include_hidden=True) for key in ("hw1", "hw2", "hw3", "lab")}
    fingerprints = {c.id: remembered_fingerprint(c) for key in checks for c in checks[key]}
    plan = judges.Plan(checks=checks, budgets=dict.fromkeys(checks, 60.0), secret=secret, fresh_public=False,
                       fingerprints=fingerprints)  # the whole course's, as grade_many makes it
    assert len(pickle.dumps(plan)) > 65536
    starting: list[int] = []

    def make_plan():
        starting.append(len(judge_processes() - before))
        return plan

    graded = list(judges.judged(subs, make_plan, 2, fallback=lambda rest: pytest.fail(f"not judged: {rest}")))
    assert starting == [2]  # made once, both judges already started
    assert len(graded) == len(subs)
    by_student = {g.submission.student: g for g in graded}
    assert all(r.status == "pass" for r in by_student["s00"].results)
    assert all(any(r.status != "pass" for r in by_student[f"s{i:02d}"].results) for i in range(1, 6))


def test_a_plan_that_cannot_be_made_stops_the_run_and_its_judges(tmp_path, capfd):
    subs = small_class(tmp_path / "class")
    before = judge_processes()

    def make_plan():
        raise ValueError("no checks")

    with pytest.raises(ValueError, match="no checks"):
        list(judges.judged(subs, make_plan, 2, fallback=lambda rest: pytest.fail("graded without a plan")))
    assert judge_processes() - before == set()
    assert "the run stopped before its plan was made" in capfd.readouterr().err  # not waiting for it (PLAN_WAIT)


@pytest.mark.parametrize("jobs, submissions", [(1, 40), (2, 9)])
def test_one_job_or_a_small_batch_stays_on_threads(tmp_path, secret, monkeypatch, jobs, submissions):
    monkeypatch.setattr(judges, "judged", lambda *a, **k: pytest.fail("judges started"))
    subs = small_class(tmp_path / "class")
    subs = (subs * 10)[:submissions]
    with sandbox_sessions(jobs) as open_session:
        graded = grade_many(subs, lambda key: [], open_session, default_references(), secret, jobs=jobs,
                            progress=False)
        assert len(list(graded)) == submissions


def hand_in(student: str, assignment: str) -> Submission:
    return Submission(student, assignment, {}, "", None)


def test_each_assignments_first_hand_in_is_graded_alone_while_the_others_go_on():
    feed = judges.PilotsFirst([hand_in(f"s{i}", "lab") for i in range(3)] + [hand_in("s0", "hw3"),
                                                                              hand_in("s1", "hw3")])
    taken = [feed.take() for _ in range(3)]  # the lab's pilot, hw3's pilot, then nothing of either until done
    assert [(s.student, s.assignment) for s in taken[:2]] == [("s0", "lab"), ("s0", "hw3")] and taken[2] is None

    feed.finished(taken[1])  # hw3's pilot is done: the rest of hw3, while the lab's still runs
    assert (feed.take().student, feed.take()) == ("s1", None)
    feed.finished(taken[0])
    assert [(s.student, s.assignment) for s in (feed.take(), feed.take())] == [("s1", "lab"), ("s2", "lab")]
    assert feed.take() is None and feed.pending == []


def test_a_judge_with_nothing_else_to_do_does_not_wait_for_a_pilot():
    feed = judges.PilotsFirst([hand_in(f"s{i}", "lab") for i in range(3)])
    assert feed.take().student == "s0"
    assert feed.take() is None  # one more queued ahead would only wait
    assert feed.take(idle=True).student == "s1"  # a judge would idle: it grades (and computes) on its own


COUNT_REFERENCE_TRAINING = SLOW_TRAINING + '''
import os
import sys
from grader.checks import references

_call = references.LiveReferences.__call__


def counted(self, assignment, function, args, kwargs):
    answer = _call(self, assignment, function, args, kwargs)
    if function == "fit_layers":
        with open(os.environ["FIT_LAYERS_LOG"], "a") as log:
            log.write(f"{os.getpid()}:torch={'torch' in sys.modules}\\n")
    return answer


references.LiveReferences.__call__ = counted
'''


@pytest.mark.slow
def test_judges_read_the_lab_training_a_run_stored_instead_of_training_again(tmp_path, secret, monkeypatch):
    """The lab's build_mlp check trains the hand-in's initial weights in the grader, without importing torch: the
    first run's judge stores the result, and two judges of the next run read it for their lab hand-ins instead of
    training again."""
    pytest.importorskip("torch")
    hook, log = tmp_path / "hook", tmp_path / "fit_layers.log"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(COUNT_REFERENCE_TRAINING)  # loaded by each judge as it starts
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("FIT_LAYERS_LOG", str(log))
    monkeypatch.setattr(judges, "MIN_PER_JUDGE", 1)
    checks = {key: load_checks(key, include_hidden=True) for key in ("lab", "hw1")}
    graded = []
    for run, students in enumerate([("ada",), ("bob", "cy")]):
        for student in students:
            write_submission(tmp_path / f"class{run}" / student, reference_submission())
        with sandbox_sessions(2) as open_session:
            graded += grade_many(discover(tmp_path / f"class{run}", ["lab", "hw1"]), checks.__getitem__, open_session,
                                 default_references(answers=tmp_path / "answers"), secret, jobs=2, progress=False)
        if run == 0:
            trainings = log.read_text().split()
            assert len(trainings) == 1 and trainings[0].endswith(":torch=False")  # once, in a judge without torch

    assert all(r.status == "pass" for g in graded for r in g.results) and len(graded) == 6
    assert len(log.read_text().split()) == 1  # the second run's two judges did not train


def test_a_judge_sets_up_one_blas_thread_and_reused_memory(monkeypatch, secret):
    """What a judge does before its first hand-in (``judges._start``), as a grading thread's process does."""
    import grader.pipeline.blas as blas
    import grader.pipeline.heap as heap

    done: list[str] = []
    monkeypatch.setattr(blas, "set_blas_threads", lambda n: done.append(f"blas {n}"))
    monkeypatch.setattr(heap, "keep_freed_memory", lambda: done.append("heap") or True)
    judges._start(judges.Plan(checks={}, budgets={}, secret=secret, fresh_public=False))
    try:
        assert done == ["blas 1", "heap"]
    finally:
        judges._judge["pool"].close()
        judges._judge.clear()
