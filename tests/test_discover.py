"""Discovery of a class's hand-ins: nesting, junk, duplicates, binary files, helpers, submission time, and the
rule for reading a student's folder (regular files inside it only, never through a link, under a size cap)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from grader.pipeline.discover import content_hash, discover, student_dirs
from grader.pipeline.submission_times import SubmissionTimes


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


def test_helpers_beside_the_file_are_sent_but_not_shadowing_ones(tmp_path: Path) -> None:
    folder = tmp_path / "dan"
    put(folder / "backprop.py", "from helpers import f\n")
    put(folder / "helpers.py", "def f(): pass\n")
    put(folder / "numpy.py", "evil = 1\n")
    put(folder / "my-notes.py", b"\0\0")  # not importable by that name: never read
    put(folder / "data.bin", b"\0\0")
    put(folder / "sub" / "deeper.py", "x = 1\n")

    sub = by_key(discover(tmp_path, only=["hw2"]), "dan", "hw2")

    assert sub.error == ""
    assert sorted(sub.files) == ["backprop.py", "helpers.py"]


def test_a_binary_helper_is_an_error_not_silently_left_out(tmp_path: Path) -> None:
    put(tmp_path / "dan" / "backprop.py", "from blob import f\n")
    put(tmp_path / "dan" / "blob.py", b"\0\0")

    sub = by_key(discover(tmp_path, only=["hw2"]), "dan", "hw2")

    assert sub.error == "blob.py is not a UTF-8 text file (binary or corrupted?): save it as UTF-8 text"
    assert sub.files == {}


def test_misnamed_file_gets_a_hint(tmp_path: Path) -> None:
    put(tmp_path / "fay" / "backprop (1).py")

    sub = by_key(discover(tmp_path, only=["hw2"]), "fay", "hw2")

    assert "rename it to backprop.py" in sub.error


def test_a_submission_time_written_by_the_student_is_ignored(tmp_path: Path) -> None:
    put(tmp_path / "gil" / "nested" / "backprop.py")
    put(tmp_path / "gil" / "nested" / "submission.txt", "submitted_at: 2000-01-01T00:00:00Z\n")
    put(tmp_path / "gil" / "submission.txt", "name: Gil\nsubmitted_at: 2000-01-01T00:00:00Z\n")
    main = put(tmp_path / "hal" / "backprop.py")
    os.utime(main, (946_684_800, 946_684_800))  # a zip carries mtimes from the student's machine

    subs = discover(tmp_path, only=["hw2"])

    assert by_key(subs, "gil", "hw2").submitted_at is None
    assert by_key(subs, "hal", "hw2").submitted_at is None
    assert sorted(by_key(subs, "gil", "hw2").files) == ["backprop.py"]


def test_submission_times_come_from_the_instructor(tmp_path: Path) -> None:
    put(tmp_path / "gil" / "backprop.py")
    put(tmp_path / "gil" / "gradient_descent.py")
    put(tmp_path / "hal" / "backprop.py")
    times = SubmissionTimes({("gil", "*"): "2027-01-20T10:00:00+00:00", ("gil", "hw2"): "2027-01-30T10:00:00+00:00"})

    subs = discover(tmp_path, only=["hw1", "hw2", "hw3"], times=times)

    assert by_key(subs, "gil", "hw1").submitted_at == "2027-01-20T10:00:00+00:00"
    assert by_key(subs, "gil", "hw2").submitted_at == "2027-01-30T10:00:00+00:00"
    assert by_key(subs, "gil", "hw3").submitted_at is None  # not handed in
    assert by_key(subs, "hal", "hw2").submitted_at is None  # unknown


def test_the_content_hash_does_not_depend_on_the_submission_time(tmp_path: Path) -> None:
    put(tmp_path / "gil" / "backprop.py")
    early = SubmissionTimes({("gil", "hw2"): "2027-01-20T10:00:00+00:00"})
    late = SubmissionTimes({("gil", "hw2"): "2027-02-20T10:00:00+00:00"})

    hashes = {by_key(discover(tmp_path, ["hw2"], t), "gil", "hw2").content_hash for t in (None, early, late)}

    assert len(hashes) == 1


def test_the_instructors_times_file_is_not_a_student(tmp_path: Path) -> None:
    put(tmp_path / "submitted_at.csv", "student,assignment,submitted_at\n")
    put(tmp_path / "gil" / "backprop.py")

    assert [p.name for p in student_dirs(tmp_path)] == ["gil"]
    assert {s.student for s in discover(tmp_path, ["hw2"])} == {"gil"}


def test_content_hash_tracks_the_files_the_session_loads(tmp_path: Path) -> None:
    put(tmp_path / "ivy" / "backprop.py", "A = 1\n")
    first = by_key(discover(tmp_path, only=["hw2"]), "ivy", "hw2").content_hash
    assert by_key(discover(tmp_path, only=["hw2"]), "ivy", "hw2").content_hash == first

    put(tmp_path / "ivy" / "helpers.py", "B = 2\n")  # sent along, never imported
    found = by_key(discover(tmp_path, only=["hw2"]), "ivy", "hw2")
    assert "helpers.py" in found.files and found.content_hash == first

    put(tmp_path / "ivy" / "backprop.py", "from helpers import B\nA = 1\n")
    second = by_key(discover(tmp_path, only=["hw2"]), "ivy", "hw2")
    put(tmp_path / "ivy" / "helpers.py", "B = 3\n")
    third = by_key(discover(tmp_path, only=["hw2"]), "ivy", "hw2")
    assert len({first, second.content_hash, third.content_hash}) == 3
    assert set(third.loaded) == {"backprop.py", "helpers.py"} and third.loaded != second.loaded


def test_content_hash_is_order_and_boundary_safe() -> None:
    assert content_hash({"a.py": b"xy", "b.py": b""}) != content_hash({"a.py": b"x", "b.py": b"y"})
    assert content_hash({"a.py": b"1", "b.py": b"2"}) == content_hash({"b.py": b"2", "a.py": b"1"})


def test_unreadable_files_are_error_rows_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    put(tmp_path / "kim" / "backprop.py")
    put(tmp_path / "kim" / "copy" / "backprop.py", "other = 1\n")
    put(tmp_path / "lee" / "backprop.py")
    real_open = os.open

    def refusing_open(path, *args, **kwargs):  # what a file without read permission does (root ignores chmod)
        if os.fspath(path).endswith("backprop.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    subs = discover(tmp_path, only=["hw2"])

    assert "could not be read" in by_key(subs, "kim", "hw2").error  # two unreadable copies
    assert by_key(subs, "lee", "hw2").error == "backprop.py could not be read (Permission denied)"


# --- Reading a student's folder: only regular files inside it, never through a link, under a size cap ---

SECRET = "REFERENCE SOLUTION: never in a student's files\n"
CORRECT = "def linear_forward(X, W, b):\n    return X @ W.T + b\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files beside the class that a student must never read: stand-ins for reference/*.py, course.toml."""
    put(tmp_path / "reference" / "backprop_np.py", SECRET)
    put(tmp_path / "course.toml", f"# {SECRET}")
    return tmp_path


@pytest.fixture
def klass(outside: Path) -> Path:
    """A class with one honest student, ``amy``, next to whom each attack puts ``mallory``."""
    root = outside / "class"
    put(root / "amy" / "backprop.py", CORRECT)
    put(root / "amy" / "helpers.py", "def f(): pass\n")
    return root


def assert_amy_unaffected(subs) -> None:
    amy = by_key(subs, "amy", "hw2")
    assert amy.error == ""
    assert amy.files == {"backprop.py": CORRECT.encode(), "helpers.py": b"def f(): pass\n"}


def assert_nothing_leaked(subs) -> None:
    for sub in subs:
        for body in sub.files.values():
            assert SECRET.encode() not in body, (sub.student, sorted(sub.files))


@pytest.mark.parametrize(
    "target", ["../../reference/backprop_np.py", "../../course.toml", "../amy/backprop.py", "/etc/passwd"]
)
def test_a_helper_that_is_a_symbolic_link_is_refused(klass: Path, target: str) -> None:
    put(klass / "mallory" / "backprop.py", "from helpers import *\n")
    (klass / "mallory" / "helpers.py").symlink_to(target)

    subs = discover(klass, only=["hw2"])

    mallory = by_key(subs, "mallory", "hw2")
    assert mallory.error == "helpers.py is a symbolic link: hand in regular files only"
    assert mallory.files == {}
    assert_nothing_leaked(subs)
    assert_amy_unaffected(subs)


def test_a_hand_in_that_is_a_symbolic_link_is_refused(klass: Path) -> None:
    (klass / "mallory").mkdir()
    (klass / "mallory" / "backprop.py").symlink_to("../amy/backprop.py")

    subs = discover(klass, only=["hw2"])

    assert by_key(subs, "mallory", "hw2").error == "backprop.py is a symbolic link: hand in regular files only"
    assert_amy_unaffected(subs)


def test_a_linked_sub_folder_is_never_entered(klass: Path, outside: Path) -> None:
    put(outside / "elsewhere" / "hw2" / "backprop.py", SECRET)
    (klass / "mallory").mkdir()
    (klass / "mallory" / "hw2").symlink_to(outside / "elsewhere" / "hw2")

    subs = discover(klass, only=["hw2"])

    mallory = by_key(subs, "mallory", "hw2")
    assert mallory.error.startswith("not submitted: no backprop.py in mallory/")
    assert "hw2 is a symbolic link" in mallory.error
    assert mallory.files == {}
    assert_nothing_leaked(subs)
    assert_amy_unaffected(subs)


def test_a_linked_student_folder_is_refused_not_graded(klass: Path) -> None:
    (klass / "mallory").symlink_to(klass / "amy")  # would be graded as amy's work

    subs = discover(klass, only=["hw1", "hw2"])

    assert [p.name for p in student_dirs(klass)] == ["amy"]
    for key in ("hw1", "hw2"):
        mallory = by_key(subs, "mallory", key)
        assert mallory.error.startswith("mallory is a symbolic link")
        assert mallory.files == {}
    assert_amy_unaffected(subs)


def test_a_hard_link_is_refused(klass: Path, outside: Path) -> None:
    put(klass / "mallory" / "backprop.py", "from helpers import *\n")
    os.link(outside / "reference" / "backprop_np.py", klass / "mallory" / "helpers.py")

    subs = discover(klass, only=["hw2"])

    mallory = by_key(subs, "mallory", "hw2")
    assert mallory.error.startswith("helpers.py is a hard link")
    assert mallory.files == {}
    assert_nothing_leaked(subs)
    assert_amy_unaffected(subs)


def discover_in_time(root: Path, fifo: Path, seconds: float = 20.0) -> list:
    """discover(root), failing instead of hanging when it blocks on the FIFO ``fifo``."""
    found: list = []
    thread = threading.Thread(target=lambda: found.extend(discover(root, only=["hw2"])), daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # a writer that leaves at once unblocks the reader
        thread.join(seconds)
        pytest.fail(f"discover blocked on the FIFO {fifo.name}")
    return found


@pytest.mark.parametrize("name", ["helpers.py", "backprop.py", "notes.txt"])
def test_a_fifo_never_blocks_the_grader(klass: Path, name: str) -> None:
    if name != "backprop.py":
        put(klass / "mallory" / "backprop.py", CORRECT)
    (klass / "mallory").mkdir(exist_ok=True)
    os.mkfifo(klass / "mallory" / name)

    subs = discover_in_time(klass, klass / "mallory" / name)

    mallory = by_key(subs, "mallory", "hw2")
    if name == "notes.txt":  # not something the grader would send: ignored
        assert (mallory.error, mallory.files) == ("", {"backprop.py": CORRECT.encode()})
    else:
        assert mallory.error == f"{name} is not a regular file (a named pipe): hand in regular files only"
    assert_amy_unaffected(subs)


@pytest.mark.parametrize("name", ["backprop.py", "helpers.py"])
def test_an_oversized_python_source_is_refused(klass: Path, name: str) -> None:
    put(klass / "mallory" / "backprop.py", CORRECT)
    put(klass / "mallory" / name, "#" * 299_000 + "\n" + CORRECT)

    subs = discover(klass, only=["hw2"])

    mallory = by_key(subs, "mallory", "hw2")
    assert mallory.error.startswith(f"{name} is 299 kB, over the 256 kB limit for a Python source")
    assert mallory.files == {}
    assert_amy_unaffected(subs)


def test_an_oversized_notebook_is_refused_unread(klass: Path) -> None:
    (klass / "mallory").mkdir()
    with open(klass / "mallory" / "mlp_lab.ipynb", "wb") as sparse:
        sparse.truncate(20_500_000)  # takes no disk and, refused by its size, no memory

    mallory = by_key(discover(klass, only=["lab"]), "mallory", "lab")

    assert mallory.error.startswith("mlp_lab.ipynb is 20.5 MB, over the 20 MB limit for a notebook")


def test_helpers_are_capped_in_total_size_and_number(klass: Path) -> None:
    put(klass / "mallory" / "backprop.py", CORRECT)
    for i in range(5):
        put(klass / "mallory" / f"part{i}.py", "#" * 250_000 + "\n")

    mallory = by_key(discover(klass, only=["hw2"]), "mallory", "hw2")

    assert mallory.error.startswith("the Python files beside backprop.py add up to more than the 1 MB limit")
    assert mallory.files == {}
    for i in range(5):
        (klass / "mallory" / f"part{i}.py").unlink()
    for i in range(101):
        put(klass / "mallory" / f"tiny{i}.py", "")

    mallory = by_key(discover(klass, only=["hw2"]), "mallory", "hw2")

    assert mallory.error.startswith("backprop.py has 101 Python files beside it, over the limit of 100")


def test_a_linked_copy_among_duplicates_is_refused(klass: Path) -> None:
    put(klass / "mallory" / "backprop.py", CORRECT)
    (klass / "mallory" / "old").mkdir()
    (klass / "mallory" / "old" / "backprop.py").symlink_to("../../amy/backprop.py")

    mallory = by_key(discover(klass, only=["hw2"]), "mallory", "hw2")

    assert mallory.error == "old/backprop.py is a symbolic link: hand in regular files only"


MEASURE = """
import resource, sys, tracemalloc
from pathlib import Path
from grader.pipeline.discover import discover

resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # on failure: a MemoryError, not a swamped machine
tracemalloc.start()
subs = discover(Path(sys.argv[1]))  # the grader parses nothing a student wrote: the sandbox does
print(next(s.error for s in subs if s.student == "mallory" and s.assignment == "hw2"))
print(tracemalloc.get_traced_memory()[1])
"""


def test_a_huge_source_is_refused_before_it_costs_memory(klass: Path) -> None:
    source = "x = [" + "0," * 9_950_000 + "]\n"  # 19.9 MB whose syntax tree would take gigabytes
    put(klass / "mallory" / "backprop.py", source)

    # A child of its own: max RSS would count pytest's memory (Linux carries it across exec); tracemalloc
    # counts what discovering and checking the class allocate, the syntax trees included.
    done = subprocess.run([sys.executable, "-c", MEASURE, str(klass)], capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr[-2000:]
    error, peak = done.stdout.splitlines()
    assert error.startswith("backprop.py is 19.9 MB, over the 256 kB limit for a Python source")
    assert int(peak) < 8 << 20, f"peak {int(peak) >> 20} MiB: the file was read"


def test_a_folder_name_that_is_not_utf8_becomes_an_escaped_id_the_gradebook_can_store(tmp_path: Path) -> None:
    folder = os.fsdecode(b"stud\xffent")
    put(tmp_path / folder / "gradient_descent.py", "A = 1\n")

    (sub,) = discover(tmp_path, only=["hw1"])

    assert sub.student == "stud\\xffent" and sub.error == ""
    sub.student.encode("utf-8")  # no lone surrogate left: SQLite, CSV and Parquet accept it


def test_another_homeworks_module_is_sent_from_where_the_student_keeps_it(tmp_path: Path) -> None:
    # a cloned student repository: each homework in its own folder, practice.py importing backprop.py
    put(tmp_path / "ann" / "assignments" / "hw2_backprop" / "backprop.py", "HW2 = 1\n")
    put(tmp_path / "ann" / "assignments" / "hw3_practice" / "practice.py", "from backprop import HW2\n")
    put(tmp_path / "bob" / "hw2" / "backprop.py", "OLD = 1\n")
    put(tmp_path / "bob" / "hw3" / "practice.py", "from backprop import NEW\n")
    put(tmp_path / "bob" / "hw3" / "backprop.py", "NEW = 1\n")  # the copy beside the hand-in wins
    put(tmp_path / "cy" / "a" / "practice.py", "from backprop import X\n")
    os.symlink(tmp_path / "ann" / "assignments" / "hw2_backprop" / "backprop.py", tmp_path / "cy" / "backprop.py")

    subs = discover(tmp_path, only=["hw3"])

    assert by_key(subs, "ann", "hw3").files["backprop.py"] == b"HW2 = 1\n"
    assert by_key(subs, "bob", "hw3").files["backprop.py"] == b"NEW = 1\n"
    cy = by_key(subs, "cy", "hw3")  # a link is never read; hw2's own rows say why
    assert cy.error == "" and set(cy.files) == {"practice.py"}
