"""Reports from a synthetic class recorded into a gradebook: columns, dtypes, arithmetic, self-containment."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import types
from datetime import datetime, timedelta, timezone
from functools import partial

import numpy as np
import pandas as pd
import pytest

from grader.checks.accuracy import AccuracyTask
from grader.cli import main
from grader.course.assignments import ASSIGNMENTS, REPO_ROOT
from grader.pipeline.config import CourseConfig, LatePolicy, parse_course_config
from grader.pipeline.gradebook import RESULT_DTYPES, Gradebook
from grader.pipeline.integrity import FLAG_PREFIX
from grader.pipeline.results import RESULT_COLUMNS, CheckResult
from grader.reports import html, load_report_data, write_reports, xlsx
from grader.reports.canvas import POINTS_POSSIBLE, canvas_table, read_roster
from grader.reports.safe_text import markdown
from grader.reports.tables import CHECK_DTYPES, long_table

FIRST_DUE = datetime(2027, 1, 22, 23, 59, tzinfo=timezone.utc)
DUE = {key: FIRST_DUE + timedelta(weeks=i) for i, key in enumerate(ASSIGNMENTS)}
NUMERIC = ("points", "max_points", "seconds")
EPOCH = datetime.fromtimestamp(0, tz=timezone.utc)
CONFIG = parse_course_config(
    {
        "course": {"name": "Synthetic course"},
        "late": {"penalty_per_day": 0.1, "cap": 0.5, "grace_minutes": 10},
        "assignments": {k: {"weight": w, "due": DUE[k]} for k, w in zip(ASSIGNMENTS, (1, 2, 2, 1), strict=True)},
    }
)


def check_rows(student: str, key: str, outcome) -> list[CheckResult]:
    """Two checks per target of ``key``; ``outcome(target, visibility) -> (status, fraction, message, mistake)``,
    optionally followed by the verdict's problem (``"not_submitted"``, ``"import"``, ...)."""
    rows = []
    for target in ASSIGNMENTS[key].targets:
        for visibility in ("public", "hidden"):
            status, fraction, message, mistake, *problem = outcome(target, visibility)
            rows.append(CheckResult(student, key, f"{key}.{target}.{visibility}.basic", target, 2.0 * fraction, 2.0,
                                    status, message, 0.01, mistake, visibility, *problem))  # fmt: skip
    return rows


def random_outcome(rng: np.random.Generator):
    skill = rng.uniform(0.3, 1.0)

    def outcome(target: str, visibility: str):
        if rng.random() < skill:
            return "pass", 1.0, "", ""
        if target == "linear_backward":
            return "fail", 0.0, "linear_backward: dW has shape (3, 5), expected (5, 3)", "transposed_dW"
        if rng.random() < 0.2:
            return "error", 0.0, f"{target} raised ValueError: shapes do not align", ""
        return "fail", 0.5 * rng.integers(0, 2), f"{target}: values differ at [0, 1]", ""

    return outcome


def build_class(out_dir, n_students: int = 12, seed: int = 0) -> dict[str, dict[str, datetime]]:
    """Record a class into ``out_dir``'s gradebook: random skills plus one student per special case.
    Returns the submission times used, by student and assignment."""
    rng = np.random.default_rng(seed)
    times: dict[str, dict[str, datetime]] = {}
    with Gradebook(out_dir) as book:
        run = book.start_run(["grade", "synthetic"])
        for i in range(n_students):
            student = f"student{i:02d}"
            times[student] = {}
            for key in ASSIGNMENTS:
                when = DUE[key] - timedelta(hours=float(rng.uniform(1, 48)))
                times[student][key] = when
                book.record(run, student, key, f"h{i}{key}", "S", when, check_rows(student, key, random_outcome(rng)))
        torch_flag = FLAG_PREFIX + "uses torch in hw2"
        special = {
            "zz_torch": ("hw2", lambda t, v: ("error", 0, "hw2 must be done in numpy only", torch_flag, "numpy_only")),
            "zz_absent": ("hw3", lambda t, v: ("error", 0, "not submitted: no practice.py in zz_absent/", "",
                                               "not_submitted")),
            "zz_hang": ("hw1", lambda t, v: ("timeout", 0, f"{t} did not finish within 10 s: an endless loop?", "")
                        if t == "sgd" else ("pass", 1, "", "")),
        }  # fmt: skip
        for student, (bad, outcome) in special.items():
            times[student] = {}
            for key in ASSIGNMENTS:
                when = EPOCH if student == "zz_absent" and key == bad else DUE[key] + timedelta(days=2, minutes=5)
                times[student][key] = when
                rows = check_rows(student, key, outcome if key == bad else lambda t, v: ("pass", 1, "", ""))
                book.record(run, student, key, "h", "S", when, rows)
        book.finish_run(run, n_students + len(special), 0)
    return times


@pytest.fixture(scope="module")
def class_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("class")
    build_class(out)
    write_reports(out, CONFIG, formats=["canvas"])
    return out


def test_every_report_is_written(class_dir):
    names = {"results.csv", "results.parquet", "gradebook.csv", "checks.csv", "similarity.csv", "report.html",
             "report.md", "canvas.csv"}  # fmt: skip
    assert names <= {p.name for p in class_dir.iterdir()}
    feedback = sorted(p.stem for p in (class_dir / "feedback").glob("*.md"))
    assert len(feedback) == 15 and "zz_torch" in feedback
    summary = (class_dir / "report.md").read_text()
    assert "## Flagged submissions" in summary and "`gradebook.csv`" in summary


def test_long_table_files_have_exactly_the_spec_columns(class_dir):
    csv = pd.read_csv(class_dir / "results.csv", keep_default_na=False)
    parquet = pd.read_parquet(class_dir / "results.parquet")
    assert tuple(csv.columns) == RESULT_COLUMNS == tuple(parquet.columns)
    assert long_table(load_report_data(class_dir, CONFIG).results).dtypes.astype(str).to_dict() == RESULT_DTYPES
    for column in RESULT_COLUMNS:
        numeric = pd.api.types.is_float_dtype(parquet[column])
        assert numeric == (column in NUMERIC) and (numeric or pd.api.types.is_string_dtype(parquet[column]))
    keys = list(zip(csv["student"], csv["assignment"], csv["check_id"], strict=True))
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert set(csv["status"]) <= {"pass", "fail", "error", "timeout"}


def test_gradebook_layout(class_dir):
    table = pd.read_csv(class_dir / "gradebook.csv", keep_default_na=False)
    expected = ["student"]
    for key in ASSIGNMENTS:
        expected += [key, f"{key}_status", f"{key}_submitted_at", f"{key}_late_days", f"{key}_penalty",
                     f"{key}_final"]
    assert list(table.columns) == expected + ["total", "max_total", "percent", "flags"]
    assert len(table) == 15 and table["student"].is_unique
    data = load_report_data(class_dir, CONFIG)
    dtypes = data.gradebook.dtypes.astype(str)
    assert dtypes["student"] == "string" and dtypes["flags"] == "string" and dtypes["hw2_late_days"] == "int64"
    assert {dtypes[c] for c in ("hw2", "hw2_penalty", "hw2_final", "total", "max_total", "percent")} == {"float64"}


def test_gradebook_arithmetic(class_dir):
    data = load_report_data(class_dir, CONFIG)
    g = data.gradebook.set_index("student")
    results = data.results
    raw = results.groupby(["student", "assignment"])["points"].sum().unstack()
    maxima = {k: 2.0 * 2 * len(ASSIGNMENTS[k].targets) for k in ASSIGNMENTS}
    assert data.maxima.to_dict() == maxima
    for key in ASSIGNMENTS:
        np.testing.assert_allclose(g[key], raw.loc[g.index, key])
        np.testing.assert_allclose(g[f"{key}_final"], g[key] * (1 - g[f"{key}_penalty"]))
    np.testing.assert_allclose(g["total"], g[[f"{k}_final" for k in ASSIGNMENTS]].sum(axis=1))
    assert (g["max_total"] == sum(maxima.values())).all()
    weights = {k: CONFIG.assignment(k).weight for k in ASSIGNMENTS}
    expected = 100 * sum(weights[k] * g[f"{k}_final"] / maxima[k] for k in ASSIGNMENTS) / sum(weights.values())
    np.testing.assert_allclose(g["percent"], expected.round(2))
    assert g.loc["zz_hang", "percent"] < 100 and g.loc["zz_torch", "hw2"] == 0


def test_late_policy_columns(class_dir):
    g = load_report_data(class_dir, CONFIG).gradebook.set_index("student")
    on_time = g.loc["student00"]
    assert on_time["hw1_late_days"] == 0 and on_time["hw1_penalty"] == 0 and on_time["hw1_final"] == on_time["hw1"]
    late = g.loc["zz_hang"]  # two days and five minutes late: three started days
    assert (late["hw2_late_days"], late["hw2_penalty"]) == (3, pytest.approx(0.3))
    assert late["hw2_final"] == pytest.approx(0.7 * late["hw2"])
    absent = g.loc["zz_absent"]
    assert (absent["hw3_submitted_at"], absent["hw3_late_days"], absent["hw3"]) == ("", 0, 0.0)


def test_heavy_lateness_hits_the_cap(tmp_path):
    build_class(tmp_path, n_students=1)
    config = CourseConfig(late=LatePolicy(penalty_per_day=0.4, cap=0.5), assignments=CONFIG.assignments)
    g = load_report_data(tmp_path, config).gradebook.set_index("student")
    assert g.loc["zz_hang", "hw3_penalty"] == 0.5


def test_flags(class_dir):
    g = load_report_data(class_dir, CONFIG).gradebook.set_index("student")
    assert g.loc["zz_torch", "flags"] == "uses torch in hw2"
    assert g.loc["zz_absent", "flags"] == "hw3 not submitted"
    assert g.loc["zz_hang", "flags"] == "hw1: 2 timeouts"


def test_checks_table(class_dir):
    checks = pd.read_csv(class_dir / "checks.csv", keep_default_na=False)
    data = load_report_data(class_dir, CONFIG)
    assert list(checks.columns) == list(CHECK_DTYPES)
    assert data.checks.dtypes.astype(str).to_dict() == CHECK_DTYPES
    assert len(checks) == sum(2 * len(a.targets) for a in ASSIGNMENTS.values())
    # Over graded hand-ins only: zz_torch's hw2 is ungradable, zz_absent's hw3 not submitted.
    graded = {"hw1": 15, "hw2": 14, "hw3": 14, "lab": 15}
    assert (checks["n"] == checks["assignment"].map(graded)).all() and checks["pass_rate"].between(0, 1).all()
    row = data.checks.set_index("check_id").loc["hw2.linear_backward.public.basic"]
    wrong = data.results.query("check_id == 'hw2.linear_backward.public.basic' and mistake == 'transposed_dW'")
    assert row["top_mistake"] == "transposed_dW" and row["top_mistake_n"] == len(wrong) > 0
    assert row["pass_rate"] == pytest.approx(1 - len(wrong) / 14)
    assert row["top_mistake_share"] == 1.0  # every failure of this check is the transposed dW
    assert f"transposed_dW: {len(wrong)} (100 % of failures)" == row["mistakes"]
    assert not checks["mistakes"].str.contains(FLAG_PREFIX).any()


def test_the_reports_are_drawn_without_a_plotting_library(class_dir, tmp_path):
    """The figure is SVG written by hand: a rebuild in a new process (a rerun of grader grade) does not pay for
    importing matplotlib."""
    out = tmp_path / "out"
    shutil.copytree(class_dir, out)
    (out / "report.html").unlink()
    script = ("import sys\nfrom pathlib import Path\nfrom grader.reports import write_reports\n"
              "from grader.pipeline.config import load_course_config\n"
              "write_reports(Path(sys.argv[1]), load_course_config())\nprint('matplotlib' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True, text=True, timeout=300,
                          cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False"] and (out / "report.html").is_file()


def test_report_html_is_self_contained(class_dir):
    text = (class_dir / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.IGNORECASE)
    assert "<script" not in text and "@import" not in text and "url(" not in text
    assert text.count('src="data:image/svg+xml;base64,') == 1  # the histograms; the other charts are HTML
    for heading in ("Score distribution", "Flagged submissions", "Checks most students fail", "Pass rate per check",
                    "Students × functions", "Item analysis", "Similar hand-ins",
                    "How accuracy thresholds were set"):  # fmt: skip
        assert heading in text
    assert "uses torch in hw2" in text and "transposed_dW" in text


@pytest.mark.parametrize("student", ["student01", "student02", "zz_hang", "zz_torch"])
def test_feedback_names_every_failing_check(class_dir, student):
    data = load_report_data(class_dir, CONFIG)
    mine = data.results[data.results["student"] == student]
    text = (class_dir / "feedback" / f"{student}.md").read_text()
    for _, rows in mine.groupby("assignment"):
        failing = rows[rows["points"] < rows["max_points"]]
        if len(failing) > 1 and failing["message"].nunique() == 1:  # one cause: said once
            assert text.count(markdown(failing["message"].iloc[0])) == 1
            continue
        assert all(f"`{c}`" in text for c in failing["check_id"])
        assert all(markdown(m) in text for m in failing["message"])  # as literal Markdown text
    assert not any(f"`{c}`" in text for c in mine.loc[mine["points"] == mine["max_points"], "check_id"])


def test_feedback_says_a_shared_message_once(class_dir):
    absent = (class_dir / "feedback" / "zz_absent.md").read_text()
    assert absent.count("not submitted") == 1  # one message for the 34 checks it cost
    assert "Every check passes" in absent


def test_canvas_import_layout(class_dir, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,Student,ID,SIS User ID,Section,Final\nstudent00,Ada Lovelace,101,S1,A,99\n")
    config = parse_course_config({"assignments": {"hw2": {"canvas_column": "Homework 2 (4242)"}}})
    data = load_report_data(class_dir, config)
    table = canvas_table(data, read_roster(roster))
    assert list(table.columns) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "hw1",
                                   "Homework 2 (4242)", "hw3", "lab"]  # fmt: skip
    assert table.iloc[0, 0] == POINTS_POSSIBLE and table.iloc[0, 5] == "24"
    ada = table[table["Student"] == "Ada Lovelace"].iloc[0]
    assert (ada["ID"], ada["SIS User ID"], ada["SIS Login ID"], ada["Section"]) == ("101", "S1", "student00", "A")
    final = data.gradebook.set_index("student").loc["student00", "hw2_final"]
    assert float(ada["Homework 2 (4242)"]) == pytest.approx(final, abs=0.01)
    written = pd.read_csv(class_dir / "canvas.csv", dtype=str, keep_default_na=False)
    assert len(written) == 16 and written.iloc[0, 0] == POINTS_POSSIBLE


def test_canvas_and_gradebook_csv_carry_the_three_states(class_dir):
    """Graded: the score; not submitted: 0; ungradable: blank (Canvas keeps it for the instructor to decide)."""
    gradebook = pd.read_csv(class_dir / "gradebook.csv", dtype=str, keep_default_na=False).set_index("student")
    assert gradebook.loc["zz_torch", "hw2_status"] == "ungradable"
    assert gradebook.loc["zz_absent", "hw3_status"] == "not submitted"
    assert gradebook.loc["zz_absent", "hw2_status"] == gradebook.loc["student00", "hw3_status"] == "graded"
    assert float(gradebook.loc["zz_torch", "hw2"]) == float(gradebook.loc["zz_absent", "hw3"]) == 0  # both count 0
    canvas = pd.read_csv(class_dir / "canvas.csv", dtype=str, keep_default_na=False).set_index("Student")
    assert canvas.loc["zz_torch", "hw2"] == "" and canvas.loc["zz_absent", "hw3"] == "0"
    assert float(canvas.loc["zz_torch", "hw1"]) == pytest.approx(float(gradebook.loc["zz_torch", "hw1_final"]))


def test_roster_gaps_are_named_and_strict_roster_makes_them_errors(class_dir, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    students = [f"student{i:02d}" for i in range(12)] + ["zz_absent", "zz_hang"]  # zz_torch missing
    roster.write_text("student,SIS User ID\n" + "".join(f"{s},S{s}\n" for s in students) + "newcomer,S999\n")
    assert main(["report", "--out", str(class_dir), "--roster", str(roster)]) == 0
    err = capsys.readouterr().err
    assert "not on the roster" in err and "zz_torch" in err
    assert "no submission" in err and "newcomer" in err
    canvas = pd.read_csv(class_dir / "canvas.csv", dtype=str, keep_default_na=False).set_index("SIS User ID")
    assert canvas.loc["S999", ["hw1", "hw2", "hw3", "lab"]].tolist() == ["0"] * 4  # exported as not submitted
    (class_dir / "canvas.csv").unlink()
    assert main(["report", "--out", str(class_dir), "--roster", str(roster), "--strict-roster"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: --strict-roster") and "zz_torch" in err and "newcomer" in err
    assert not (class_dir / "canvas.csv").exists()  # nothing written


def test_checks_most_students_fail_counts_only_submitters(tmp_path):
    """Three of five students did not hand hw3 in: a check the two submitters pass is not a hard check."""
    with Gradebook(tmp_path) as book:
        for i, student in enumerate(["ann", "bob", "cem", "dan", "eve"]):
            absent = ("error", 0, "not submitted: no practice.py", "", "not_submitted")
            outcome = (lambda t, v: ("pass", 1, "", "")) if i < 2 else (lambda t, v, a=absent: a)
            book.record(1, student, "hw3", f"h{i}", "S", None, check_rows(student, "hw3", outcome))
            book.record(1, student, "hw1", f"g{i}", "S", None,
                        check_rows(student, "hw1", lambda t, v, i=i: ("fail" if t == "sgd" and i else "pass",
                                                                        0 if t == "sgd" and i else 1, "", "")))
    data = load_report_data(tmp_path, CONFIG)
    hw3 = data.checks[data.checks["assignment"] == "hw3"]
    assert (hw3["n"] == 2).all() and (hw3["pass_rate"] == 1).all()
    hardest = html._hardest(data)
    assert set(hardest["check"]) == {"hw1.sgd.public.basic", "hw1.sgd.hidden.basic"}
    assert list(hardest["passing"]) == ["20 %", "20 %"]


def test_discrimination_index_is_the_corrected_item_total_correlation(tmp_path):
    """A check that only the strongest students pass discriminates; one everybody passes has no index."""
    targets = ASSIGNMENTS["hw1"].targets

    def outcome(target, visibility, i):  # student i passes the first i targets of hw1, and gd_step
        passed = targets.index(target) < i or target == "gd_step"
        return ("pass", 1, "", "") if passed else ("fail", 0, "", "")

    with Gradebook(tmp_path) as book:
        for i in range(6):
            book.record(1, f"s{i}", "hw1", f"h{i}", "S", None, check_rows(f"s{i}", "hw1", partial(outcome, i=i)))
    data = load_report_data(tmp_path, CONFIG)
    index = data.checks.set_index("check_id")["discrimination"]
    assert np.isnan(index["hw1.gd_step.public.basic"]) and np.isnan(index["hw1.sgd.public.basic"])  # all alike
    points = data.results.pivot_table(index="student", columns="check_id", values="points")
    rest = points.sum(axis=1) - points["hw1.batch_gd.public.basic"]
    expected = np.corrcoef(points["hw1.batch_gd.public.basic"] / 2, rest)[0, 1]
    assert index["hw1.batch_gd.public.basic"] == pytest.approx(expected, abs=1e-3) and expected > 0.5


def test_missing_gradebook_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="grader grade"):
        write_reports(tmp_path, CONFIG)


def test_empty_gradebook_still_reports(tmp_path):
    Gradebook(tmp_path).close()
    paths = write_reports(tmp_path, CONFIG)
    assert "Nothing has been graded yet" in (tmp_path / "report.html").read_text()
    assert list(pd.read_csv(tmp_path / "results.csv").columns) == list(RESULT_COLUMNS)
    assert len(paths) >= 6


def test_report_command_rebuilds_from_the_gradebook(class_dir, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,SIS User ID\nstudent00,S100\n")
    (class_dir / "report.html").unlink()
    assert main(["report", "--out", str(class_dir), "--roster", str(roster)]) == 0  # a roster implies canvas
    assert (class_dir / "report.html").is_file()
    assert "S100" in (class_dir / "canvas.csv").read_text()
    assert "report.html" in capsys.readouterr().out


def test_report_command_without_gradebook_says_what_to_do(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path)]) == 2
    assert "grader grade" in capsys.readouterr().err


def test_report_command_bad_roster(class_dir, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,ID\nx,1\n")
    assert main(["report", "--out", str(class_dir), "--format", "canvas", "--roster", str(roster)]) == 2
    assert "'student' column" in capsys.readouterr().err


def test_xlsx_needs_openpyxl(class_dir, capsys):
    code = main(["report", "--out", str(class_dir), "--format", "xlsx"])
    if xlsx.available():
        assert code == 0 and (class_dir / "gradebook.xlsx").is_file()
    else:
        assert code == 2 and "openpyxl" in capsys.readouterr().err


def test_a_class_without_known_mistakes_or_flags(tmp_path):
    with Gradebook(tmp_path) as book:
        for student in ("ann", "bob"):
            book.record(1, student, "hw1", "h", "S", None, check_rows(student, "hw1", lambda t, v: ("pass", 1, "", "")))
    write_reports(tmp_path, CONFIG)
    checks = pd.read_csv(tmp_path / "checks.csv", keep_default_na=False)
    assert (checks["top_mistake"] == "").all() and (checks["top_mistake_n"] == 0).all()
    assert (pd.read_csv(tmp_path / "gradebook.csv")["percent"] == 100).all()


def test_accuracy_thresholds_come_from_the_suites(monkeypatch):
    suite = types.ModuleType("grader.suites.public.fake")
    suite.TASK = AccuracyTask("spirals", lambda seed: None, 0.25, floor=0.5, threshold=0.9)
    suite.THRESHOLD_NOTE = "the worst of 400 reference runs minus 0.03"
    monkeypatch.setitem(sys.modules, "grader.suites.public.fake", suite)
    tasks, notes = html.accuracy_thresholds(["fake"])
    assert tasks.values.tolist() == [["fake", "public", "spirals", 0.5, 0.9]]
    assert notes == ["fake (public): the worst of 400 reference runs minus 0.03"]
    assert "0.9" in html._thresholds(["fake"]) and "reference runs" in html._thresholds(["fake"])




def test_student_text_cannot_inject_html(tmp_path):
    student, evil = "<b>mallory</b>", "<script>alert(1)</script><img src=http://evil.example/x>"
    rows = check_rows(student, "hw1", lambda t, v: ("error", 0, f"backprop.py failed: {evil}", ""))
    with Gradebook(tmp_path) as book:
        book.record(1, student, "hw1", "h", "S", None, rows)
    write_reports(tmp_path, CONFIG)
    text = (tmp_path / "report.html").read_text()
    assert "&lt;script&gt;alert(1)" in text and "&lt;b&gt;mallory" in text  # shown, as text
    assert "<script" not in text and "<b>mallory" not in text and "<img src=http" not in text
