"""Grading harness for the backpropagation week: sandboxed checks, gradebook and reports.

In a cell of the lab notebook, ``from grader import check; check()`` runs the public checks on the saved
notebook (``grader.jupyter``). Importing ``grader`` itself loads nothing else: the sandboxed worker imports
it too, and so does every notebook that uses ``grader.data``.
"""

from __future__ import annotations

import os

__version__ = "0.1.0"


def check(assignment: str = "lab", path: str | os.PathLike | None = None) -> None:
    """Run the public checks of ``assignment`` (default: the lab) on its saved file and print the table."""
    from grader.jupyter import check as run

    run(assignment, path)
