"""The benchmark's CPU meter: a process tree's CPU read from /proc while it runs, split grader / sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from cpu_meter import CpuMeter, _stat  # noqa: E402

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
