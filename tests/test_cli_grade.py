"""``grader grade`` end to end, through the real sandbox: references, stubs, determinism, the sample class,
notebooks with hostile cells, and submissions that crash, hang or exit."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import golden
import pandas as pd
import pytest

from grader.authoring.samples import BOB, MUTATIONS, reference_submission, write_submission
from grader.cli import main
from grader.course.assignments import ASSIGNMENTS, REPO_ROOT
from grader.pipeline.gradebook import Gradebook

NUMPY_HOMEWORK = "hw1,hw2,hw3"


def grade(submissions: Path, out: Path, only: str = NUMPY_HOMEWORK, *extra: str) -> int:
    return main(["grade", str(submissions), "--out", str(out), "--only", only, "--quiet", *extra])


def results(out: Path) -> pd.DataFrame:
    with Gradebook(out) as book:
        return book.results_frame()


def percent(rows: pd.DataFrame) -> float:
    return 100 * rows["points"].sum() / rows["max_points"].sum()


@pytest.fixture
def references_class(tmp_path: Path) -> Path:
    root = tmp_path / "class"
    write_submission(root / "ref", reference_submission())
    write_submission(root / "stub", {a.filename: a.stub_path.read_bytes() for a in ASSIGNMENTS.values()})
    return root


def test_references_earn_everything_and_stubs_nothing(references_class: Path, out_dir: Path, secret: str) -> None:
    assert grade(references_class, out_dir) == 0

    rows = results(out_dir)
    ref, stub = rows[rows["student"] == "ref"], rows[rows["student"] == "stub"]
    assert set(ref["visibility"]) == {"public", "hidden"}
    assert set(ref["assignment"]) == {"hw1", "hw2", "hw3"}
    failing = ref[ref["status"] != "pass"]
    assert failing.empty, failing[["check_id", "message"]].to_string()
    assert stub["points"].sum() == 0
    assert set(stub["status"]) <= {"fail", "error"}
    assert len(stub) == len(ref)


def test_grading_twice_gives_identical_results(references_class: Path, tmp_path: Path, secret: str) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert grade(references_class, first, "hw2") == 0
    assert grade(references_class, second, "hw2") == 0
    pd.testing.assert_frame_equal(golden.table(first / "results.csv"), golden.table(second / "results.csv"))


def test_a_rerun_skips_unchanged_work(references_class: Path, out_dir: Path, secret: str, capsys) -> None:
    assert grade(references_class, out_dir, "hw1") == 0
    capsys.readouterr()

    assert grade(references_class, out_dir, "hw1") == 0

    assert "skipped 2 unchanged" in capsys.readouterr().out


def test_without_a_secret_only_public_checks_run_with_a_warning(
    references_class: Path, out_dir: Path, monkeypatch, capsys
) -> None:
    monkeypatch.delenv("GRADER_SECRET", raising=False)
    monkeypatch.chdir(out_dir.parent)  # no course.toml with a secret here

    assert grade(references_class, out_dir, "hw1") == 0

    assert "GRADER_SECRET" in capsys.readouterr().err
    assert set(results(out_dir)["visibility"]) == {"public"}
    assert grade(references_class, out_dir, "hw1", "--public-only") == 0
    assert "WARNING" not in capsys.readouterr().err


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_a_missing_or_empty_folder_is_a_clear_error(tmp_path: Path, make: str, capsys) -> None:
    if make == "empty":
        (tmp_path / "class").mkdir()
    assert grade(tmp_path / "class", tmp_path / "out") == 2
    assert "Error:" in capsys.readouterr().err


def test_an_output_folder_among_the_students_is_refused(references_class: Path, capsys) -> None:
    assert grade(references_class, references_class / "out") == 2
    assert "taken for a student" in capsys.readouterr().err


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of the repository's sample class graded once on the numpy homework."""
    out = tmp_path_factory.mktemp("sample") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADER_SECRET", golden.SECRET)
        assert grade(REPO_ROOT / "submissions", out, golden.ASSIGNMENTS) == 0
    return out


@pytest.fixture(scope="module")
def sample_class(sample_out: Path) -> pd.DataFrame:
    return results(sample_out)


def test_sample_class_grades_exactly_as_recorded(sample_out: Path) -> None:
    """Every row of results.csv (``seconds`` aside) as recorded in tests/data/sample_class_results.csv: a
    change to the grader's structure or speed must not change one verdict, message or point. When a change
    of grading is intended, regenerate it with ``python tests/golden.py`` and review the diff."""
    pd.testing.assert_frame_equal(golden.table(sample_out / "results.csv"), golden.recorded())


def test_sample_class_alice_earns_everything(sample_class: pd.DataFrame) -> None:
    assert percent(sample_class[sample_class["student"] == "alice"]) == 100


def test_sample_class_bob_loses_points_for_his_bugs_only(sample_class: pd.DataFrame) -> None:
    bob = sample_class[sample_class["student"] == "bob"]
    assert "fail" in set(bob[bob["target"] == "linear_backward"]["status"])
    assert set(bob[bob["target"] == "linear_forward"]["status"]) == {"pass"}
    assert 20 < percent(bob) < 100


def test_sample_class_bob_loses_exactly_his_mistakes_targets_and_hears_their_names(sample_class: pd.DataFrame) -> None:
    """bob is the references with the mutations ``BOB`` (``grader.authoring.samples``): each costs its target and is
    named, and costs the functions it names as ``also``; his practice.py imports his own backprop.py, whose
    transposed dW costs hw3's train_classifier too; every other target is right, helpers' bugs excused where a
    target calls them (batch_gd, sgd, mlp_backward)."""
    bob = sample_class[sample_class["student"] == "bob"]
    made = [m for m in MUTATIONS if m.name in BOB and not m.file.endswith(".ipynb")]
    losing = set(bob.loc[bob["points"] < bob["max_points"], "target"])
    assert losing == {t for m in made for t in (m.target, *m.also)} | {"train_classifier"}
    for m in made:
        rows = bob[bob["target"] == m.target]
        assert rows["points"].sum() < rows["max_points"].sum() and m.mistake in set(rows["mistake"]), m.name


def test_every_graded_check_is_listed_with_the_line_of_the_record_it_comes_from(sample_class: pd.DataFrame,
                                                                               capsys) -> None:
    """``grader checks --hidden`` lists each id grading wrote, at the line of its record: a special case's line
    holds its id in full; a rule's standard check points at the line of the rule that names its case."""
    assert main(["checks", "--hidden", "--format", "csv"]) == 0
    listed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    where = dict(zip(listed["id"], listed["defined_at"], strict=True))
    for check_id in sorted(set(sample_class["check_id"])):
        path, line = where[check_id].rsplit(":", 1)
        text = (REPO_ROOT / path).read_text(encoding="utf-8").splitlines()[int(line) - 1]
        assert check_id in text or f'"{check_id.split(".", 3)[3]}"' in text, (check_id, where[check_id], text)


def test_sample_class_carol_gets_error_rows_not_a_crash(sample_class: pd.DataFrame) -> None:
    carol = sample_class[sample_class["student"] == "carol"]
    hw1 = carol[carol["assignment"] == "hw1"]
    assert hw1["points"].sum() == 0 and set(hw1["status"]) == {"error"}
    assert (carol[carol["assignment"] == "hw3"]["message"].str.contains("not submitted")).all()
    assert carol[carol["target"] == "linear_forward"]["status"].eq("pass").all()


@pytest.mark.parametrize("target", ["linear_forward", "linear_backward", "sigmoid_forward", "relu_forward", "sgd"])
def test_sample_class_dave_earns_nothing_where_he_cheats(sample_class: pd.DataFrame, target: str) -> None:
    dave = sample_class[(sample_class["student"] == "dave") & (sample_class["target"] == target)]
    assert len(dave) > 0
    assert dave["points"].sum() == 0, dave[["check_id", "status", "message"]].to_string()


def test_sample_class_dave_keeps_his_honest_points(sample_class: pd.DataFrame) -> None:
    dave = sample_class[(sample_class["student"] == "dave") & (sample_class["target"] == "tanh_backward")]
    assert dave["status"].eq("pass").all()


def test_sample_class_erin_is_flagged_for_torch_in_hw2(sample_class: pd.DataFrame) -> None:
    erin = sample_class[sample_class["student"] == "erin"]
    hw2 = erin[erin["assignment"] == "hw2"]
    assert hw2["points"].sum() == 0
    assert hw2["mistake"].eq("flag: uses torch in hw2").all()
    assert percent(erin[erin["assignment"] == "hw1"]) == 100  # found deep in her LMS folders


def hostile(source: str, replacements: dict[str, str]) -> str:
    for function, body in replacements.items():
        source += f"\n\ndef {function}(*args, **kwargs):\n    {body}\n"
    return source


def test_a_crash_hang_or_exit_costs_only_its_own_checks(tmp_path: Path, out_dir: Path, secret: str, monkeypatch):
    (tmp_path / "course.toml").write_text("[assignments.hw2]\ncheck_timeout = 1.5\n")
    monkeypatch.chdir(tmp_path)
    correct = reference_submission()["backprop.py"].decode()
    bad = {
        "weighted_sum_forward": "import os; os._exit(0)",
        "duplicate_backward": "while True: pass",
        "max_forward": "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
        "add_forward": "import os; os.kill(os.getppid(), 9)",
    }
    root = tmp_path / "class"
    write_submission(root / "a_good", {"backprop.py": correct.encode()})
    write_submission(root / "b_bad", {"backprop.py": hostile(correct, bad).encode()})
    write_submission(root / "c_good", {"backprop.py": correct.encode()})

    assert grade(root, out_dir, "hw2") == 0

    rows = results(out_dir)
    for good in ("a_good", "c_good"):
        assert percent(rows[rows["student"] == good]) == 100
    badrows = rows[rows["student"] == "b_bad"]
    hit = badrows["target"].isin(bad)
    assert badrows[hit]["points"].sum() == 0
    assert badrows[~hit]["status"].eq("pass").all(), badrows[~hit & (badrows["status"] != "pass")].to_string()
    assert "timeout" in set(badrows[badrows["target"] == "duplicate_backward"]["status"])


@pytest.mark.slow
def test_the_lab_notebook_earns_full_marks_despite_hostile_cells(tmp_path: Path, out_dir: Path, secret: str) -> None:
    notebook = json.loads(reference_submission()["mlp_lab.ipynb"])
    for i, source in enumerate(
        ("raise RuntimeError('exploring')\n", "while True:\n    pass\n", "import os\nos._exit(3)\n")
    ):
        notebook["cells"].append(
            {
                "id": f"hostile-{i}",
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": source.splitlines(keepends=True),
            }
        )
    root = tmp_path / "class"
    write_submission(root / "explorer", {"mlp_lab.ipynb": json.dumps(notebook).encode()})
    shutil.copytree(REPO_ROOT / "submissions" / "carol", root / "carol")  # a notebook cut off half-way
    shutil.copytree(REPO_ROOT / "submissions" / "erin", root / "erin")  # magics, a raise, an endless loop
    write_submission(root / "stub", {"mlp_lab.ipynb": ASSIGNMENTS["lab"].stub_path.read_bytes()})

    assert grade(root, out_dir, "lab") == 0

    rows = results(out_dir)
    explorer = rows[rows["student"] == "explorer"]
    assert set(explorer["visibility"]) == {"public", "hidden"}
    assert explorer["status"].eq("pass").all(), explorer[explorer["status"] != "pass"].to_string()
    assert percent(rows[rows["student"] == "erin"]) == 100
    stub = rows[rows["student"] == "stub"]
    assert stub["points"].sum() == 0 and set(stub["status"]) <= {"fail", "error"}
    carol = rows[rows["student"] == "carol"]
    assert carol["points"].sum() == 0 and carol["status"].eq("error").all()


def test_a_course_config_naming_an_unknown_check_is_a_clear_error(
    references_class: Path, out_dir: Path, monkeypatch, capsys
):
    (out_dir.parent / "course.toml").write_text('[assignments.hw1.points]\n"hw1.gd_step.public.typo" = 3\n')
    monkeypatch.chdir(out_dir.parent)

    assert grade(references_class, out_dir, "hw1", "--public-only") == 2
    assert "hw1.gd_step.public.typo" in capsys.readouterr().err


TIMES_HEADER = "student,assignment,submitted_at\n"


@pytest.fixture
def late_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two correct hw1 hand-ins: ann's own submission.txt and file times claim she was early, the
    instructor's submitted_at.csv says she was a day and a half late; ben was on time."""
    (tmp_path / "course.toml").write_text(
        '[late]\npenalty_per_day = 0.1\ncap = 0.5\n[assignments.hw1]\ndue = "2027-01-22T23:59:00+01:00"\n'
    )
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "class"
    correct = reference_submission()["gradient_descent.py"]
    for student in ("ann", "ben"):
        write_submission(root / student, {"gradient_descent.py": correct})
    (root / "ann" / "submission.txt").write_text("submitted_at: 2027-01-01T00:00:00+00:00\n")
    os.utime(root / "ann" / "gradient_descent.py", (1_798_000_000, 1_798_000_000))  # 2026-12-23
    (root / "submitted_at.csv").write_text(
        TIMES_HEADER + "ann,hw1,2027-01-24T12:00:00+01:00\nben,*,2027-01-22T20:00:00+01:00\n"
    )
    return root


def gradebook_csv(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "gradebook.csv", index_col="student")


def test_the_instructors_times_decide_the_late_penalty_not_the_students(
    late_class: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert grade(late_class, out_dir, "hw1", "--public-only") == 0

    book = gradebook_csv(out_dir)
    assert book.loc["ann", "hw1_submitted_at"] == "2027-01-24T11:00:00+00:00"
    assert (book.loc["ann", "hw1_late_days"], book.loc["ann", "hw1_penalty"]) == (2, pytest.approx(0.2))
    assert book.loc["ann", "hw1_final"] == pytest.approx(0.8 * book.loc["ann", "hw1"]) and book.loc["ann", "hw1"] > 0
    assert book.loc["ben", "hw1_penalty"] == 0
    assert f"submission times from {late_class / 'submitted_at.csv'}: 2 of 2" in capsys.readouterr().out


def test_submitted_at_overrides_the_default_file_and_a_new_time_needs_no_regrade(
    late_class: Path, out_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert grade(late_class, out_dir, "hw1", "--public-only") == 0
    (tmp_path / "corrected.csv").write_text(TIMES_HEADER + "ann,,2027-01-22T23:00:00+01:00\n")
    capsys.readouterr()

    assert grade(late_class, out_dir, "hw1", "--public-only", "--submitted-at", str(tmp_path / "corrected.csv")) == 0

    assert "skipped 2 unchanged" in capsys.readouterr().out
    book = gradebook_csv(out_dir)
    assert book.loc["ann", "hw1_penalty"] == 0
    assert pd.isna(book.loc["ben", "hw1_submitted_at"])  # not in that file: unknown, not invented
    assert grade(late_class, out_dir, "hw1", "--public-only") == 0  # back to the default file
    assert gradebook_csv(out_dir).loc["ann", "hw1_penalty"] == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("student;assignment;when\n", "line 1: the header must be student,assignment,submitted_at"),
        (TIMES_HEADER + "ann,hw1,2027-01-24T12:00:00+01:00\nben,hw1,late-ish\n", "line 3: 'late-ish' is not a date"),
        (TIMES_HEADER + "ann,hw4,2027-01-24T12:00:00+01:00\n", "line 2: unknown assignment 'hw4'"),
    ],
)
def test_a_bad_times_file_is_a_clear_error(
    late_class: Path, out_dir: Path, tmp_path: Path, capsys, content: str | None, message: str
) -> None:
    named = tmp_path / "times.csv"
    if content is not None:
        named.write_text(content)

    assert grade(late_class, out_dir, "hw1", "--public-only", "--submitted-at", str(named)) == 2

    err = capsys.readouterr().err
    assert err.startswith("Error: ") and message in err and "Traceback" not in err
    assert not (out_dir / "gradebook.sqlite").exists()


def test_a_linked_default_times_file_is_refused(late_class: Path, out_dir: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "student-made.csv").write_text(TIMES_HEADER + "ann,*,2027-01-01T00:00:00Z\n")
    (late_class / "submitted_at.csv").unlink()
    (late_class / "submitted_at.csv").symlink_to(tmp_path / "student-made.csv")

    assert grade(late_class, out_dir, "hw1", "--public-only") == 2
    assert "submitted_at.csv is a symbolic link" in capsys.readouterr().err
