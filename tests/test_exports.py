"""CI output formats: Gradescope results.json against its schema, JUnit XML, GitHub annotations."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from grader.exports.github import error_annotations, function_lines, step_summary, workflow_commands_paused
from grader.exports.gradescope import gradescope_results, write_gradescope_results
from grader.exports.junit import write_junit
from grader.pipeline.results import CheckResult

# Gradescope's autograder results format, as its documentation describes it.
GRADESCOPE_SCHEMA = {
    "type": "object",
    "required": ["tests"],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "stdout_visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "score", "max_score", "visibility", "output"],
                "properties": {
                    "name": {"type": "string"},
                    "number": {"type": "string"},
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
                    "output": {"type": "string"},
                },
            },
        },
    },
}


def row(check_id: str, status: str, points: float, max_points: float = 2.0, message: str = "", visibility="public"):
    assignment, target = check_id.split(".")[:2]
    return CheckResult("s1", assignment, check_id, target, points, max_points, status, message, 0.01,
                       visibility=visibility)


@pytest.fixture
def rows() -> list[CheckResult]:
    return [
        row("hw2.linear_backward.public.basic", "pass", 2.0),
        row("hw2.linear_backward.hidden.batch1", "fail", 0.0, message="dW has shape (3, 5), expected (5, 3)\n"
            "did you transpose?", visibility="hidden"),
        row("hw2.relu_backward.public.kink", "timeout", 0.0, message="took longer than 10 s"),
        row("hw1.gd_step.public.basic", "error", 0.0, message="ValueError: 100% wrong | here"),
    ]


def test_gradescope_results_validate_against_schema(rows, tmp_path):
    path = write_gradescope_results(rows, tmp_path / "results.json", seconds=1.5)
    document = json.loads(path.read_text())
    jsonschema.validate(document, GRADESCOPE_SCHEMA)
    assert document["score"] == 2.0
    assert [t["visibility"] for t in document["tests"]] == ["visible", "after_published", "visible", "visible"]
    assert [t["status"] for t in document["tests"]] == ["passed", "failed", "failed", "failed"]


def test_schema_rejects_a_malformed_document(rows):
    document = gradescope_results(rows)
    del document["tests"][0]["max_score"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, GRADESCOPE_SCHEMA)


def test_junit_parses_with_the_standard_library(rows, tmp_path):
    root = ET.parse(write_junit(rows, tmp_path / "junit.xml")).getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"hw1", "hw2"}
    assert suites["hw2"].get("tests") == "3"
    assert suites["hw2"].get("failures") == "1" and suites["hw2"].get("errors") == "1"
    assert suites["hw1"].find("testcase/error").get("type") == "error"


def test_annotations_point_at_the_failing_function_line(rows, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "backprop.py").write_text("import numpy as np\n\n\ndef linear_backward(dY, X, W):\n    pass\n")
    lines = error_annotations(rows, {"hw2": (tmp_path / "backprop.py").relative_to(tmp_path)})
    assert len(lines) == 3  # one per function with a check that did not pass
    assert lines[0].startswith("::error file=backprop.py,line=4,title=hw2 linear_backward%3A 2/4 points%2C 1 of 2")
    assert "hw2.linear_backward.hidden.batch1" in lines[0] and "hw2.linear_backward.public.basic" not in lines[0]
    assert "%0A" in lines[0] and "\n" not in lines[0]
    assert lines[1].startswith("::error file=backprop.py,title=hw2 relu_backward")  # no def: no line
    assert "file=" not in lines[2]  # hw1 file unknown: annotation without a location
    assert "100%25 wrong" in lines[2]


def test_hidden_checks_and_a_threshold_are_said_in_the_summary(rows):
    summary = step_summary(rows, hidden=True, fail_under=50)
    assert summary.startswith("## Public and hidden checks: 2 / 8 points (25.0 %)")
    assert "**Failed:** the score is under the 50 % this workflow requires (`--fail-under 50`)" in summary
    assert "will test more" not in summary


def test_annotations_stop_at_the_limit_with_a_notice_saying_how_many_were_left_out():
    results = [row(f"hw2.f{i}.public.basic", "fail", 0.0, max_points=1.0 + i) for i in range(14)]
    results.append(row("hw2.g.public.basic", "pass", 2.0))
    lines = error_annotations(results, {})
    assert [line.split("title=hw2 ")[1].split("%3A")[0] for line in lines[:-1]] == [f"f{i}" for i in range(13, 3, -1)]
    assert lines[-1].startswith("::notice title=4 more failing functions not annotated::")
    assert error_annotations(results, {}, limit=20)[-1].startswith("::error ")  # under the limit: no notice


def test_a_file_that_failed_as_a_whole_is_one_annotation(tmp_path):
    message = "backprop.py failed at import, so none of its checks ran: SyntaxError: invalid syntax"
    results = [row(f"hw2.f{i}.public.basic", "error", 0.0, message=message) for i in range(30)]
    lines = error_annotations(results, {"hw2": Path("backprop.py")})
    assert len(lines) == 1 and lines[0].startswith("::error file=backprop.py,title=hw2%3A 0/60 points%2C the file")
    assert "SyntaxError" in lines[0]


def test_function_lines_tolerates_a_syntax_error():
    assert function_lines("def broken(:\n") == {}
    assert function_lines("def a():\n    pass\n\ndef b():\n    pass\n") == {"a": 1, "b": 4}


def test_step_summary_lists_scores_and_what_to_fix(rows):
    summary = step_summary(rows)
    assert summary.startswith("## Public checks: 2 / 8 points (25.0 %)")
    assert "does not fail on the score (`--fail-under 0`)" in summary and "hidden checks" in summary
    assert "| hw2 | 2 / 6 | 1 / 3 |" in summary
    assert "`hw2.relu_backward.public.kink` | timeout" in summary
    assert "\\|" in summary  # a pipe inside a message does not break the table


HOSTILE = "bad\r\n::error::pwned\n::add-mask::x\x1b[31mred\x07 | `code` <script>alert(1)</script> \u202eevil\x00"


@pytest.fixture
def hostile_rows() -> list[CheckResult]:
    return [
        row("hw2.linear_backward.public.basic", "error", 0.0, message=HOSTILE),
        row("hw2.relu_backward.public.kink", "fail", 0.0, message="::warning::second " + HOSTILE),
    ]


def runner_commands(stdout: str) -> list[str]:
    """The workflow commands GitHub's runner reads from ``stdout``: every line that starts, after spaces, with
    ``::``, except while ``::stop-commands::TOKEN`` holds (until a line ``::TOKEN::``)."""
    commands, stopped = [], None
    for line in stdout.splitlines():
        line = line.lstrip()
        if stopped is not None:
            if line == f"::{stopped}::":
                stopped = None
            continue
        if line.startswith("::stop-commands::"):
            stopped = line.removeprefix("::stop-commands::")
        elif line.startswith("::"):
            commands.append(line)
    return commands


def test_a_message_cannot_start_a_workflow_command_of_its_own(hostile_rows):
    lines = error_annotations(hostile_rows, {})
    assert len(lines) == 2 and runner_commands("\n".join(lines)) == lines
    for line in lines:
        assert line.startswith("::error title=hw2 ")
        assert not any(c in line for c in "\r\n\x1b\x07\x00\u202e")
        assert "%0A::error::pwned%0A::add-mask::x\\x1b[31mred\\x07" in line  # data, on the annotation's line


def test_step_summary_shows_hostile_messages_as_text(hostile_rows):
    summary = step_summary(hostile_rows)
    table = [line for line in summary.splitlines() if line.startswith("| `")]
    assert len(table) == 2
    for line in table:
        assert len(re.findall(r"(?<!\\)\|", line)) == 4  # three cells, whatever the message holds
    assert "<script>" not in summary and "\\`code\\`" in summary
    assert not any(c in summary for c in "\r\x1b\x07\x00\u202e")


def test_junit_and_gradescope_hold_hostile_messages_as_text(hostile_rows, tmp_path):
    root = ET.parse(write_junit(hostile_rows, tmp_path / "junit.xml")).getroot()  # a NUL or ESC would not parse
    error = root.find("testsuite/testcase/error")
    assert error.get("message").startswith("bad\\r\\n::error::pwned\\n::add-mask::x\\x1b[31mred\\x07")
    assert error.text.startswith("bad\n::error::pwned\n::add-mask::x\\x1b[31mred\\x07")  # a block: newlines stay
    document = json.loads(write_gradescope_results(hostile_rows, tmp_path / "results.json").read_text())
    jsonschema.validate(document, GRADESCOPE_SCHEMA)
    for test in document["tests"]:
        assert "\\x1b" in test["output"] and not any(c in test["output"] for c in "\r\x1b\x07\x00\u202e")


def test_workflow_commands_pause_only_on_github_actions(monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    with workflow_commands_paused():
        print("::error::student text")
    assert capsys.readouterr().out == "::error::student text\n"

    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    with workflow_commands_paused():
        print("::error::student text")
    with workflow_commands_paused():
        print("again")
    out = capsys.readouterr().out
    assert runner_commands(out) == [] and out.count("::stop-commands::") == 2
    tokens = [line.removeprefix("::stop-commands::") for line in out.splitlines() if "stop-commands" in line]
    assert tokens[0] != tokens[1] and len(tokens[0]) >= 32  # not one a student could guess from an earlier run
