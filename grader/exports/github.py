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


def error_annotations(results: Sequence[CheckResult], files: Mapping[str, Path]) -> list[str]:
    """``::error file=…,line=…,title=…::message``, one per function with a check that did not pass, at the
    function's ``def`` line (GitHub shows only the first ten of a step, so one per check would drown them).

    ``files`` maps an assignment key to the student's file, relative to the repository root.
    """
    by_target: dict[tuple[str, str], list[CheckResult]] = {}
    for r in results:
        by_target.setdefault((r.assignment, r.target), []).append(r)
    lines_by_file: dict[Path, dict[str, int]] = {}
    out = []
    for (assignment, target), rows in by_target.items():
        failing = [r for r in rows if r.status != "pass"]
        if not failing:
            continue
        path = files.get(assignment)
        location = ""
        if path is not None:
            if path not in lines_by_file:
                text = path.read_text(errors="replace") if path.suffix == ".py" and path.is_file() else ""
                lines_by_file[path] = function_lines(text)
            line = lines_by_file[path].get(target)
            location = f"file={_escape_property(one_line(path.as_posix()))}" + (f",line={line}" if line else "") + ","
        earned, total = sum(r.points for r in rows), sum(r.max_points for r in rows)
        title = f"{assignment} {target}: {earned:g}/{total:g} points, {len(failing)} of {len(rows)} checks not passed"
        message = "\n".join(f"{r.check_id}: {multi_line(r.message or r.status)}" for r in failing)
        out.append(f"::error {location}title={_escape_property(title)}::{_escape(message)}")
    return out


def step_summary(results: Sequence[CheckResult]) -> str:
    """A Markdown summary: score per assignment, then every check that did not pass."""
    by_assignment: dict[str, list[CheckResult]] = {}
    for r in results:
        by_assignment.setdefault(r.assignment, []).append(r)
    total = sum(r.points for r in results)
    max_total = sum(r.max_points for r in results)
    lines = [f"## Grade: {total:g} / {max_total:g}", "", "| assignment | points | checks passed |", "|---|---|---|"]
    for key, rows in by_assignment.items():
        passed = sum(r.status == "pass" for r in rows)
        points = sum(r.points for r in rows)
        lines.append(f"| {key} | {points:g} / {sum(r.max_points for r in rows):g} | {passed} / {len(rows)} |")
    failing = [r for r in results if r.status != "pass"]
    if failing:
        lines += ["", "### What to fix", "", "| check | status | message |", "|---|---|---|"]
        for r in failing:
            lines.append(f"| `{r.check_id}` | {r.status} | {markdown(r.message or '')} |")
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
