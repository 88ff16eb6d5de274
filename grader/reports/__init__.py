"""Reports rebuilt from a gradebook: one module per format, all fed by the same pandas tables.

``write_reports(out_dir, config)`` writes, into ``out_dir``: results.csv / results.parquet (the long
table), gradebook.csv, checks.csv, report.html, report.md and feedback/<student>.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from grader.config import CourseConfig
from grader.gradebook import FILENAME, Gradebook
from grader.reports import tables
from grader.reports.flags import flag_table


@dataclass(frozen=True)
class ReportData:
    """Everything a report needs, computed once."""

    config: CourseConfig
    results: pd.DataFrame  # the gradebook's long table with mistake, visibility, ...
    submissions: pd.DataFrame
    runs: pd.DataFrame
    gradebook: pd.DataFrame  # tables.gradebook_table
    checks: pd.DataFrame  # tables.checks_table
    flags: pd.DataFrame  # flags.flag_table
    maxima: pd.Series  # max points per assignment


def load_report_data(out_dir: Path, config: CourseConfig) -> ReportData:
    """Read ``out_dir``'s gradebook; FileNotFoundError when there is none."""
    path = Path(out_dir) / FILENAME
    if not path.is_file():
        raise FileNotFoundError(f"no gradebook at {path}: run `grader grade SUBMISSIONS --out {out_dir}` first")
    with Gradebook(Path(out_dir)) as book:
        results, submissions, runs = book.results_frame(), book.submissions_frame(), book.runs_frame()
    return ReportData(
        config=config,
        results=results,
        submissions=submissions,
        runs=runs,
        gradebook=tables.gradebook_table(results, submissions, config),
        checks=tables.checks_table(results),
        flags=flag_table(results),
        maxima=tables.max_points(results),
    )


def write_reports(
    out_dir: Path, config: CourseConfig, *, canvas: bool = False, roster: Path | None = None
) -> list[Path]:
    """Rebuild every report from ``out_dir/gradebook.sqlite``; returns the files written.
    ``canvas`` adds canvas.csv (see ``grader.reports.canvas``), with ``roster`` mapping student ids."""
    from grader.reports import canvas as canvas_format
    from grader.reports import flat, html, markdown

    out_dir = Path(out_dir)
    data = load_report_data(out_dir, config)
    written = flat.write(out_dir, data) + [html.write(out_dir, data)] + markdown.write(out_dir, data)
    if canvas:
        written.append(canvas_format.write(out_dir, data, roster))
    return written
