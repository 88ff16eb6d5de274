"""Why a submission is regraded, in the words a run prints."""

from __future__ import annotations

import json

from grader.pipeline.changes import describe, why_regrade
from grader.pipeline.discover import Submission
from grader.pipeline.gradebook import Recorded


def submission(student: str = "s01", **loaded: str) -> Submission:
    return Submission(student, "hw3", {}, "|".join(f"{k}={v}" for k, v in sorted(loaded.items())), None,
                      loaded=dict(loaded))  # fmt: skip


def recorded(sub: Submission, suite: str = "S", **loaded: str) -> Recorded:
    content = sub.content_hash + ("" if loaded == sub.loaded else "~")
    return Recorded(content, suite, json.dumps({"files": loaded, "all": ""}))


def test_each_reason_names_what_changed() -> None:
    now = submission(**{"practice.py": "a", "backprop.py": "b2"})
    assert why_regrade(now, None, "S") == "new"
    assert why_regrade(now, recorded(now, **now.loaded), "S") is None
    assert why_regrade(now, recorded(now, **now.loaded), "T") == "suite, config or secret changed"
    assert why_regrade(now, recorded(now, "", **now.loaded), "S") == "marked for regrading"
    before = recorded(now, **{"practice.py": "a", "backprop.py": "b1", "helper.py": "h"})
    assert why_regrade(now, before, "S") == "backprop.py changed, helper.py no longer loaded"
    assert why_regrade(now, recorded(now, **{"practice.py": "a"}), "S") == "backprop.py now loaded"
    legacy = Recorded("old", "S", "")  # a row from before the gradebook kept what it hashed
    assert why_regrade(now, legacy, "S") == "files changed"


def test_a_long_list_is_cut_and_counted() -> None:
    reasons = [(submission(f"s{i:03d}"), "new") for i in range(25)] + [(submission("z"), "backprop.py changed")]
    lines = describe(reasons, listed=20)
    assert len(lines) == 21 and lines[0] == "  s000/hw3: new"
    assert lines[-1] == "  and 1 more: files changed, 5 more: new"
