"""``grader report`` rebuilds, byte for byte, the reports ``grader grade`` wrote from the same gradebook: the
feedback's hints come from one catalogue, built from the rules, whichever command runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from grader.authoring.samples import mutate, reference_submission, write_submission
from grader.cli import main
from grader.course.assignments import REPO_ROOT
from grader.course.rules import HINTS

REPORTS = ("report.md", "report.html", "results.csv", "gradebook.csv", "checks.csv")


def snapshot(out: Path) -> dict[str, bytes]:
    files = {name: (out / name).read_bytes() for name in REPORTS}
    return files | {f"feedback/{p.name}": p.read_bytes() for p in sorted((out / "feedback").iterdir())}


def test_report_rebuilds_what_grade_wrote_byte_for_byte(tmp_path: Path, secret: str) -> None:
    klass, out = tmp_path / "class", tmp_path / "out"
    write_submission(klass / "amy", {"practice.py": mutate(reference_submission(), ("dropout_not_inverted",))[
        "practice.py"], "backprop.py": reference_submission()["backprop.py"]})
    write_submission(klass / "ben", {"practice.py": reference_submission()["practice.py"],
                                     "backprop.py": reference_submission()["backprop.py"]})
    assert main(["grade", str(klass), "--out", str(out), "--only", "hw3", "--quiet"]) == 0
    graded = snapshot(out)
    assert HINTS["dropout_not_rescaled"].encode() in graded["feedback/amy.md"]

    # A fresh process, as an instructor runs it: nothing grading imported is loaded there.
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-m", "grader.cli", "report", "--out", str(out)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    rebuilt = snapshot(out)
    assert rebuilt.keys() == graded.keys()
    assert [name for name in graded if graded[name] != rebuilt[name]] == []
