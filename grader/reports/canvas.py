"""canvas.csv: the gradebook in the layout Canvas's Gradebook "Import" accepts.

Columns ``Student, ID, SIS User ID, SIS Login ID, Section``, then one column per assignment, a second
row ``Points Possible`` with each assignment's maximum, then one row per student. Each cell by the
submission's state (the ``<a>_status`` column of gradebook.csv):

- graded: the score after the late policy (the ``<a>_final`` column of gradebook.csv);
- not submitted: ``0``, what the course percent counts (a blank would count as 0 in Canvas's "Final
  Score" but be left out of its "Current Score");
- ungradable (a refused file, a failure at import, a banned library): blank. Canvas leaves a blank cell
  ungraded and keeps any grade already there, so nothing is pushed for a hand-in that needs the instructor's
  look first (the report's "Flagged submissions" says why); the course percent counts 0 meanwhile.

What the instructor fills in:
- Canvas finds each student by ``ID`` (Canvas user id), ``SIS User ID`` or ``SIS Login ID``. Student
  folders are named by one id only, so pass ``--roster roster.csv``: a CSV with a ``student`` column (the
  folder name) and any of ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section`` (Canvas's
  own gradebook export has them all: add the ``student`` column to it). Without a roster, or for a
  student missing from it, the folder name goes into ``Student`` and ``SIS Login ID``. With a roster,
  ``roster_warnings`` names graded students missing from it and roster students with no submission (they
  are exported as not submitted); ``grader report --strict-roster`` makes either an error.
- A column named ``Name (1234)`` updates the existing Canvas assignment 1234; any other name makes Canvas
  offer to create a new assignment. Set the name in course.toml: ``[assignments.hw2] canvas_column =
  "Homework 2 (1234)"``; the default is the assignment key (``hw2``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from grader.pipeline.gradebook_schema import GRADED, NOT_SUBMITTED
from grader.reports.build import ReportError
from grader.reports.flat import write_csv
from grader.reports.safe_text import one_line

if TYPE_CHECKING:
    from grader.reports.build import ReportData

ID_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "    Points Possible"  # Canvas's own export indents it this way
NAMED = 20  # students named in one roster warning


def read_roster(path: Path) -> pd.DataFrame:
    """The roster CSV indexed by ``student``; ReportError naming what is missing."""
    roster = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "student" not in roster.columns:
        raise ReportError(f"{path}: the roster needs a 'student' column holding the submission folder names")
    unknown = sorted(set(roster.columns) - {"student", *ID_COLUMNS})
    roster = roster.drop(columns=unknown)  # e.g. the assignment columns of a Canvas export
    if roster["student"].duplicated().any():
        raise ReportError(
            f"{path}: student {roster['student'][roster['student'].duplicated()].iloc[0]!r} appears twice"
        )
    return roster.set_index("student")


def canvas_table(data: ReportData, roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """The import table, the ``Points Possible`` row first; every cell a string."""
    keys = list(data.maxima.index)
    names = {k: data.config.assignment(k).canvas_column or k for k in keys}
    rows = [[POINTS_POSSIBLE, "", "", "", ""] + [f"{data.maxima[k]:g}" for k in keys]]
    records = data.gradebook.to_dict("records")
    absent = sorted(set(roster.index) - set(data.gradebook["student"])) if roster is not None else []
    records += [{"student": s} | {f"{k}_status": NOT_SUBMITTED for k in keys} for s in absent]
    for record in records:
        student = record["student"]
        ids = dict.fromkeys(ID_COLUMNS, "") | {"Student": student, "SIS Login ID": student}
        if roster is not None and student in roster.index:
            ids |= {c: v for c, v in roster.loc[student].items() if v}
        rows.append([ids[c] for c in ID_COLUMNS] + [_cell(record, k) for k in keys])
    return pd.DataFrame(rows, columns=[*ID_COLUMNS, *(names[k] for k in keys)], dtype="string")


def _cell(record: dict, key: str) -> str:
    """The score Canvas imports for one state (module docstring)."""
    state = record[f"{key}_status"]
    if state == GRADED:
        return f"{round(record[f'{key}_final'], 2):g}"
    return "0" if state == NOT_SUBMITTED else ""


def roster_warnings(data: ReportData, roster: pd.DataFrame) -> list[str]:
    """Students graded but missing from the roster, and roster students without any submission, by name."""
    graded = set(data.gradebook["student"])
    warnings = []
    unknown = sorted(graded - set(roster.index))
    if unknown:
        warnings.append(
            f"{len(unknown)} graded students are not on the roster, so canvas.csv names them by folder only and "
            f"Canvas may not find them: {_names(unknown)}; add them to the roster's 'student' column"
        )
    missing = sorted(set(roster.index) - graded)
    if missing:
        warnings.append(
            f"{len(missing)} roster students have no submission folder and are exported as not submitted (0): "
            f"{_names(missing)}"
        )
    return warnings


def _names(students: list[str]) -> str:
    shown = ", ".join(one_line(s) for s in students[:NAMED])
    return shown + (f" and {len(students) - NAMED} more" if len(students) > NAMED else "")


def write(out_dir: Path, data: ReportData, roster: pd.DataFrame | None = None) -> Path:
    """canvas.csv; ``roster`` as read by ``read_roster``. The id columns are guarded like every CSV cell (a
    folder named ``-bob`` lands as ``'-bob``: rename such a folder, or map it with a roster, for Canvas to
    find the student); the score columns are numbers."""
    table = canvas_table(data, roster)
    return write_csv(table, out_dir / "canvas.csv", numbers=[c for c in table.columns if c not in ID_COLUMNS])
