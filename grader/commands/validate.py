"""``grader validate [--only ASSIGNMENTS]``: the instructor's sanity check of the course
(see ``grader.authoring.validate``).

Exit code 0 when everything holds, 1 with the list of problems otherwise. It checks the repository the
grader runs from: to validate another copy, run that copy's grader (``cd copy && python -m grader.cli validate``).
"""

from __future__ import annotations

import argparse

HELP = "check the course: references score 100 %, stubs score 0, every stub has a reference and checks"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", default=None, help="comma-separated assignments, e.g. hw1,hw2 (default: all)")


def run(args: argparse.Namespace) -> int:
    from grader.authoring.validate import validate
    from grader.commands.grade import parse_only

    problems = validate(parse_only(args.only), report=lambda line: print(line, flush=True))
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nall good: the course is consistent")
    return 0
