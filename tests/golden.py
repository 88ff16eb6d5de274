"""The sample class's recorded grades: ``tests/data/sample_class_results.csv`` holds every row of its
``results.csv`` on the numpy homework (``seconds`` aside), graded with ``SECRET``.

    .venv/bin/python tests/golden.py    # regrade the sample class and rewrite the file (review the diff)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

SECRET = "sample-class-secret"
ASSIGNMENTS = "hw1,hw2,hw3"
RECORDED = Path(__file__).parent / "data" / "sample_class_results.csv"


def table(results_csv: Path) -> pd.DataFrame:
    """A results.csv without its ``seconds`` column (the only one that varies between runs)."""
    return pd.read_csv(results_csv, keep_default_na=False).drop(columns=["seconds"])


def recorded() -> pd.DataFrame:
    return pd.read_csv(RECORDED, keep_default_na=False)


def regenerate() -> None:
    from grader.cli import main
    from grader.course.assignments import REPO_ROOT

    os.environ["GRADER_SECRET"] = SECRET
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        code = main(["grade", str(REPO_ROOT / "submissions"), "--out", str(out), "--only", ASSIGNMENTS, "--quiet"])
        if code != 0:
            sys.exit(f"grading the sample class failed with exit code {code}")
        table(out / "results.csv").to_csv(RECORDED, index=False)
    print(f"wrote {RECORDED}")


if __name__ == "__main__":
    regenerate()
