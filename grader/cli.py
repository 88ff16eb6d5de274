"""The ``grader`` command: parse and dispatch only; each verb lives in ``grader.commands.<verb>``.

A verb module exposes ``HELP: str``, ``add_arguments(parser)`` and ``run(args) -> int`` (the exit code).
Errors a user can fix are raised as ``grader.errors.UserError`` and printed as ``Error: ...`` without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from grader import __version__
from grader.errors import UserError

VERBS = ("check", "grade", "report", "release", "ci", "validate", "checks")


def build_parser(verbs: Sequence[str] = VERBS) -> argparse.ArgumentParser:
    """The parser with a sub-parser for each of ``verbs`` (each verb's module is imported to build it)."""
    parser = argparse.ArgumentParser(prog="grader", description="Grade the backpropagation week's homework.")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")
    for verb in verbs:
        try:
            module = importlib.import_module(f"grader.commands.{verb}")
        except ModuleNotFoundError as exc:
            if exc.name != f"grader.commands.{verb}":
                raise
            continue  # a verb left out of this installation
        # argparse %-formats help strings ("100 %" would break --help); descriptions are printed as they are.
        verb_parser = sub.add_parser(verb, help=module.HELP.replace("%", "%%"), description=module.HELP)
        module.add_arguments(verb_parser)
        verb_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_verbs_needed(argv)).parse_args(argv)
    try:
        return int(args._run(args))
    except UserError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``grader check | head``): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _verbs_needed(argv: Sequence[str]) -> Sequence[str]:
    """Only the verb asked for, when the command line starts with one: importing every verb's module
    would cost ``grader check`` the report stack (pandas) it never uses. Anything else (``--help``, a typo)
    gets the whole parser, so its messages list every verb."""
    return argv[:1] if argv and argv[0] in VERBS else VERBS


if __name__ == "__main__":
    sys.exit(main())
