"""gradebook.xlsx: the gradebook, the per-check table and the long table as sheets of one workbook.

Needs the optional package openpyxl (``pip install openpyxl``); the CSV files carry the same tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from grader.reports.tables import long_table

if TYPE_CHECKING:
    from grader.reports import ReportData


def available() -> bool:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        return False
    return True


def write(out_dir: Path, data: ReportData) -> Path:
    """Assumes ``available()``: ``write_reports`` checks it before any work."""
    import pandas as pd

    path = out_dir / "gradebook.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        data.gradebook.to_excel(writer, sheet_name="gradebook", index=False)
        data.checks.to_excel(writer, sheet_name="checks", index=False)
        long_table(data.results).to_excel(writer, sheet_name="results", index=False)
    return path
