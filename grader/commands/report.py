"""``grader report``: rebuild the reports from the gradebook in an output folder, without regrading."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.errors import UserError

HELP = "rebuild the reports (CSV, Parquet, HTML, Markdown, feedback) from the gradebook in --out"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="the folder `grader grade` wrote to (default: out)"
    )
    parser.add_argument(
        "--format",
        dest="formats",
        action="append",
        choices=("canvas", "xlsx"),
        default=[],
        help="also write canvas.csv (Canvas gradebook import) or gradebook.xlsx (needs openpyxl); repeatable",
    )
    parser.add_argument(
        "--roster",
        type=Path,
        help="CSV mapping submission folder names (column 'student') to Canvas's Student, ID, SIS User ID, "
        "SIS Login ID, Section columns (implies --format canvas)",
    )
    parser.add_argument(
        "--strict-roster", action="store_true",
        help="with --roster: a graded student missing from the roster, or a roster student without any "
        "submission, is an error (exit code 2) instead of a warning",
    )  # fmt: skip
    parser.add_argument("--config", type=Path, help="course config (default: ./course.toml, else the repository's)")


def run(args: argparse.Namespace) -> int:
    from grader.pipeline.config import ConfigError, load_course_config
    from grader.pipeline.gradebook import FILENAME
    from grader.reports.build import ReportError, ReportsIncomplete, write_reports

    if not (args.out / FILENAME).is_file():
        raise UserError(
            f"no gradebook in {args.out}/ ({FILENAME}): grade first with `grader grade SUBMISSIONS --out {args.out}`"
        )
    if args.roster is not None and not args.roster.is_file():
        raise UserError(f"roster {args.roster} not found")
    formats = list(args.formats) + ["canvas"] * (args.roster is not None and "canvas" not in args.formats)
    try:
        config = load_course_config(args.config)
        written = write_reports(args.out, config, formats=formats, roster=args.roster, strict_roster=args.strict_roster)
    except (ConfigError, ReportError) as exc:
        raise UserError(str(exc)) from None
    except ReportsIncomplete as exc:
        _print_written(args.out, exc.written)
        print(f"Error: {exc}. The files listed above are up to date; the gradebook is unchanged", file=sys.stderr)
        return 1
    _print_written(args.out, written)
    return 0


def _print_written(out: Path, written: list[Path]) -> None:
    shown = [p for p in written if p.parent == out]
    for path in shown:
        print(path)
    extra = len(written) - len(shown)
    if extra:
        print(f"{out / 'feedback'}/ ({extra} student feedback files)")
