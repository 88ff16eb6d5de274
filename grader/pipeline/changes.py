"""Why a submission is regraded: what differs between it and what the gradebook recorded for it.

``why_regrade`` is None for a current submission (same content hash, same suite hash), else a short reason:
``new``, ``suite, config or secret changed``, ``backprop.py changed``, ``helper.py now imported``... The
content hash covers only the files the session loads (``grader.pipeline.loads``), so the reason names those.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from grader.pipeline.discover import Submission
from grader.pipeline.gradebook import Recorded
from grader.reports.safe_text import one_line

LISTED = 20  # reasons printed one per line; the rest are counted


def why_regrade(submission: Submission, recorded: Recorded | None, suite_hash: str) -> str | None:
    """None when ``recorded`` is current for ``submission`` graded with ``suite_hash``, else why not."""
    if recorded is None:
        return "new"
    if (recorded.content_hash, recorded.suite_hash) == (submission.content_hash, suite_hash):
        return None
    if recorded.suite_hash != suite_hash:
        return "marked for regrading" if not recorded.suite_hash else "suite, config or secret changed"
    if submission.error:
        return "not submitted" if submission.missing else "cannot be graded"
    before = _files(recorded.loaded)
    if before is None:
        return "files changed"
    now = submission.loaded
    parts = [f"{n} changed" for n in sorted(now) if n in before and before[n] != now[n]]
    parts += [f"{n} now loaded" for n in sorted(set(now) - set(before))]
    parts += [f"{n} no longer loaded" for n in sorted(set(before) - set(now))]
    return ", ".join(parts) if parts else "files changed"


def describe(reasons: Sequence[tuple[Submission, str]], listed: int = LISTED) -> list[str]:
    """Lines that say what this run regrades and why: one per submission up to ``listed``, then counts by
    reason (a first run's 1,200 ``new`` need no list)."""
    lines = [f"  {one_line(s.student)}/{s.assignment}: {why}" for s, why in reasons[:listed]]
    rest: dict[str, int] = {}
    for _, why in reasons[listed:]:
        kind = why if why in ("new", "suite, config or secret changed", "marked for regrading") else "files changed"
        rest[kind] = rest.get(kind, 0) + 1
    if rest:
        lines.append("  and " + ", ".join(f"{n} more: {kind}" for kind, n in sorted(rest.items())))
    return lines


def _files(loaded: str) -> Mapping[str, str] | None:
    try:
        files = json.loads(loaded)["files"] if loaded else None
    except (ValueError, KeyError, TypeError):
        return None
    return files if isinstance(files, dict) else None
