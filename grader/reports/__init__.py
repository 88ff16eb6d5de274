"""Reports rebuilt from a gradebook: one module per format, all fed by the same pandas tables.

``write_reports(out_dir, config)`` (``grader.reports.build``) writes, into ``out_dir``: results.csv /
results.parquet (the long table), gradebook.csv, checks.csv, similarity.csv, report.html, report.md and
feedback/<student>.md. Each file is written on its own: one that fails (a plot, one student's feedback)
leaves the others written, and ``ReportsIncomplete`` names it afterwards.

This package's own import is empty on purpose: ``grader check`` prints through ``grader.reports.safe_text``
and must not pay for pandas. The names below are loaded from ``build`` on first use.
"""

from __future__ import annotations

from typing import Any

_FROM_BUILD = frozenset({
    "EXTRA_FORMATS", "ReportData", "ReportError", "ReportsIncomplete", "Writer", "load_report_data", "write_reports",
})  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _FROM_BUILD:
        from grader.reports import build

        return getattr(build, name)
    raise AttributeError(f"module 'grader.reports' has no attribute {name!r}")
