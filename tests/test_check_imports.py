"""``grader check`` loads only what a student's check needs: no pandas, no matplotlib, no other verb."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from grader.course.assignments import REPO_ROOT

HEAVY = ("pandas", "matplotlib", "copydetect", "grader.reports.build", "grader.pipeline.gradebook")


def test_grader_check_hw2_never_imports_pandas_or_the_report_stack(tmp_path: Path) -> None:
    shutil.copy(REPO_ROOT / "reference" / "backprop_np.py", tmp_path / "backprop.py")
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "grader.cli", "check", "hw2", "--path", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "44 of 44 public checks pass" in run.stdout or "100 %" in run.stdout
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "grader.pipeline.engine" in imported  # the listing is real
    assert [m for m in HEAVY if m in imported] == []
