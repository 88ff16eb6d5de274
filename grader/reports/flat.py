"""The tables as files: results.csv and results.parquet (the long table), gradebook.csv, checks.csv."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from grader.reports.tables import long_table

if TYPE_CHECKING:
    from grader.reports import ReportData


def write(out_dir: Path, data: ReportData) -> list[Path]:
    long = long_table(data.results)
    paths = {name: out_dir / name for name in ("results.csv", "results.parquet", "gradebook.csv", "checks.csv")}
    long.to_csv(paths["results.csv"], index=False)
    long.to_parquet(paths["results.parquet"], index=False)
    data.gradebook.to_csv(paths["gradebook.csv"], index=False)
    data.checks.to_csv(paths["checks.csv"], index=False)
    return list(paths.values())
