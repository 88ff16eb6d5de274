"""The grading benchmark's report: what the whole course's utilisation target asks of a run that misses it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_grading import report_machine, report_slot_time, report_utilisation_gap  # noqa: E402

RUN = {"student_seconds": 180.0, "wall": 110.0, "grader_cpu": 20.0, "sandbox_cpu": 190.0}  # 81.8 % on 2 cores


def test_a_run_below_the_target_says_the_wall_and_cpu_it_would_need(capsys):
    report_utilisation_gap(RUN, 2, 1.9, 0.9)
    line = capsys.readouterr().out
    # 180 s in calls at 90 % of 2 cores: 100 s wall, 10 s less; at 1.9 cores 19 s less of 30 s not in calls
    assert "100.0 s wall at most, 10.0 s less" in line
    assert "about 19.0 s less of the 30.0 s of CPU not in student calls" in line


@pytest.mark.parametrize("student_seconds", [199.0, 210.0])
def test_a_run_at_or_above_the_target_prints_nothing(capsys, student_seconds):
    report_utilisation_gap({**RUN, "student_seconds": student_seconds}, 2, 1.9, 0.9)
    assert capsys.readouterr().out == ""


def test_the_machines_share_is_what_its_cores_did_beside_the_runs_processes(capsys):
    machine = {"busy": 215.5, "idle": 2.0, "iowait": 1.5, "steal": 1.8}  # 210 s of it the run's own (RUN)
    report_machine({**RUN, "machine": machine, "kernel": {"77 kdamond.0": 4.2, "15 rcu_preempt": 0.3}}, 2)
    line = capsys.readouterr().out
    assert "idle 3.5 s (1.5 s of it waiting for the disk), taken by the hypervisor 1.8 s" in line
    assert "busy outside the run 5.5 s (other processes and kernel threads, " \
        "the busiest kernel thread kdamond.0 4.2 s)" in line
    assert line.rstrip().endswith("slot time 220.0 s")


def test_without_the_machines_figures_nothing_is_said(capsys):
    report_machine(RUN, 2)
    assert capsys.readouterr().out == ""


def test_the_slot_time_says_how_much_of_each_assignment_went_to_forking_and_ending_children(capsys):
    # key -> [submissions, seconds, in student calls, waiting for children to be forked and ended]
    by_assignment = {"hw2": [120, 6.0, 1.5, 0.6], "lab": [120, 190.0, 170.0, 3.6]}
    report_slot_time({**RUN, "by_assignment": by_assignment, "outside": {"hw2": [0.03, 0.04], "lab": [0.05, 3.0]}},
                     2)
    out = capsys.readouterr().out
    assert "inside submissions: hw2 38 ms per submission (4.5 s), lab 167 ms per submission (20.0 s); " \
        "outside any submission: 24.0 s" in out
    assert "waiting for children to be forked and ended (the isolation): hw2 5.0 ms per submission (0.6 s), " \
        "lab 30.0 ms per submission (3.6 s)" in out
