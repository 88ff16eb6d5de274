"""The benchmark's CPU meter: a process tree's CPU read from /proc while it runs, split grader / sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from cpu_meter import CpuMeter, _stat, kernel_thread_seconds, machine_seconds  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")

# Burns `seconds` of its own CPU, says so, then waits to be told to end (alive while the meter reads it).
BURN = ("import sys, time\n"
        "end = time.process_time() + float(sys.argv[1])\n"
        "while time.process_time() < end: pass\n"
        "print('done', flush=True); sys.stdin.read()\n")


def burner(seconds: float, *marker: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", BURN, str(seconds), *marker], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "done\n"
    return process


def test_a_stat_line_with_spaces_and_parentheses_in_the_name_parses(tmp_path):
    script = tmp_path / "odd ) name"
    script.write_text("import sys; sys.stdin.read()\n")
    process = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE)
    try:
        name, parent, seconds = _stat(str(process.pid))
        assert parent == os.getpid() and seconds >= 0.0 and name
    finally:
        process.communicate("")
    assert _stat("999999999") is None


def test_the_meter_splits_the_trees_cpu_between_grader_and_sandbox():
    meter = CpuMeter(interval=0.05)
    meter.start()
    grader_side = burner(0.4)
    sandbox_side = burner(0.6, "grader.worker.zygote")  # a zygote's command line: a sandbox's root
    try:
        meter.stop()  # read while both are alive: a process that ends unreaped by the tree would be missed
    finally:
        for process in (grader_side, sandbox_side):
            process.communicate("")
    assert 0.55 <= meter.sandbox <= 1.5
    assert 0.35 <= meter.grader - meter.read_seconds <= 1.5  # this process's own CPU counts on the grader side
    assert meter.read_seconds > 0.0


def test_the_machines_counters_are_read_from_the_first_line_of_proc_stat(tmp_path):
    ticks = os.sysconf("SC_CLK_TCK")
    stat = tmp_path / "stat"  # user nice system idle iowait irq softirq steal guest guest_nice, then one line a core
    stat.write_text(f"cpu  {3 * ticks} {ticks} {2 * ticks} {10 * ticks} {ticks} 0 {ticks} {4 * ticks} 0 0\n"
                    "cpu0 1 2 3 4 5 6 7 8 0 0\n")
    assert machine_seconds(str(stat)) == {"busy": 7.0, "idle": 10.0, "iowait": 1.0, "steal": 4.0}


def test_a_process_burning_cpu_shows_as_the_machine_busy():
    before = machine_seconds()
    burner(0.5).communicate("")
    after = machine_seconds()
    assert after["busy"] - before["busy"] >= 0.4
    assert all(after[key] >= before[key] for key in before)


def test_kernel_threads_are_the_children_of_kthreadd():
    threads = kernel_thread_seconds()  # empty in a pid namespace that does not show the kernel's threads
    for key, seconds in threads.items():
        pid, name = key.split(" ", 1)
        stat = _stat(pid)
        assert seconds >= 0.0 and name and (stat is None or stat[1] == 2)
    assert not any(key.split(" ", 1)[0] == str(os.getpid()) for key in threads)
