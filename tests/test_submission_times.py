"""Submission times from the instructor's CSV: the format, its errors, and the no-link rule for the default file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.pipeline.submission_times import TimesError, default_times, load_times, parse_times

HEADER = "student,assignment,submitted_at\n"


def parse(text: str):
    return parse_times(text.encode(), "times.csv")


def test_rows_for_one_assignment_win_over_rows_for_all() -> None:
    times = parse(
        "\ufeff" + HEADER + "ann,*,2027-01-20T18:00:00+01:00\nann,hw2,2027-01-31T20:30:00Z\n\nbob,,2027-01-22 10:00\n"
    )

    assert times.get("ann", "hw1") == "2027-01-20T17:00:00+00:00"
    assert times.get("ann", "hw2") == "2027-01-31T20:30:00+00:00"
    assert times.get("bob", "lab") == "2027-01-22T10:00:00+00:00"  # no zone: UTC
    assert times.get("cy", "hw1") is None
    assert times.students == {"ann", "bob"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "times.csv line 1: the header must be student,assignment,submitted_at"),
        ("name,time\n", "times.csv line 1: the header must be student,assignment,submitted_at"),
        (HEADER + "ann,hw2,yesterday\n", "times.csv line 2: 'yesterday' is not a date and time"),
        (HEADER + "ann,hw2,2027-01-31\n", "times.csv line 2: '2027-01-31' is not a date and time"),
        (HEADER + "ann,hw2,2027-01-31T10:00\nbob,hw9,2027-01-31T10:00\n", "line 3: unknown assignment 'hw9'"),
        (HEADER + "ann,hw2\n", "times.csv line 2: 2 columns, expected 3"),
        (HEADER + ",hw2,2027-01-31T10:00\n", "times.csv line 2: no student id"),
        (HEADER + "ann,,2027-01-31T10:00\nann,*,2027-02-01T10:00\n", "line 3: a second time for ann, *"),
    ],
)
def test_a_bad_file_names_the_line_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(TimesError, match=message.replace("*", r"\*")):
        parse(text)


def test_not_utf8_is_an_error() -> None:
    with pytest.raises(TimesError, match="not a UTF-8 text file"):
        parse_times(b"\xff\xfe" + HEADER.encode("utf-16-le"), "times.csv")


def test_the_default_file_is_optional_and_a_folder_of_that_name_is_a_student(tmp_path: Path) -> None:
    assert default_times(tmp_path) is None
    (tmp_path / "submitted_at.csv").mkdir()
    assert default_times(tmp_path) is None


def test_the_default_file_is_read_without_following_a_link(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.csv").write_text(HEADER + "ann,*,2000-01-01T00:00:00Z\n")
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "submitted_at.csv").symlink_to(tmp_path / "elsewhere.csv")

    with pytest.raises(TimesError, match="submitted_at.csv is a symbolic link"):
        default_times(tmp_path / "class")


def test_the_default_file_is_size_capped_and_never_blocks(tmp_path: Path) -> None:
    with open(tmp_path / "submitted_at.csv", "wb") as sparse:
        sparse.truncate(50_000_000)
    with pytest.raises(TimesError, match="50 MB, over the 10 MB limit"):
        default_times(tmp_path)
    os.unlink(tmp_path / "submitted_at.csv")
    os.mkfifo(tmp_path / "submitted_at.csv")
    with pytest.raises(TimesError, match=r"is not a regular file \(a named pipe\)"):
        default_times(tmp_path)


def test_a_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(TimesError, match="no such file"):
        load_times(tmp_path / "missing.csv")
    (tmp_path / "real.csv").write_text(HEADER + "ann,hw1,2027-01-20T18:00:00+01:00\n")
    (tmp_path / "link.csv").symlink_to(tmp_path / "real.csv")  # the instructor's own link is fine
    assert load_times(tmp_path / "link.csv").get("ann", "hw1") == "2027-01-20T17:00:00+00:00"
