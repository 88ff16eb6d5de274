"""Whether a gradebook's rows were all graded the same way: one course secret, one suite per assignment.

``grader grade --only hw1`` with another secret, or an edit of a check followed by a partial run, leaves a
gradebook whose grades are not comparable. ``mixing`` says so in words (``grade`` and ``report`` print it);
``stale`` names the submissions that differ from what this run grades with, which ``grade --regrade-stale``
regrades.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from grader.reports.safe_text import one_line

if TYPE_CHECKING:  # only frames are handled here: pandas is the caller's import
    import pandas as pd

REGRADE = "regrade them with one secret: `grader grade SUBMISSIONS_DIR --out {out} --regrade-stale`"


def _secret(fingerprint: str) -> str:
    return f"secret {fingerprint}" if fingerprint else "no or an unrecorded secret"


def mixing(submissions: pd.DataFrame, out: str = "OUT") -> list[str]:
    """Warnings for a gradebook (``Gradebook.submissions_frame``) graded with more than one secret, or with
    more than one suite for one assignment; [] when consistent."""
    if submissions.empty:
        return []
    warnings = []
    secrets = submissions.groupby("secret_fingerprint", sort=True)
    if secrets.ngroups > 1:
        parts = []
        for fingerprint, group in secrets:
            counts = group.groupby("assignment", sort=True).size()
            where = ", ".join(f"{a}: {n}" for a, n in counts.items())
            parts.append(f"{_secret(str(fingerprint))} ({where})")
        warnings.append(
            f"the gradebook mixes grades from {secrets.ngroups} course secrets: {'; '.join(parts)}. "
            "Hidden checks drew other inputs for each, so these grades are not comparable; "
            + REGRADE.format(out=out)
        )
    for assignment, group in submissions.groupby("assignment", sort=True):
        suites = group["suite_hash"].value_counts()
        if len(suites) > 1:
            listed = ", ".join(f"{n} with suite {h}" for h, n in sorted(suites.items()))
            warnings.append(
                f"{assignment} was graded with {len(suites)} different suites ({listed}): the checks, points or "
                f"secret changed between runs; " + REGRADE.format(out=out)
            )
    return warnings


def stale(submissions: pd.DataFrame, hashes: Mapping[str, str], fingerprint: str) -> pd.DataFrame:
    """The recorded submissions of the assignments in ``hashes`` graded with another suite or secret than
    ``hashes[assignment]`` and ``fingerprint`` (a row from before fingerprints were recorded counts)."""
    if submissions.empty:
        return submissions
    current = submissions["assignment"].map(dict(hashes))
    known = current.notna()
    differs = (submissions["suite_hash"] != current) | (submissions["secret_fingerprint"] != fingerprint)
    return submissions[known & differs]


def describe(frame: pd.DataFrame, limit: int = 8) -> str:
    """``alice/hw1, bob/hw1 and 3 more``: submissions named on one safe line."""
    names = [one_line(f"{s}/{a}") for s, a in zip(frame["student"], frame["assignment"], strict=True)]
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
