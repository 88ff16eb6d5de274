"""Student-controlled text in every output: a class whose folder names and messages are hostile, graded end
to end with ``grader grade`` and ``grader report --format canvas``, and reports that fail one at a time."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from test_reports import CONFIG, build_class, check_rows

import grader.reports.html as html_report
from grader.authoring.samples import reference_submission, write_submission
from grader.cli import main
from grader.pipeline.gradebook import Gradebook
from grader.reports import ReportsIncomplete, markdown, write_reports
from grader.reports.canvas import ID_COLUMNS
from grader.reports.safe_text import FORMULA_START, file_stem, html, one_line
from grader.reports.safe_text import markdown as md_text

HW1 = "gradient_descent.py"
# A folder name cannot hold "/": the classic payloads' slashes are backslashes here; the in-process test below
# records the exact strings.
HOSTILE_FOLDERS = [
    "=cmd|' \\C calc'!A0", "+1", "-2", "-bob", "@SUM(1)", "$x$", "$\\frac{a}{b}$", "$\\foo$", "a$b",
    "red\x1b[31mX\x07", 'dq"uote', "sq'uote", "<script>alert(1)<\\script>", "<img src=x onerror=alert(1)>",
    "new\nline", "bidi\u202eevil\u2066", "\ttab", "\rcr", "nul\x7fdel\x9bcsi", "[link](javascript:alert(1))",
    "a|b`c`*d*_e_", "con", "Alice", "alice", "a b",
]  # fmt: skip
HOSTILE_IDS = [*HOSTILE_FOLDERS, "=cmd|' /C calc'!A0", "<script>alert(1)</script>", "../../escaped", "a/b", ".x"]
# What student code can make a message quote: an exception text with escapes, a newline and a workflow command.
EVIL_MESSAGE = "=HYPERLINK(\"http://e.example\")\x1b[2J\x07\n::error::pwned <script>alert(1)</script> $\\foo$"
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "div", "b", "img", "table",
                "thead", "tbody", "tr", "th", "td", "details", "summary", "code", "span", "pre", "mark"}  # fmt: skip


def grader(*args: str) -> subprocess.CompletedProcess:
    """The command line in a process of its own, so that everything it prints is captured."""
    env = {k: v for k, v in os.environ.items() if k not in ("GRADER_SECRET", "GITHUB_ACTIONS")}
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600, errors="surrogateescape")  # fmt: skip


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, list[subprocess.CompletedProcess]]:
    root = tmp_path_factory.mktemp("hostile") / "class"
    correct = reference_submission()[HW1]
    for name in HOSTILE_FOLDERS:
        write_submission(root / name, {HW1: correct})
    evil = correct.replace(b"return w - lr * grad", b"raise ValueError(" + repr(EVIL_MESSAGE).encode() + b")")
    assert evil != correct
    write_submission(root / "mallory", {HW1: evil})
    out = root.parent / "out"
    runs = [
        grader("grade", str(root), "--out", str(out), "--only", "hw1", "--public-only"),  # with its progress bar
        grader("report", "--out", str(out), "--format", "canvas"),
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr[-3000:]
    return out, runs


def csv_files(out: Path) -> list[Path]:
    return sorted(out.glob("*.csv"))


def assert_csv_cells_are_safe(path: Path) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            for cell in row:
                assert NUMBER.fullmatch(cell) or not cell.startswith(FORMULA_START), (path.name, cell)
                assert not CONTROL.search(cell), (path.name, cell)


def assert_no_control_characters(out: Path) -> None:
    for path in sorted(out.rglob("*")):
        if path.suffix in (".csv", ".html", ".md"):
            text = path.read_text(encoding="utf-8")
            assert not CONTROL.search(text), (path.name, CONTROL.search(text))
    parquet = pd.read_parquet(out / "results.parquet")
    for column in parquet.select_dtypes(exclude="number").columns:
        assert not parquet[column].str.contains(CONTROL).any(), column


class TextOnly(HTMLParser):
    """The elements and attributes of a page, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text = ""

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)
        self.attributes |= {name for name, _ in attrs}

    def handle_data(self, data) -> None:
        self.text += data


def assert_html_holds_names_as_text(path: Path, students: list[str]) -> None:
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"<\s*script|<img src=x", page, re.IGNORECASE)  # as text: &lt;script&gt;
    parser = TextOnly()
    parser.feed(page)
    assert parser.tags <= ALLOWED_TAGS
    assert parser.attributes <= {"lang", "charset", "class", "alt", "src", "title", "colspan"}
    for student in students:
        assert html(student) in page and one_line(student) in parser.text


def assert_feedback_per_student(out: Path, students: list[str]) -> None:
    files = sorted(p for p in out.rglob("*.md") if p.name != "report.md")
    assert [p.parent for p in files] == [out / "feedback"] * len(students)  # nothing escaped the folder
    assert sorted(p.name for p in files) == sorted(f"{file_stem(s)}.md" for s in students)
    for student in students:
        text = (out / "feedback" / f"{file_stem(student)}.md").read_text(encoding="utf-8")
        assert text.startswith(f"# Feedback for {md_text(student)}\n")


class TestHostileClass:
    """Every report written, and no student string acts as anything but text in any of them."""

    def test_every_student_is_graded_and_every_report_written(self, graded):
        out, _ = graded
        with Gradebook(out) as book:
            students = sorted(set(book.results_frame()["student"]))
        assert students == sorted([*HOSTILE_FOLDERS, "mallory"])
        for name in ("results.csv", "results.parquet", "gradebook.csv", "checks.csv", "similarity.csv", "report.html",
                     "report.md", "canvas.csv"):  # fmt: skip
            assert (out / name).is_file(), name
        assert_feedback_per_student(out, students)
        assert (out / "report.html").read_text().count('src="data:image/svg+xml;base64,') == 1  # the plot too

    def test_no_csv_cell_starts_like_a_formula(self, graded):
        out, _ = graded
        assert [p.name for p in csv_files(out)] == ["canvas.csv", "checks.csv", "gradebook.csv", "results.csv",
                                                    "similarity.csv"]  # fmt: skip
        for path in csv_files(out):
            assert_csv_cells_are_safe(path)
        gradebook = pd.read_csv(out / "gradebook.csv", dtype=str, keep_default_na=False)
        assert {"'=cmd|' \\C calc'!A0", "'+1", "'-2", "'-bob", "'@SUM(1)", "red\\x1b[31mX\\x07", "new\\nline"} <= set(
            gradebook["student"]
        )
        assert (pd.to_numeric(gradebook["hw1"]) >= 0).all()  # numbers are numbers

    def test_no_output_holds_a_control_character(self, graded):
        out, runs = graded
        assert_no_control_characters(out)
        for run in runs:
            assert not CONTROL.search(run.stdout), CONTROL.search(run.stdout)
            # The progress bar redraws itself with carriage returns: its own, the only ones allowed.
            assert not CONTROL.search(run.stderr.replace("\r", "")), CONTROL.search(run.stderr)
        assert "/hw1]" in runs[0].stderr  # the progress bar showed names

    def test_report_html_shows_names_and_messages_as_text(self, graded):
        out, _ = graded
        assert_html_holds_names_as_text(out / "report.html", [*HOSTILE_FOLDERS, "mallory"])

    def test_markdown_shows_messages_as_literal_text(self, graded):
        out, _ = graded
        feedback = (out / "feedback" / "mallory.md").read_text()
        assert "pwned" in feedback and "<script>" not in feedback and "\n::error" not in feedback
        assert not re.search(r"(?<!\\)\$", feedback)  # no math
        summary = (out / "report.md").read_text()
        # Names are listed too (similar hand-ins): a tag only ever behind Markdown's backslash escape.
        assert not re.search(r"(?<!\\)<(script|img)", summary) and "](http" not in summary


def record_hostile_class(out: Path) -> list[str]:
    """A gradebook with the hostile ids, slashes included, and a hostile message, written in-process."""
    with Gradebook(out) as book:
        for student in HOSTILE_IDS:
            evil = student.startswith("=")
            outcome = (lambda t, v: ("error", 0, EVIL_MESSAGE, "")) if evil else (lambda t, v: ("pass", 1, "", ""))
            book.record(1, student, "hw1", "h", "S", None, check_rows(student, "hw1", outcome))
    return sorted(HOSTILE_IDS)


def test_ids_a_folder_cannot_hold_are_safe_too(tmp_path):
    students = record_hostile_class(tmp_path)
    write_reports(tmp_path, CONFIG, formats=["canvas"])
    for path in csv_files(tmp_path):
        assert_csv_cells_are_safe(path)
    assert_no_control_characters(tmp_path)
    assert_html_holds_names_as_text(tmp_path / "report.html", students)
    assert_feedback_per_student(tmp_path, students)
    canvas = pd.read_csv(tmp_path / "canvas.csv", dtype=str, keep_default_na=False)
    assert "'=cmd|' /C calc'!A0" in set(canvas["SIS Login ID"]) and set(ID_COLUMNS) <= set(canvas.columns)


def test_xlsx_cells_are_never_formulas(tmp_path):
    openpyxl = pytest.importorskip("openpyxl", reason="gradebook.xlsx needs the optional openpyxl")
    record_hostile_class(tmp_path)
    write_reports(tmp_path, CONFIG, formats=["xlsx"])
    workbook = openpyxl.load_workbook(tmp_path / "gradebook.xlsx")
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert cells and not [c.value for c in cells if c.data_type == "f"]


@pytest.fixture(scope="module")
def small_gradebook(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small")
    build_class(out, n_students=3)
    return out / "gradebook.sqlite"


@pytest.fixture
def small_class(small_gradebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An output folder holding a gradebook of six students and no reports yet."""
    shutil.copy(small_gradebook, tmp_path / small_gradebook.name)
    return tmp_path


def written_files(out: Path) -> set[str]:
    """The report files (not the gradebook, nor the run's caches in ``.grader-cache/``)."""
    return {p.relative_to(out).as_posix() for p in out.rglob("*")
            if p.is_file() and p.name != "gradebook.sqlite" and ".grader-cache" not in p.parts}  # fmt: skip


@pytest.mark.parametrize(
    ("module", "function", "lost"),
    [("html", "write", {"report.html"}), ("heatmap", "heatmap", {"report.html"}), ("flat", "write_parquet",
     {"results.parquet"}), ("markdown", "summary", {"report.md"})],
)  # fmt: skip
def test_one_failing_report_leaves_the_others_written(small_class, monkeypatch, module, function, lost):
    import importlib

    def fail(*args, **kwargs):
        raise ValueError("Unknown symbol: \\foo\x1b[31m")

    monkeypatch.setattr(importlib.import_module(f"grader.reports.{module}"), function, fail)
    with pytest.raises(ReportsIncomplete) as raised:
        write_reports(small_class, CONFIG)
    everything = {"results.csv", "results.parquet", "gradebook.csv", "checks.csv", "similarity.csv", "report.html",
                  "report.md"}  # fmt: skip
    feedback = {f"feedback/{s}.md" for s in ("student00", "student01", "student02", "zz_absent", "zz_hang",
                                             "zz_torch")}  # fmt: skip
    assert written_files(small_class) == (everything | feedback) - lost
    assert [name for name, _ in raised.value.failures] == sorted(lost)
    assert str(raised.value).startswith(f"1 of {len(everything | feedback)} report files not written: ")
    assert "\\x1b" in str(raised.value) and "\x1b" not in str(raised.value)


def test_one_students_feedback_failing_leaves_the_others(small_class, monkeypatch):
    real = markdown.feedback

    def feedback(student, *args):
        if student == "student01":
            raise KeyError("hw9")
        return real(student, *args)

    monkeypatch.setattr(markdown, "feedback", feedback)
    with pytest.raises(ReportsIncomplete, match=r"feedback/student01\.md \(KeyError"):
        write_reports(small_class, CONFIG)
    assert len(list((small_class / "feedback").glob("*.md"))) == 5 and (small_class / "report.html").is_file()


def test_grade_and_report_say_which_report_failed_and_exit_non_zero(tmp_path, monkeypatch, capsys):
    root = tmp_path / "class"
    write_submission(root / "ann", {HW1: reference_submission()[HW1]})
    out = tmp_path / "out"
    monkeypatch.delenv("GRADER_SECRET", raising=False)
    monkeypatch.setattr(html_report, "render", _broken)

    assert main(["grade", str(root), "--out", str(out), "--only", "hw1", "--public-only", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "report.html (RuntimeError: plot failed)" in captured.err and "grader report --out" in captured.err
    assert "results.csv" in captured.out and "feedback/: 1 student files" in captured.out
    assert written_files(out) == {"results.csv", "results.parquet", "gradebook.csv", "checks.csv", "similarity.csv",
                                  "report.md", "feedback/ann.md"}  # fmt: skip

    assert main(["report", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "report.html (RuntimeError: plot failed)" in captured.err and "report.md" in captured.out


def _broken(data):
    raise RuntimeError("plot failed")


def test_half_a_surrogate_pair_in_an_exception_message_stops_no_one(tmp_path):
    """A message holding a lone surrogate (``raise ValueError("\\ud800")``) used to stop ``grader grade`` as it
    recorded the class, everyone's rows lost with it; it now reads as U+FFFD."""
    root = tmp_path / "class"
    correct = reference_submission()[HW1]
    raising = correct.replace(b"return w - lr * grad", b'raise ValueError("x\\ud800y")')
    write_submission(root / "mallory", {HW1: raising})
    write_submission(root / "zed", {HW1: correct})
    out = tmp_path / "out"

    run = grader("grade", str(root), "--out", str(out), "--only", "hw1", "--public-only", "--quiet")

    assert run.returncode == 0, run.stderr[-3000:]
    rows = pd.read_csv(out / "results.csv")
    assert set(rows["student"]) == {"mallory", "zed"}
    assert rows[rows["student"] == "mallory"]["message"].str.contains("x\ufffdy", regex=False).any()
    assert (rows[rows["student"] == "zed"]["status"] == "pass").all()
