"""What ``grader grade`` prints once the reports are written: warnings about a gradebook that mixes secrets
or suites, and a short summary of what needs the instructor (flagged, ungradable and late submissions,
similar hand-ins). Every student id is shown on one safe line (``safe_text.one_line``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course.assignments import ASSIGNMENTS
from grader.pipeline.config import CourseConfig
from grader.pipeline.gradebook import FILENAME, Gradebook
from grader.pipeline.gradebook_schema import STATES, UNGRADABLE
from grader.reports.safe_text import one_line

if TYPE_CHECKING:
    from grader.reports.build import ReportData

LISTED = 8  # submissions named per line; the rest are counted


def with_stale(out: Path, only: list[str], hash_for: Callable[[str], str], fingerprint: str) -> list[str]:
    """``only`` plus every assignment of ``out``'s gradebook with a submission graded under another suite or
    secret than this run's (``hash_for(key)``, ``fingerprint``), in course order."""
    from grader.pipeline import consistency

    if not (Path(out) / FILENAME).is_file():
        return only
    with Gradebook(out) as book:
        recorded = book.submissions_frame()
    others = [key for key in ASSIGNMENTS if key in set(recorded["assignment"]) and key not in only]
    hashes = {key: hash_for(key) for key in others}
    wanted = set(only) | set(consistency.stale(recorded, hashes, fingerprint)["assignment"])
    return [key for key in ASSIGNMENTS if key in wanted]


def stale_keys(book: Gradebook, hashes: Mapping[str, str], fingerprint: str) -> list[tuple[str, str]]:
    """(student, assignment) of the recorded submissions this run should regrade for ``--regrade-stale``."""
    from grader.pipeline import consistency

    frame = consistency.stale(book.submissions_frame(), hashes, fingerprint)
    return list(zip(frame["student"], frame["assignment"], strict=True))


def after_grading(
    out: Path, config: CourseConfig, hashes: Mapping[str, str], fingerprint: str, *, summary: list[str] | None = None,
    data: ReportData | None = None,
) -> list[str] | None:
    """Warnings (stderr) and the summary (stdout; ``summary`` when the reports it was made with are current,
    else made from ``data``, the gradebook as the reports just read it, or read again); returns the summary
    printed. Never fails the run, whose grades are already saved."""
    from grader.pipeline.consistency import REGRADE

    try:
        with Gradebook(out) as book:
            recorded = book.recorded()
        # mixing itself was reported with the reports (write_reports)
        others = sorted(key for key, r in recorded.items() if key[1] in hashes
                        and (r.suite_hash != hashes[key[1]] or r.secret_fingerprint != fingerprint))  # fmt: skip
        if others:
            names = [one_line(f"{s}/{a}") for s, a in others]
            shown = ", ".join(names[:LISTED]) + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")
            print(
                f"WARNING: {len(others)} submissions in the gradebook were graded with another suite or secret than "
                f"this run's and were not regraded ({shown}): " + REGRADE.format(out=out),
                file=sys.stderr,
            )
        if summary is None:
            if data is None:
                from grader.reports.build import load_report_data

                data = load_report_data(out, config, compare=False)
            summary = summary_lines(data, out)
        print("\n".join(summary))
        return summary
    except Exception as exc:  # a summary is a courtesy; the reports and the gradebook are written
        print(f"(no summary: {one_line(f'{type(exc).__name__}: {exc}')})", file=sys.stderr)
        return None


def summary_lines(data, out: Path) -> list[str]:
    """The closing summary of ``grade`` from ``ReportData``: states per assignment, then what needs a look."""
    states = data.submissions.pivot_table(index="assignment", columns="state", values="student", aggfunc="size")
    counts = []
    for key in [k for k in ASSIGNMENTS if k in states.index]:
        row = states.loc[key]
        counts.append(f"{key} " + ", ".join(f"{int(row[s])} {s}" for s in STATES if s in row and row[s] > 0))
    lines = ["summary: " + ("; ".join(counts) if counts else "nothing graded")]
    flags = data.flags[~data.flags["flag"].str.endswith(" not submitted")]
    lines.append(_listed("flagged", [f"{s}/{a}: {f}" for s, a, f in zip(flags["student"], flags["assignment"],
                                                                          flags["flag"], strict=True)]))  # fmt: skip
    ungradable = data.submissions[data.submissions["state"] == UNGRADABLE]
    lines.append(_listed("ungradable", [f"{s}/{a}: {r}" for s, a, r in zip(ungradable["student"],
                 ungradable["assignment"], ungradable["reason"], strict=True)]))  # fmt: skip
    late = []
    for key in data.maxima.index:
        g = data.gradebook
        for student, days, penalty in zip(g["student"], g[f"{key}_late_days"], g[f"{key}_penalty"], strict=True):
            if days > 0:
                late.append(f"{student}/{key}: {days} day(s) late, −{100 * penalty:g} %")
    lines.append(_listed("late", late))
    lines.append(_similar(out))
    return [line for line in lines if line]


def _listed(what: str, items: list[str]) -> str:
    if not items:
        return f"{what}: none"
    shown = "; ".join(one_line(item)[:160] for item in items[:LISTED])
    more = f"; and {len(items) - LISTED} more" if len(items) > LISTED else ""
    return f"{what} ({len(items)}): {shown}{more}"


def _similar(out: Path) -> str:
    """Flagged pairs from the similarity.csv just written (computing it again would cost seconds)."""
    import pandas as pd

    path = Path(out) / "similarity.csv"
    if not path.is_file():
        return ""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    flagged = table[table["flagged"] == "True"]
    pairs = [f"{a}: {x} ~ {y} ({float(s):.2f})" for a, x, y, s in
             zip(flagged["assignment"], flagged["student_a"], flagged["student_b"], flagged["score"], strict=True)]
    return _listed("similar hand-ins flagged", pairs) + (" — see similarity.csv" if pairs else "")

