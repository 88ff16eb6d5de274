"""``grader checks [ASSIGNMENT] [--hidden] [--format table|csv] [--mistakes]``: the suite as a table.

Every check with its id, target, kind, points, visibility and the file and line of the record it comes from
(a rule's standard checks point at the rule, a special case at its line in the suite); with ``--mistakes``,
every catalogued mistake of every rule with its hint. Hidden checks only with ``--hidden``, and only where
this installation has them.
"""

from __future__ import annotations

import argparse
import sys

from grader.course.assignments import ASSIGNMENTS
from grader.errors import UserError

HELP = "list the checks (or, with --mistakes, the known mistakes) with where each is defined"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", nargs="?", choices=list(ASSIGNMENTS), help="default: every assignment")
    parser.add_argument("--hidden", action="store_true", help="include the hidden checks (instructors only)")
    parser.add_argument("--format", choices=("table", "csv"), default="table", help="default: table")
    parser.add_argument("--mistakes", action="store_true", help="list the catalogued mistakes instead")


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from grader.suites import hidden_available
    from grader.suites.listing import checks_table, mistakes_table

    keys = [args.assignment] if args.assignment else list(ASSIGNMENTS)
    if args.hidden and not hidden_available():
        raise UserError("this installation has no hidden checks (a student release?): leave out --hidden")
    table = mistakes_table(keys) if args.mistakes else checks_table(keys, args.hidden)
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
        return 0
    shown = table.drop(columns=[c for c in ("description", "hint", "timeout", "category") if c in table.columns])
    with pd.option_context("display.max_rows", None, "display.max_colwidth", 80, "display.width", 250):
        print(shown.to_string(index=False))
    return 0
