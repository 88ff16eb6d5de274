"""Find each student's hand-ins under a submissions folder.

Layout: every folder directly under ``SUBMISSIONS_DIR`` is one student (its name is the student id).
The assignment files (``gradient_descent.py``, ``backprop.py``, ``practice.py``, ``mlp_lab.ipynb``) are
found by name anywhere inside it, since LMS downloads nest them (``erin/Attempt 1/hw2/backprop.py``).
Other ``.py`` files beside a found file are sent along, because a student's modules import each other; so is
another homework's file kept elsewhere in the folder (the course layout gives each homework a folder of its own,
and ``practice.py`` may import the student's ``backprop.py``), unless one of that name is beside it.

One rule for reading a student's folder (``grader.pipeline.safe_read``): folders are listed without following links,
so a linked student folder or sub-folder is never entered, and only regular files with one name on disk
are read, never through a link, each under its cap. The grader never sends part of a hand-in, so:

- a file it would send (the hand-in, another copy of it, a helper ``.py`` beside it) that is a link, a hard
  link, a pipe or a device, over its cap, or not UTF-8 makes the assignment an error saying which and why;
- anything else (data, notes, a ``.py`` whose name cannot be imported or would shadow a library) is never read;
- a student folder that is a link gets error rows under its name.

The submission time is never read from a student's folder: a ``submission.txt`` there or the files'
modification times are the student's to write. It comes from ``times``, the instructor's CSV
(``grader.pipeline.submission_times``), and is None (unknown) without one. It is not part of the content hash, so a
corrected time needs no regrade.

The content hash covers only the files the graded session loads (``grader.pipeline.loads``: the hand-in and
what it imports, or every file sent when it could load one by a computed name), so fixing ``backprop.py``
does not regrade a ``gradient_descent.py`` that never imports it. ``Submission.loaded`` keeps each loaded
file's digest, for the run to say which file changed.

Anything that cannot be graded (two candidates for one file, a refused file, no file at all) becomes a
``Submission`` with ``error`` set, which the engine turns into error rows for that assignment only.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grader.course.assignments import ASSIGNMENTS, SUBMISSION_FILES, Assignment
from grader.pipeline.loads import Readings, loaded_files
from grader.pipeline.safe_read import Refused, read_file, size_text
from grader.pipeline.submission_times import SubmissionTimes

JUNK_DIRS = frozenset({"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".git", "node_modules", ".venv", "venv"})
# A hand-in is a few hundred lines (the reference solutions are 5-7 kB): 256 kB is ten times the longest
# honest one, and bounds what the grader hashes, ships and parses with ``ast`` in its own process.
MAX_SOURCE_BYTES = 256_000
# Notebooks carry their plots; they are parsed inside the sandbox, never here.
MAX_NOTEBOOK_BYTES = 20_000_000
MAX_HELPERS_TOTAL = 1_000_000  # and at most MAX_HELPERS files: each is shipped into the sandbox
MAX_HELPERS = 100
_CAPS = {
    ".py": (MAX_SOURCE_BYTES, "Python source", "hand in your code only, without data or generated text"),
    ".ipynb": (MAX_NOTEBOOK_BYTES, "notebook", "clear its outputs (Edit > Clear All Outputs) and hand it in again"),
}
# A helper with one of these names would shadow a library in the worker: never send it.
RESERVED_MODULES = frozenset(sys.stdlib_module_names) | {
    "numpy", "torch", "grader", "reference", "pytest", "conftest", "matplotlib", "pandas", "tests", "nbformat",
}  # fmt: skip


NOT_SUBMITTED = "not submitted"


@dataclass(frozen=True)
class Submission:
    """One student's hand-in for one assignment: the files the sandbox receives, by name."""

    student: str
    assignment: str
    files: dict[str, bytes] = field(repr=False)
    content_hash: str
    submitted_at: str | None  # ISO 8601, UTC, from the instructor's side; None when unknown
    error: str = ""  # why it cannot be graded; "" when it can
    source: str = ""  # the main file, relative to the submissions folder (for messages)
    loaded: dict[str, str] = field(default_factory=dict, repr=False)  # file -> digest, what the hash covers
    loads_all: str = ""  # why every file sent counts as loaded; "" when they were followed by their imports

    @property
    def missing(self) -> bool:
        """Nothing was handed in for this assignment (as opposed to a hand-in that cannot be graded)."""
        return self.error.startswith(NOT_SUBMITTED)

    @property
    def source_name(self) -> str:
        """The file name graded (``backprop.py``)."""
        return ASSIGNMENTS[self.assignment].filename


def discover(
    submissions_dir: Path, only: Iterable[str] | None = None, times: SubmissionTimes | None = None,
    readings: Readings | None = None,
) -> list[Submission]:
    """Every student's hand-in for every assignment in ``only`` (default: all), sorted by student, assignment.

    A student folder without a given file yields an error ``Submission`` for it ("not submitted").
    ``times`` gives the submission times (default: all unknown); ``readings`` keeps what each file imports
    (``grader.pipeline.loads``) across calls (default: across this call's hand-ins, e.g. a ``backprop.py`` read
    once for hw2 and the hw3 that imports it).
    """
    root = Path(submissions_dir)
    readings = {} if readings is None else readings
    keys = [a for a in ASSIGNMENTS if only is None or a in set(only)]
    found: list[Submission] = []
    for student_dir, linked in _student_entries(root):
        if linked:
            error = (
                f"{student_dir.name} is a symbolic link, which the grader does not follow: "
                f"put the hand-in itself in a folder {student_dir.name}/"
            )
            student = student_id(student_dir)
            found += [Submission(student, key, {}, content_hash({}, error), None, error) for key in keys]
            continue
        candidates = _candidates(student_dir)
        for key in keys:
            assignment = ASSIGNMENTS[key]
            found.append(_submission(root, student_dir, assignment, candidates, times, readings))
    return found


def student_dirs(root: Path) -> list[Path]:
    """The student folders directly under ``root``, sorted by name: real folders only, junk and hidden left out."""
    return [path for path, linked in _student_entries(root) if not linked]


def collect_files(main: Path, folder: Path | None = None, *, trusted: Path | None = None) -> dict[str, bytes]:
    """The main file and the ``.py`` modules beside it, by file name, each read by the rule of this module.

    ``folder`` is the student's folder (messages name files relative to it; default: ``main``'s folder);
    links are not followed below ``trusted`` (default: ``folder``). Raises ``Refused`` (a ``ValueError``)
    with a student-readable reason when something that would be sent cannot be.
    """
    folder = Path(folder) if folder is not None else main.parent
    trusted = Path(trusted) if trusted is not None else folder
    files = {main.name: _read_text(main, folder, trusted)}
    helpers = _helpers(main)
    if len(helpers) > MAX_HELPERS:
        raise Refused(
            f"{main.name} has {len(helpers)} Python files beside it,",
            f"over the limit of {MAX_HELPERS}",
            "hand in only the modules your code imports",
        )
    total = 0
    for helper in helpers:
        files[helper.name] = _read_text(helper, folder, trusted)
        total += len(files[helper.name])
        if total > MAX_HELPERS_TOTAL:
            raise Refused(
                f"the Python files beside {main.name}",
                f"add up to more than the {size_text(MAX_HELPERS_TOTAL)} limit for them all "
                f"(with {_shown(helper, folder)})",
                "hand in only the modules your code imports",
            )
    return files


def add_course_modules(
    files: dict[str, bytes], found: dict[str, list[Path]], folder: Path, trusted: Path
) -> dict[str, bytes]:
    """``files`` and every other homework's module (``backprop.py``...) that is not among them but that the
    student keeps in ``found`` (file name -> where), read by the rule of this module. One that cannot be read
    or comes in different copies is left out: its own homework's rows say why, and an import of it says where
    it must be (``grader.pipeline.engine``)."""
    files = dict(files)
    for name in SUBMISSION_FILES:
        if not name.endswith(".py") or name in files or not found.get(name):
            continue
        try:
            copies = {_read_text(path, folder, trusted) for path in found[name]}
        except Refused:
            continue
        if len(copies) == 1:
            files[name] = copies.pop()
    return files


def content_hash(files: dict[str, bytes], extra: str = "") -> str:
    """SHA-256 over the files sent (names and bytes, in name order) and ``extra``."""
    digest = hashlib.sha256(extra.encode())
    for name in sorted(files):
        digest.update(f"\0{name}\0{len(files[name])}\0".encode())
        digest.update(files[name])
    return digest.hexdigest()


def own_submission(key: str, path: Path, folder: Path | None = None) -> Submission:
    """One student's own hand-in ``path`` (``grader check``, ``grader ci``), read by the rule for a student's
    folder (``folder``, default: the file's own): regular files only, never through a link below ``folder``,
    each under its cap; with it, the student's other homework modules the course layout keeps in folders of
    their own (``practice.py`` may import ``backprop.py``)."""
    try:
        files = collect_files(path, folder)
        root = path.parent.parent
        if path.parent.name == ASSIGNMENTS[key].folder:  # the course layout: assignments/<folder>/<file>
            kept = (root / a.folder / a.filename for a in ASSIGNMENTS.values())
            elsewhere = {p.name: [p] for p in kept if p.exists() or p.is_symlink()}
            files = add_course_modules(files, elsewhere, root, root)
        error = ""
    except ValueError as exc:  # Refused: says what to fix
        files, error = {}, str(exc)
    return Submission("you", key, files, content_hash(files), None, error, str(path))


def _submission(
    root: Path, student_dir: Path, assignment: Assignment, candidates: dict[str, list[Path]],
    times: SubmissionTimes | None, readings: Readings | None,
) -> Submission:
    student, key = student_id(student_dir), assignment.key
    paths = candidates.get(assignment.filename, [])
    if not paths:
        error = _not_submitted(student_dir, assignment.filename)
        return Submission(student, key, {}, content_hash({}, error), None, error)
    submitted_at = times.get(student, key) if times else None
    main, source = paths[0], str(paths[0].relative_to(root))
    try:
        if len(paths) > 1:
            _refuse_different_copies(paths, student_dir, root)
        files = collect_files(main, student_dir, trusted=root)
        files = add_course_modules(files, candidates, student_dir, root)
    except Refused as exc:
        return Submission(student, key, {}, content_hash({}, str(exc)), submitted_at, str(exc), source)
    loaded = loaded_files(files, main.name, readings)
    hashed = {name: files[name] for name in loaded.digests}
    return Submission(student, key, files, content_hash(hashed), submitted_at, "", source, loaded.digests,
                      loaded.why_all)


def _refuse_different_copies(paths: list[Path], student_dir: Path, root: Path) -> None:
    """Two copies of the hand-in are fine when identical; the grader does not guess between different ones."""
    digests = {hashlib.sha256(_read_text(path, student_dir, root)).digest() for path in paths}
    if len(digests) > 1:
        listing = ", ".join(_shown(p, student_dir) for p in paths)
        raise Refused(f"{len(paths)} different copies of {paths[0].name}", f"({listing})", "keep only the one to grade")


def _read_text(path: Path, folder: Path, trusted: Path) -> bytes:
    limit, kind, advice = _CAPS.get(path.suffix, _CAPS[".py"])
    shown = _shown(path, folder)
    data = read_file(path, root=trusted, limit=limit, kind=kind, shown=shown, too_big=advice)
    if not _is_text(data):
        raise Refused(shown, "is not a UTF-8 text file (binary or corrupted?)", "save it as UTF-8 text")
    return data


def _helpers(main: Path) -> list[Path]:
    """The ``.py`` entries beside ``main`` that the worker could import (any type: reading judges it)."""
    try:
        with os.scandir(main.parent) as entries:
            names = [e.name for e in entries if not e.is_dir(follow_symlinks=False) and e.name.endswith(".py")]
    except OSError:
        return []
    stems = {name: name[:-3] for name in names if name != main.name}
    return [main.parent / n for n in sorted(stems) if stems[n].isidentifier() and stems[n] not in RESERVED_MODULES]


def _student_entries(root: Path) -> list[tuple[Path, bool]]:
    """(path, is a link) for each student folder under ``root``, sorted; a link counts when it names a folder."""
    found = []
    with os.scandir(root) as entries:
        for entry in entries:
            if _is_junk(entry.name):
                continue
            if entry.is_dir(follow_symlinks=False):
                found.append((Path(entry.path), False))
            elif entry.is_symlink() and entry.is_dir():  # a stat of the target only, to report it by name
                found.append((Path(entry.path), True))
    return sorted(found)


def _candidates(student_dir: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in sorted(_walk(student_dir)):
        if path.name in SUBMISSION_FILES:
            found.setdefault(path.name, []).append(path)
    return found


def _walk(directory: Path) -> Iterable[Path]:
    """Every entry below ``directory`` that is not a folder (links included, so that they can be refused
    by name); a linked folder is listed, never entered."""
    try:
        with os.scandir(directory) as scan:
            entries = list(scan)
    except OSError:
        return
    for entry in entries:
        if _is_junk(entry.name):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        else:
            yield Path(entry.path)


def student_id(student_dir: Path) -> str:
    """The student's id: the folder's name, with bytes that are not UTF-8 written as ``\\xff`` escapes (a
    name from an archive can hold any bytes; the gradebook and every report need text)."""
    name = student_dir.name
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _not_submitted(student_dir: Path, filename: str) -> str:
    error = f"{NOT_SUBMITTED}: no {filename} in {student_dir.name}/"
    entries = sorted(_walk(student_dir))
    stem, suffix = filename.rsplit(".", 1)
    for path in entries:
        name = path.name.lower()
        if name.startswith(stem.lower()) and name.endswith("." + suffix) and path.name != filename:
            return f"{error} (found {_shown(path, student_dir)}: rename it to {filename})"
    links = [path for path in entries if path.is_symlink()]
    if links:
        return (
            f"{error} ({_shown(links[0], student_dir)} is a symbolic link, which the grader does not follow: "
            "hand in regular files and folders only)"
        )
    return error


def _shown(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


def _is_junk(name: str) -> bool:
    return name in JUNK_DIRS or name.startswith(".")


def _is_text(data: bytes) -> bool:
    if b"\0" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
