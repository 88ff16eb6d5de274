"""The table ``grader check`` and ``grader ci`` print: one line per function, details only where it fails.

A file that could not be loaded (syntax error, banned import, crash at import) is one line, not one per
check; a function that is not implemented yet is one line; a failing function lists its failing checks with
their messages, repeated messages and hints said once. Every text that quotes the student's code or output
goes through ``one_line``, so no escape sequence reaches the terminal.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Sequence

from grader.pipeline.results import CheckResult
from grader.reports.safe_text import one_line

STATUS_MARK = {"pass": "pass", "fail": "FAIL", "error": "ERROR", "timeout": "TIMEOUT"}
HINT = " — likely mistake: "
INDENT = " " * 6
Print = Callable[[str], None]


def points(rows: Sequence[CheckResult]) -> str:
    return f"{sum(r.points for r in rows):g}/{sum(r.max_points for r in rows):g}"


def percent(rows: Sequence[CheckResult]) -> float:
    total = sum(r.max_points for r in rows)
    return 100 * sum(r.points for r in rows) / total if total else 0.0


def print_table(assignment: str, source: str, results: Sequence[CheckResult], *, failed_only: bool = False,
                out: Print = print) -> None:
    """The block of one hand-in: a header with its score, then one line per function (``failed_only``: per
    function that does not pass every check)."""
    passed = sum(r.status == "pass" for r in results)
    head = f"{assignment}  {one_line(source)}"
    if not results:
        out(f"{head}\n  no public checks for this assignment yet")
        return
    out(f"{head}  {points(results)} points ({percent(results):.0f} %), {passed} of {len(results)} checks pass")
    if {(r.status, r.message) for r in results} == {(results[0].status, results[0].message)} and not passed:
        _wrapped(f"{STATUS_MARK[results[0].status]}  {results[0].message}", out, "  ")  # the whole file
        return
    by_target: dict[str, list[CheckResult]] = {}
    for r in results:
        by_target.setdefault(r.target, []).append(r)
    width = max(len(t) for t in by_target)
    score_width = max(len(points(rows)) for rows in by_target.values())
    shown = 0
    for target, rows in by_target.items():
        failing = [r for r in rows if r.status != "pass"]
        if failed_only and not failing:
            continue
        shown += 1
        _target_block(target, rows, failing, f"  {target:<{width}}  {points(rows):>{score_width}}", out)
    if failed_only and not shown:
        out("  every check passes")


def closing_line(results: Sequence[CheckResult], hidden: bool = False) -> str:
    """The run's total, e.g. ``total: 12/99.5 points (12 %), 20 of 97 public checks pass; ...``."""
    passed = sum(r.status == "pass" for r in results)
    which = "public and hidden" if hidden else "public"
    line = f"total: {points(results)} points ({percent(results):.0f} %), {passed} of {len(results)} {which} checks pass"
    return line if hidden else line + "; the hidden checks used for your grade will test more"


def _target_block(target: str, rows: list[CheckResult], failing: list[CheckResult], prefix: str, out: Print) -> None:
    if not failing:
        out(f"{prefix}  pass")
        return
    mark = STATUS_MARK[failing[0].status if len({r.status for r in failing}) == 1 else "fail"]
    if len(failing) == len(rows) and all(r.problem == "not_implemented" for r in rows):
        out(f"{prefix}  {mark}  not implemented yet")
        return
    count = f"  ({len(rows) - len(failing)} of {len(rows)} checks pass)" if len(rows) > 1 else ""
    out(f"{prefix}  {mark}{count}")
    groups: dict[str, list[CheckResult]] = {}
    for r in failing:  # one message, said once for every check that gave it
        groups.setdefault(_without_target(r.message or r.status, target), []).append(r)
    hints = {message.partition(HINT)[2] for message in groups}
    shared = hints.pop() if len(hints) == 1 and len(groups) > 1 else ""
    for message, group in groups.items():
        text = message.partition(HINT)[0] if shared else message
        _wrapped(f"{', '.join(_case(r) for r in group)}: {text}", out)
        printed = next((r.output for r in group if r.output), "")
        if printed:
            out(f"{INDENT}it printed:")
            for line in printed.splitlines():
                out(f"{INDENT}  | {one_line(line)}")
    if shared:
        _wrapped(f"likely mistake (all of these): {shared}", out)


def _wrapped(text: str, out: Print, indent: str = INDENT) -> None:
    width = max(60, shutil.get_terminal_size((100, 20)).columns - 2)
    out(textwrap.fill(one_line(text), width=width, initial_indent=indent, subsequent_indent=INDENT))


def _without_target(message: str, target: str) -> str:
    """``gd_step: w has wrong values`` -> ``w has wrong values``: the line above names the function."""
    return message[len(target) + 2:] if message.startswith(f"{target}: ") else message


def _case(result: CheckResult) -> str:
    """The check's own part of its id (``hw2.linear_backward.public.shapes`` -> ``shapes``)."""
    case = result.check_id.split(".", 3)[3]
    return f"hidden {case}" if result.visibility == "hidden" else case
