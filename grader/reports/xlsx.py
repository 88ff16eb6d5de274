"""gradebook.xlsx: the gradebook, the per-check table and the long table as sheets of one workbook.

Needs the optional package openpyxl (``pip install openpyxl``); the CSV files carry the same tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from grader.reports.flat import text_cells
from grader.reports.safe_text import csv_cell
from grader.reports.tables import long_table

if TYPE_CHECKING:
    from grader.reports.build import ReportData


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
    sheets = {"gradebook": data.gradebook, "checks": data.checks, "results": long_table(data.results)}
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            # openpyxl stores a string starting with "=" as a formula: guard text cells as in the CSVs.
            text_cells(frame, csv_cell).to_excel(writer, sheet_name=name, index=False)
    return path
