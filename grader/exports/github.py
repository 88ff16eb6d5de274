"""GitHub Actions output: ``::error`` annotations on the failing function's line, and a step summary.

Messages quote what the student's code raised or printed. The runner reads any stdout line that starts
(after spaces) with ``::`` as a workflow command, so annotations escape their data, and whatever else
``grader ci`` prints with student text in it goes inside ``workflow_commands_paused``.
"""

from __future__ import annotations

import ast
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from grader.pipeline.results import CheckResult
from grader.reports.safe_text import markdown, multi_line, one_line


def function_lines(source: str) -> dict[str, int]:
    """Line of each top-level ``def`` in a module's source; {} if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    return {node.name: node.lineno for node in tree.body if isinstance(node, ast.FunctionDef)}


def _escape(text: str) -> str:
    # Workflow-command escaping: the message must stay on one line.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


MAX_ANNOTATIONS = 10  # GitHub shows ten error annotations of a step and drops the rest without a word


def error_annotations(
    results: Sequence[CheckResult], files: Mapping[str, Path], limit: int = MAX_ANNOTATIONS
) -> list[str]:
    """``::error file=…,line=…,title=…::message``, one per function with a check that did not pass, at the
    function's ``def`` line, the functions that lost the most points first; a file that failed as a whole
    (every check with one error: a syntax error, a banned import) is one annotation. At most ``limit`` of
    them, then one ``::notice`` saying how many were left out and where to read them.

    ``files`` maps an assignment key to the student's file, relative to the repository root.
    """
    whole = {a for a in {r.assignment for r in results} if _failed_whole(results, a)}
    groups: dict[tuple[str, str], list[CheckResult]] = {}
    for r in results:
        groups.setdefault((r.assignment, "" if r.assignment in whole else r.target), []).append(r)
    failing = [(key, rows) for key, rows in groups.items() if any(r.status != "pass" for r in rows)]
    failing.sort(key=lambda item: -sum(r.max_points - r.points for r in item[1]))  # stable: course order on ties
    lines_by_file: dict[Path, dict[str, int]] = {}
    out = [_annotation(assignment, target, rows, files.get(assignment), lines_by_file)
           for (assignment, target), rows in failing[:limit]]
    if len(failing) > limit:
        left = len(failing) - limit
        title = f"{left} more failing {'function' if left == 1 else 'functions'} not annotated"
        note = f"GitHub shows {limit} annotations per step: the run's summary lists every failing check."
        out.append(f"::notice title={_escape_property(title)}::{_escape(note)}")
    return out


def _failed_whole(results: Sequence[CheckResult], assignment: str) -> bool:
    rows = [r for r in results if r.assignment == assignment]
    return len({r.target for r in rows}) > 1 and len({(r.status, r.message) for r in rows}) == 1 and \
        rows[0].status == "error"


def _annotation(assignment: str, target: str, rows: list[CheckResult], path: Path | None,
                lines_by_file: dict[Path, dict[str, int]]) -> str:
    failing = [r for r in rows if r.status != "pass"]
    location = ""
    if path is not None:
        if path not in lines_by_file:
            text = path.read_text(errors="replace") if path.suffix == ".py" and path.is_file() else ""
            lines_by_file[path] = function_lines(text)
        line = lines_by_file[path].get(target) if target else None
        location = f"file={_escape_property(one_line(path.as_posix()))}" + (f",line={line}" if line else "") + ","
    earned, total = sum(r.points for r in rows), sum(r.max_points for r in rows)
    if not target:  # the whole file, one message
        title = f"{assignment}: {earned:g}/{total:g} points, the file could not be graded"
        return f"::error {location}title={_escape_property(title)}::{_escape(multi_line(rows[0].message))}"
    title = f"{assignment} {target}: {earned:g}/{total:g} points, {len(failing)} of {len(rows)} checks not passed"
    message = "\n".join(f"{r.check_id}: {multi_line(r.message or r.status)}" for r in failing)
    return f"::error {location}title={_escape_property(title)}::{_escape(message)}"


def step_summary(results: Sequence[CheckResult], *, hidden: bool = False, fail_under: float = 0.0) -> str:
    """A Markdown summary: which checks ran, the score and the threshold this run holds it to (and so why the
    job passed or failed), the score per assignment, then every check that did not pass."""
    by_assignment: dict[str, list[CheckResult]] = {}
    for r in results:
        by_assignment.setdefault(r.assignment, []).append(r)
    total = sum(r.points for r in results)
    max_total = sum(r.max_points for r in results)
    percent = 100 * total / max_total if max_total else 0.0
    which = "Public and hidden checks" if hidden else "Public checks"
    lines = [f"## {which}: {total:g} / {max_total:g} points ({percent:.1f} %)", ""]
    if percent < fail_under:
        lines.append(f"**Failed:** the score is under the {fail_under:g} % this workflow requires "
                     f"(`--fail-under {fail_under:g}`).")
    elif not fail_under:
        lines.append("**Passed:** this workflow does not fail on the score (`--fail-under 0`).")
    else:
        lines.append(f"**Passed:** the score reaches the {fail_under:g} % this workflow requires "
                     f"(`--fail-under {fail_under:g}`).")
    if not hidden:
        lines.append("Your grade also counts hidden checks (other shapes, seeds and edge cases), which this run "
                     "does not: they will test more.")
    lines += ["", "| assignment | points | checks passed |", "|---|---|---|"]
    for key, rows in by_assignment.items():
        passed = sum(r.status == "pass" for r in rows)
        points = sum(r.points for r in rows)
        lines.append(f"| {key} | {points:g} / {sum(r.max_points for r in rows):g} | {passed} / {len(rows)} |")
    failing: dict[tuple[str, str, str, str], list[CheckResult]] = {}
    for r in results:  # checks that failed alike are one row: a file that failed at import, a stub
        if r.status != "pass":
            target = "" if _failed_whole(by_assignment[r.assignment], r.assignment) else r.target
            failing.setdefault((r.assignment, target, r.status, r.message), []).append(r)
    if failing:
        lines += ["", "### What to fix", "", "| check | status | message |", "|---|---|---|"]
        for (assignment, target, status, message), rows in failing.items():
            name = f"`{rows[0].check_id}`" if len(rows) == 1 else f"{assignment} {target or 'file'}: {len(rows)} checks"
            printed = next((r.output for r in rows if r.output), "")
            shown = markdown(message or "") + (f" — it printed: {markdown(printed)}" if printed else "")
            lines.append(f"| {name} | {status} | {shown} |")
    return "\n".join(lines) + "\n"


@contextmanager
def workflow_commands_paused() -> Iterator[None]:
    """On GitHub Actions, the runner ignores workflow commands in what is printed inside (``::stop-commands::``),
    so a student's message cannot add an annotation, a mask or an output; it resumes with a random token
    the student's code never sees. Elsewhere it does nothing."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        yield
        return
    token = secrets.token_hex(16)
    print(f"::stop-commands::{token}", flush=True)
    try:
        yield
    finally:
        print(f"::{token}::", flush=True)
