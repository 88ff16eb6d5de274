"""Discovery of a class's hand-ins: nesting, junk, duplicates, binary files, helpers, submission time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.discover import content_hash, discover


def put(path: Path, text: str | bytes = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def by_key(subs, student: str, assignment: str):
    (found,) = [s for s in subs if s.student == student and s.assignment == assignment]
    return found


def test_finds_nested_files_and_skips_junk_folders(tmp_path: Path) -> None:
    put(tmp_path / "erin" / "Attempt 1" / "hw2" / "backprop.py", "A = 1\n")
    put(tmp_path / "erin" / "__MACOSX" / "hw2" / "backprop.py", b"\0\x05junk")
    put(tmp_path / "erin" / ".ipynb_checkpoints" / "mlp_lab.ipynb", "{}")
    put(tmp_path / "__MACOSX" / "backprop.py")
    put(tmp_path / ".git" / "backprop.py")

    subs = discover(tmp_path, only=["hw2", "lab"])

    assert {s.student for s in subs} == {"erin"}
    hw2 = by_key(subs, "erin", "hw2")
    assert hw2.error == ""
    assert hw2.files == {"backprop.py": b"A = 1\n"}
    assert hw2.source == str(Path("erin/Attempt 1/hw2/backprop.py"))
    assert "not submitted" in by_key(subs, "erin", "lab").error


def test_results_are_sorted_by_student_then_assignment(tmp_path: Path) -> None:
    for student in ("zoe", "amy"):
        put(tmp_path / student / "gradient_descent.py")
        put(tmp_path / student / "backprop.py")

    subs = discover(tmp_path, only=["hw2", "hw1"])

    assert [(s.student, s.assignment) for s in subs] == [("amy", "hw1"), ("amy", "hw2"), ("zoe", "hw1"), ("zoe", "hw2")]


def test_two_different_copies_are_an_error_not_a_guess(tmp_path: Path) -> None:
    put(tmp_path / "bob" / "v1" / "backprop.py", "A = 1\n")
    put(tmp_path / "bob" / "v2" / "backprop.py", "A = 2\n")

    sub = by_key(discover(tmp_path, only=["hw2"]), "bob", "hw2")

    assert "2 different copies of backprop.py" in sub.error
    assert "v1" in sub.error and "v2" in sub.error
    assert sub.files == {}


def test_identical_copies_are_graded(tmp_path: Path) -> None:
    put(tmp_path / "bob" / "backprop.py", "A = 1\n")
    put(tmp_path / "bob" / "copy" / "backprop.py", "A = 1\n")

    assert by_key(discover(tmp_path, only=["hw2"]), "bob", "hw2").error == ""


@pytest.mark.parametrize("junk", [b"\x89PNG\r\n\x1a\n\0\0", b"\xff\xfe\xfa not utf-8"])
def test_binary_junk_is_an_error_row(tmp_path: Path, junk: bytes) -> None:
    put(tmp_path / "carol" / "backprop.py", junk)

    sub = by_key(discover(tmp_path, only=["hw2"]), "carol", "hw2")

    assert "not a UTF-8 text file" in sub.error


def test_helpers_beside_the_file_are_sent_but_not_shadowing_or_binary_ones(tmp_path: Path) -> None:
    folder = tmp_path / "dan"
    put(folder / "backprop.py", "from helpers import f\n")
    put(folder / "helpers.py", "def f(): pass\n")
    put(folder / "numpy.py", "evil = 1\n")
    put(folder / "blob.py", b"\0\0")
    put(folder / "my-notes.py", "x = 1\n")
    put(folder / "sub" / "deeper.py", "x = 1\n")

    sub = by_key(discover(tmp_path, only=["hw2"]), "dan", "hw2")

    assert sorted(sub.files) == ["backprop.py", "helpers.py"]


def test_misnamed_file_gets_a_hint(tmp_path: Path) -> None:
    put(tmp_path / "fay" / "backprop (1).py")

    sub = by_key(discover(tmp_path, only=["hw2"]), "fay", "hw2")

    assert "rename it to backprop.py" in sub.error


def test_submitted_at_comes_from_the_metadata_file(tmp_path: Path) -> None:
    put(tmp_path / "gil" / "nested" / "backprop.py")
    put(tmp_path / "gil" / "submission.txt", "name: Gil\nsubmitted_at: 2026-11-20T23:59:00+01:00\n")

    sub = by_key(discover(tmp_path, only=["hw2"]), "gil", "hw2")

    assert sub.submitted_at == "2026-11-20T22:59:00+00:00"


def test_submitted_at_falls_back_to_newest_mtime(tmp_path: Path) -> None:
    main = put(tmp_path / "hal" / "backprop.py")
    os.utime(main, (1_700_000_000, 1_700_000_000))

    sub = by_key(discover(tmp_path, only=["hw2"]), "hal", "hw2")

    assert sub.submitted_at == "2023-11-14T22:13:20+00:00"


def test_content_hash_tracks_the_files_sent(tmp_path: Path) -> None:
    put(tmp_path / "ivy" / "backprop.py", "A = 1\n")
    first = by_key(discover(tmp_path, only=["hw2"]), "ivy", "hw2").content_hash
    assert by_key(discover(tmp_path, only=["hw2"]), "ivy", "hw2").content_hash == first

    put(tmp_path / "ivy" / "helpers.py", "B = 2\n")
    assert by_key(discover(tmp_path, only=["hw2"]), "ivy", "hw2").content_hash != first


def test_content_hash_is_order_and_boundary_safe() -> None:
    assert content_hash({"a.py": b"xy", "b.py": b""}) != content_hash({"a.py": b"x", "b.py": b"y"})
    assert content_hash({"a.py": b"1", "b.py": b"2"}) == content_hash({"b.py": b"2", "a.py": b"1"})


def test_unreadable_files_are_error_rows_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    put(tmp_path / "kim" / "backprop.py")
    put(tmp_path / "kim" / "copy" / "backprop.py", "other = 1\n")
    put(tmp_path / "lee" / "backprop.py")
    put(tmp_path / "lee" / "submission.txt", "submitted_at: 2026-11-20T23:59:00Z\n")
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:  # what a file without read permission does (root ignores chmod)
        if self.name == "backprop.py" or self.name == "submission.txt":
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    subs = discover(tmp_path, only=["hw2"])

    assert "could not be read" in by_key(subs, "kim", "hw2").error  # two unreadable copies
    assert by_key(subs, "lee", "hw2").error == "backprop.py could not be read (Permission denied)"
