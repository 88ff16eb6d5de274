"""Find each student's hand-ins under a submissions folder.

Layout: every folder directly under ``SUBMISSIONS_DIR`` is one student (its name is the student id).
The assignment files (``gradient_descent.py``, ``backprop.py``, ``practice.py``, ``mlp_lab.ipynb``) are
found by name anywhere inside it, since LMS downloads nest them (``erin/Attempt 1/hw2/backprop.py``).
Other ``.py`` files beside a found file are sent along, because a student's modules import each other.

Submission time: a ``submission.txt`` beside the file (or at the top of the student's folder) holding a
line ``submitted_at: 2026-11-20T23:59:00Z`` (ISO 8601; no zone means UTC). Without one, the newest
modification time of the files sent is used.

Anything that cannot be graded (two candidates for one file, binary junk, no file at all) becomes a
``Submission`` with ``error`` set, which the engine turns into error rows for that assignment only.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from grader.assignments import ASSIGNMENTS, SUBMISSION_FILES, Assignment

JUNK_DIRS = frozenset({"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".git", "node_modules", ".venv", "venv"})
METADATA_FILE = "submission.txt"
MAX_MAIN_BYTES = 20_000_000  # a notebook with plots can be large; beyond this it is not homework
MAX_HELPER_BYTES = 256_000  # per helper module
MAX_HELPERS_TOTAL = 1_000_000
_SUBMITTED_AT = re.compile(r"^\s*submitted_at\s*[:=]\s*(.+?)\s*$", re.MULTILINE | re.IGNORECASE)
# A helper with one of these names would shadow a library in the worker: never send it.
RESERVED_MODULES = frozenset(sys.stdlib_module_names) | {
    "numpy", "torch", "grader", "reference", "pytest", "conftest", "matplotlib", "pandas", "tests", "nbformat",
}  # fmt: skip


@dataclass(frozen=True)
class Submission:
    """One student's hand-in for one assignment: the files the sandbox receives, by name."""

    student: str
    assignment: str
    files: dict[str, bytes] = field(repr=False)
    content_hash: str
    submitted_at: str | None  # ISO 8601, UTC; None when nothing could be read
    error: str = ""  # why it cannot be graded; "" when it can
    source: str = ""  # the main file, relative to the submissions folder (for messages)

    @property
    def source_name(self) -> str:
        """The file name graded (``backprop.py``)."""
        return ASSIGNMENTS[self.assignment].filename


def discover(submissions_dir: Path, only: Iterable[str] | None = None) -> list[Submission]:
    """Every student's hand-in for every assignment in ``only`` (default: all), sorted by student, assignment.

    A student folder without a given file yields an error ``Submission`` for it ("not submitted").
    """
    root = Path(submissions_dir)
    keys = [a for a in ASSIGNMENTS if only is None or a in set(only)]
    found: list[Submission] = []
    for student_dir in student_dirs(root):
        candidates = _candidates(student_dir)
        for key in keys:
            assignment = ASSIGNMENTS[key]
            found.append(_submission(root, student_dir, assignment, candidates.get(assignment.filename, [])))
    return found


def student_dirs(root: Path) -> list[Path]:
    """The student folders directly under ``root``, sorted by name, junk and hidden folders left out."""
    return sorted(p for p in root.iterdir() if p.is_dir() and not _is_junk(p.name))


def collect_files(main: Path) -> dict[str, bytes]:
    """The main file and the ``.py`` modules beside it (within the size caps), by file name.

    Raises ``ValueError`` with a student-readable reason when the main file cannot be graded.
    """
    try:
        data = main.read_bytes()
    except OSError as exc:
        raise ValueError(f"{main.name} could not be read ({exc.strerror or exc})") from None
    if len(data) > MAX_MAIN_BYTES:
        raise ValueError(f"{main.name} is {len(data) / 1e6:.0f} MB, over the {MAX_MAIN_BYTES / 1e6:.0f} MB limit")
    if not _is_text(data):
        raise ValueError(f"{main.name} is not a UTF-8 text file (binary or corrupted?)")
    files = {main.name: data}
    total = 0
    for helper in sorted(main.parent.glob("*.py")):
        if helper.name == main.name or not helper.stem.isidentifier() or helper.stem in RESERVED_MODULES:
            continue
        body = _read(helper)
        if body is None or len(body) > MAX_HELPER_BYTES or total + len(body) > MAX_HELPERS_TOTAL or not _is_text(body):
            continue
        files[helper.name] = body
        total += len(body)
    return files


def content_hash(files: dict[str, bytes], extra: str = "") -> str:
    """SHA-256 over the files sent (names and bytes, in name order) and ``extra``."""
    digest = hashlib.sha256(extra.encode())
    for name in sorted(files):
        digest.update(f"\0{name}\0{len(files[name])}\0".encode())
        digest.update(files[name])
    return digest.hexdigest()


def read_submitted_at(folder: Path, stop: Path) -> str | None:
    """The ``submitted_at`` of the nearest ``submission.txt`` from ``folder`` up to ``stop``, as UTC ISO."""
    directory = folder
    while True:
        meta = directory / METADATA_FILE
        if meta.is_file():
            match = _SUBMITTED_AT.search((_read(meta) or b"").decode(errors="replace"))
            return _parse_time(match.group(1).strip()) if match else None
        if directory == stop or directory == directory.parent:
            return None
        directory = directory.parent


def _submission(root: Path, student_dir: Path, assignment: Assignment, paths: list[Path]) -> Submission:
    student, key = student_dir.name, assignment.key
    if not paths:
        hint = _near_miss(student_dir, assignment.filename)
        error = f"not submitted: no {assignment.filename} in {student_dir.name}/" + (
            f" (found {hint}: rename it to {assignment.filename})" if hint else ""
        )
        return Submission(student, key, {}, content_hash({}, error), None, error)
    if len(paths) > 1 and len({_read(p) for p in paths}) > 1:
        listing = ", ".join(str(p.relative_to(student_dir)) for p in paths)
        error = f"{len(paths)} different copies of {assignment.filename} ({listing}): keep only the one to grade"
        return Submission(student, key, {}, content_hash({}, error + listing), None, error)
    main = paths[0]
    source = str(main.relative_to(root))
    try:
        files = collect_files(main)
    except ValueError as exc:
        return Submission(student, key, {}, content_hash({}, str(exc)), None, str(exc), source)
    declared = read_submitted_at(main.parent, student_dir)
    submitted_at = declared or _newest_mtime([main.parent / name for name in files])
    return Submission(student, key, files, content_hash(files, declared or ""), submitted_at, "", source)


def _candidates(student_dir: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in sorted(_walk(student_dir)):
        if path.name in SUBMISSION_FILES:
            found.setdefault(path.name, []).append(path)
    return found


def _walk(directory: Path) -> Iterable[Path]:
    try:
        entries = list(directory.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink() or _is_junk(entry.name):
            continue  # a link could point at another student's work
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.is_file():
            yield entry


def _near_miss(student_dir: Path, filename: str) -> str:
    stem, suffix = filename.rsplit(".", 1)
    for path in sorted(_walk(student_dir)):
        name = path.name.lower()
        if name.startswith(stem.lower()) and name.endswith("." + suffix) and path.name != filename:
            return str(path.relative_to(student_dir))
    return ""


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


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


def _parse_time(text: str) -> str | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def _newest_mtime(paths: list[Path]) -> str:
    newest = max((p.stat().st_mtime for p in paths if p.exists()), default=0.0)
    return datetime.fromtimestamp(newest, tz=timezone.utc).isoformat()
