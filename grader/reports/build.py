"""Every report from one read of the gradebook (``grader.reports`` says what each file holds).

``write_reports(out_dir, config)`` writes, into ``out_dir``: results.csv / results.parquet (the long
table), gradebook.csv, checks.csv, similarity.csv, report.html, report.md and feedback/<student>.md. Each
file is written on its own: one that fails (a plot, one student's feedback) leaves the others written, and
``ReportsIncomplete`` names it afterwards.

A rebuild redoes only what its data changed, and writes the same bytes as a build from scratch: kept in
``OUT/.grader-cache/``, each under a digest of exactly the data it is made from and of the grader's code,
are the similarity work (``pair_cache``), each student's feedback file (``feedback_files``) and block of
results.csv (``results_csv``); the long table itself is kept there too, and only the submissions whose rows
changed are read from the gradebook again (``results_table``); the tables and the figure (SVG, a millisecond)
are made again.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from grader.pipeline import consistency
from grader.pipeline.config import CourseConfig
from grader.pipeline.gradebook import FILENAME, Gradebook
from grader.pipeline.suite_cache import CACHE_DIR
from grader.reports import tables
from grader.reports.feedback_files import FeedbackFiles
from grader.reports.flags import flag_table
from grader.reports.pair_cache import PairCache
from grader.reports.results_table import read_results
from grader.reports.safe_text import one_line
from grader.reports.similarity import similarity_table
from grader.reports.student_rows import StudentRows, student_rows

EXTRA_FORMATS = ("canvas", "xlsx")
Writer = tuple[str, Callable[[], Path]]  # the file's name for messages, and what writes it


class ReportError(Exception):
    """A report cannot be written for a reason the user can fix (bad roster, missing optional package)."""


class ReportsIncomplete(Exception):
    """Some reports could not be written; ``written`` holds the files that were."""

    def __init__(self, written: list[Path], failures: list[tuple[str, Exception]]) -> None:
        self.written, self.failures = written, failures
        # An exception's text can quote a student id (a plot label, a file name): shown on one safe line.
        reasons = "; ".join(one_line(f"{name} ({type(exc).__name__}: {exc})") for name, exc in failures)
        super().__init__(f"{len(failures)} of {len(failures) + len(written)} report files not written: {reasons}")


@dataclass(frozen=True)
class ReportData:
    """Everything a report needs, computed once."""

    config: CourseConfig
    results: pd.DataFrame  # the gradebook's long table with mistake and visibility (read_results)
    submissions: pd.DataFrame
    runs: pd.DataFrame
    gradebook: pd.DataFrame  # tables.gradebook_table
    checks: pd.DataFrame  # tables.checks_table
    flags: pd.DataFrame  # flags.flag_table
    maxima: pd.Series  # max points per assignment
    similarity: pd.DataFrame  # similarity.similarity_table: the pairs worth listing
    pairs: dict  # (assignment, student_a, student_b) -> (text a, text b, match), listed pairs


def load_report_data(out_dir: Path, config: CourseConfig, *, compare: bool = True) -> ReportData:
    """Read ``out_dir``'s gradebook; FileNotFoundError when there is none. ``compare=False`` leaves the
    similarity of hand-ins out (seconds for a large class)."""
    path = Path(out_dir) / FILENAME
    if not path.is_file():
        raise FileNotFoundError(f"no gradebook at {path}: run `grader grade SUBMISSIONS --out {out_dir}` first")
    with Gradebook(Path(out_dir)) as book:
        results = read_results(path, Path(out_dir) / CACHE_DIR)
        submissions, runs = book.submissions_frame(), book.runs_frame()
        sources = book.sources_frame() if compare else book.sources_frame().head(0)
    pairs_table, pairs = similarity_table(sources, PairCache(Path(out_dir) / CACHE_DIR))
    flags = flag_table(results)
    return ReportData(
        config=config,
        results=results,
        submissions=submissions,
        runs=runs,
        gradebook=tables.gradebook_table(results, submissions, config, flags),
        checks=tables.checks_table(results, submissions),
        flags=flags,
        maxima=tables.max_points(results),
        similarity=pairs_table,
        pairs=pairs,
    )


def write_reports(
    out_dir: Path,
    config: CourseConfig,
    *,
    formats: Sequence[str] = (),
    roster: Path | None = None,
    strict_roster: bool = False,
    warn: Callable[[str], None] | None = None,
    data: ReportData | None = None,
) -> list[Path]:
    """Rebuild every report from ``out_dir/gradebook.sqlite`` (or from ``data``, what ``load_report_data``
    read from it, when the caller has it already); returns the files written. ``formats`` adds
    "canvas" (canvas.csv, with ``roster`` mapping student ids; see ``grader.reports.canvas``) and "xlsx".
    Roster gaps and a gradebook that mixes secrets or suites are passed to ``warn`` (default: stderr);
    ``strict_roster`` makes roster gaps a ReportError.

    ReportError before anything is written for a bad request; ReportsIncomplete after writing every file
    that could be, when some could not."""
    from grader.reports import canvas, flat, html, markdown, xlsx

    unknown = sorted(set(formats) - set(EXTRA_FORMATS))
    if unknown:
        raise ReportError(f"unknown report format {unknown[0]!r}; choose from {', '.join(EXTRA_FORMATS)}")
    if "xlsx" in formats and not xlsx.available():
        raise ReportError("the xlsx format needs openpyxl: `pip install openpyxl`, or open gradebook.csv instead")
    ids = canvas.read_roster(roster) if roster is not None and "canvas" in formats else None
    out_dir = Path(out_dir)
    data = data if data is not None else load_report_data(out_dir, config)
    warn = warn or _stderr
    problems = canvas.roster_warnings(data, ids) if ids is not None else []
    if problems and strict_roster:
        raise ReportError("--strict-roster: " + "; ".join(problems))
    for message in problems + consistency.mixing(data.submissions, str(out_dir)):
        warn(message)
    try:
        by_student: StudentRows | None = student_rows(data.results)
    except Exception:  # results.csv is then written whole, and the feedback files say why they fail
        by_student = None
    writers: list[Writer] = [
        *flat.writers(out_dir, data, by_student),
        ("report.html", partial(html.write, out_dir, data)),
        ("report.md", partial(markdown.write_summary, out_dir, data)),
    ]
    if "canvas" in formats:
        writers.append(("canvas.csv", partial(canvas.write, out_dir, data, ids)))
    if "xlsx" in formats:
        writers.append(("gradebook.xlsx", partial(xlsx.write, out_dir, data)))
    written: list[Path] = []
    failures: list[tuple[str, Exception]] = []
    feedback: FeedbackFiles | None = None
    try:
        feedback = FeedbackFiles(out_dir, data, by_student)
        writers += feedback.writers()
    except Exception as exc:  # reported below, once the other files are written
        failures.append(("feedback/", exc))
    for name, write in writers:
        try:
            written.append(write())
        except Exception as exc:  # reported below, once the other files are written
            failures.append((name, exc))
    if feedback is not None:
        feedback.remember()
    if failures:
        raise ReportsIncomplete(written, failures)
    return written


def _stderr(message: str) -> None:
    print(f"WARNING: {message}", file=sys.stderr)
