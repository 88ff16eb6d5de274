"""Gradescope's autograder ``results.json``.

Schema (Gradescope autograder docs): top level ``score``, ``output``, ``visibility``,
``stdout_visibility``, ``execution_time`` and ``tests[]``, each test with ``name``, ``score``,
``max_score``, ``status`` ("passed" | "failed"), ``visibility`` ("visible" | "hidden" |
"after_due_date" | "after_published") and ``output``. Outputs quote what the student's code raised, as
plain text with control characters shown as escapes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from grader.pipeline.results import CheckResult
from grader.reports.safe_text import multi_line

# Hidden checks appear once the instructor publishes grades: students then see what failed,
# never before (they would learn the hidden cases by resubmitting).
VISIBILITY = {"public": "visible", "hidden": "after_published"}


def gradescope_results(results: Sequence[CheckResult], seconds: float = 0.0) -> dict:
    """The ``results.json`` document for one student's graded rows."""
    tests = [
        {
            "name": f"{r.check_id} ({r.target})",
            "number": r.check_id,
            "score": round(r.points, 4),
            "max_score": r.max_points,
            "status": "passed" if r.status == "pass" else "failed",
            "visibility": VISIBILITY.get(r.visibility, "after_published"),
            "output": multi_line(r.message or ("passed" if r.status == "pass" else r.status)),
        }
        for r in results
    ]
    score = sum(round(r.points, 4) for r in results)  # the tests' own scores, added up
    max_score = sum(r.max_points for r in results)
    return {
        "score": round(score, 4),
        "execution_time": round(seconds, 3),
        "output": f"{score:g} / {max_score:g} points on {len(tests)} checks.",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def write_gradescope_results(results: Sequence[CheckResult], path: Path, seconds: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gradescope_results(results, seconds), indent=2) + "\n")
    return path
