"""A rebuild of the reports reuses what it kept (the similarity work, the histograms, the feedback files) only
where the data behind it is unchanged: after a student's rows and hand-in change, every file is byte for byte
what a build from scratch of the changed gradebook writes, and the unchanged parts were not made again."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from test_reports import CONFIG, build_class
from test_similarity import STYLES, independent_class

from grader.pipeline.discover import Submission, content_hash
from grader.pipeline.gradebook import FILENAME, Gradebook
from grader.pipeline.suite_cache import CACHE_DIR
from grader.reports import markdown, similarity, write_reports

CHANGED = "student03"


def hand_in(student: str, text: str) -> Submission:
    files = {"backprop.py": text.encode()}
    return Submission(student, "hw2", files, content_hash(files), None)


def keep_texts(out: Path, texts: dict[str, str]) -> None:
    """Keep ``texts`` as the students' graded hw2 hand-ins, as ``grader grade`` keeps them."""
    submissions = [hand_in(student, text) for student, text in texts.items()]
    with Gradebook(out) as book:
        book.keep_sources(submissions)
    with sqlite3.connect(out / FILENAME) as db:
        db.executemany("UPDATE submissions SET content_hash = ? WHERE student = ? AND assignment = 'hw2'",
                       [(s.content_hash, s.student) for s in submissions])  # fmt: skip


def class_texts(students: list[str]) -> dict[str, str]:
    """Five independent styles in turn, each with a function of its own, and one disguised copy."""
    styles = list(independent_class().values())
    texts = {s: styles[n % len(styles)] + f"\n\ndef own_{n}(x):\n    return x * {n} + {n * n}\n"
             for n, s in enumerate(students)}  # fmt: skip
    texts[students[-1]] = (STYLES / "disguised_copy_of_masks.py").read_text()
    return texts


def files(out: Path) -> dict[str, bytes]:
    """Every report file (the cache aside), by its path in ``out``."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and CACHE_DIR not in p.parts and not p.name.startswith(FILENAME)}  # fmt: skip


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """How many times each costly part is made: k-grams, feedback texts."""
    counts: Counter = Counter()
    similarity.boilerplate("hw2")  # the stub's k-grams, made once per process

    def counting(name: str, real, key=None):
        def wrapper(*args, **kwargs):
            counts[key(*args) if key else name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(similarity, "kgrams", counting("kgrams", similarity.kgrams))
    monkeypatch.setattr(markdown, "feedback", counting("feedback", markdown.feedback))
    return counts


def test_a_rebuild_after_one_change_writes_what_a_build_from_scratch_writes(tmp_path: Path, made: Counter) -> None:
    out = tmp_path / "out"
    build_class(out)
    with Gradebook(out) as book:
        students = sorted(set(book.submissions_frame()["student"]))
    texts = class_texts(students)
    keep_texts(out, texts)
    write_reports(out, CONFIG)
    first = files(out)
    assert made["kgrams"] == len(texts) and made["feedback"] == len(students)
    assert b"hw2,student00,student03," not in first["similarity.csv"]

    # nothing changed: nothing is made again, nothing differs
    made.clear()
    write_reports(out, CONFIG)
    assert files(out) == first and sum(made.values()) == 0

    # one student's hw2: new points on every check, a new hand-in (a copy of another's); another's messages
    with sqlite3.connect(out / FILENAME) as db:
        db.execute("UPDATE results SET points = 0, status = 'fail', message = 'now failing <b>' "
                   "WHERE student = ? AND assignment = 'hw2'", (CHANGED,))  # fmt: skip
        # another student's messages only: the same grades, other feedback
        assert db.execute("UPDATE results SET message = message || ' (again)' WHERE student = 'student05' "
                          "AND points < max_points AND assignment = 'hw1'").rowcount > 0  # fmt: skip
    keep_texts(out, {CHANGED: texts["student00"].replace("own_0", "mine")})
    feedback_before = {p.name: p.stat().st_mtime_ns for p in (out / "feedback").iterdir()}
    made.clear()
    write_reports(out, CONFIG)
    rebuilt = files(out)
    assert made == Counter({"kgrams": 1, "feedback": 2})  # only what the changes touch
    rewritten = sorted(p.name for p in (out / "feedback").iterdir() if p.stat().st_mtime_ns != feedback_before[p.name])
    assert rewritten == [f"{CHANGED}.md", "student05.md"]

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with sqlite3.connect(out / FILENAME) as source, sqlite3.connect(scratch / FILENAME) as copy:
        source.backup(copy)  # the rows still in the write-ahead log too
    write_reports(scratch, CONFIG)
    assert rebuilt.keys() == files(scratch).keys()
    assert [name for name, data in files(scratch).items() if rebuilt[name] != data] == []
    assert b"hw2,student00,student03,1.0,True" in rebuilt["similarity.csv"]  # the new copy is flagged
    assert b"now failing \\<b\\>" in rebuilt[f"feedback/{CHANGED}.md"]


def test_a_report_file_changed_by_hand_is_written_again(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_class(out, n_students=4)
    write_reports(out, CONFIG)
    page = out / "feedback" / "student01.md"
    kept = page.read_bytes()
    page.write_text("edited")
    (out / "feedback" / "student02.md").unlink()
    write_reports(out, CONFIG)
    assert page.read_bytes() == kept and (out / "feedback" / "student02.md").is_file()


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"basis": "x", "pairs": [], "blocks": {}, "sha256": "0"}'])
def test_damaged_kept_work_is_done_again(tmp_path: Path, damage: bytes) -> None:
    """Whatever the cache folder holds (truncated, unreadable, another build's), the reports come out the same."""
    out = tmp_path / "out"
    build_class(out, n_students=6)
    with Gradebook(out) as book:
        students = sorted(set(book.submissions_frame()["student"]))
    keep_texts(out, class_texts(students))
    write_reports(out, CONFIG)
    built = files(out)
    kept = sorted((out / CACHE_DIR).iterdir())
    assert {p.name for p in kept} >= {"feedback.json", "results-csv.json", "matches-hw2.json",
                                      "kgrams-hw2.npz", "similarity-hw2.npz"}  # fmt: skip
    for path in kept:
        path.write_bytes(damage)
    write_reports(out, CONFIG)
    assert files(out) == built
