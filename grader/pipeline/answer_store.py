"""Slow reference answers on disk: computed once for all of a run's judges, and for the runs after it.

Each judge process remembers reference answers in memory (``grader.pipeline.resources.CachedReferences``). The slow
ones, such as the lab's training of a student's initial weights (about 0.2 s), are also written here, one file each,
so that the other judges and later runs read them instead.

A file's name is a hash of everything the answer follows from: the assignment, the function and its arguments
(``args_key``), the reference code and every grader or reference module it imports (``module_digest``), and the
versions of numpy and torch. Only the grader writes here (in ``OUT/.grader-cache/answers``), each file atomically;
files are read without pickle, and one that does not read is computed again. Beyond ``MAX_FILES`` the oldest go.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

MAX_FILES = 2000
ENTRY = "answer"


def _version(distribution: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


class AnswerStore:
    """``get`` / ``put`` of single reference answers in ``directory`` (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._code: dict[str, str] = {}  # assignment -> digest of its reference code
        self._versions = [_version("numpy"), _version("torch")]

    def _path(self, assignment: str, function: str, key: str) -> Path:
        if assignment not in self._code:
            from grader.checks.fingerprint import module_digest
            from grader.course.assignments import ASSIGNMENTS

            module = ASSIGNMENTS[assignment].answers_module if assignment in ASSIGNMENTS else assignment
            self._code[assignment] = module_digest([module])
        material = json.dumps([assignment, function, key, self._code[assignment], self._versions])
        return self.directory / f"{hashlib.sha256(material.encode()).hexdigest()[:32]}.npz"

    def get(self, assignment: str, function: str, key: str) -> tuple[bool, Any]:
        """``(True, answer)`` if this answer was stored, else ``(False, None)`` (a damaged file counts as none)."""
        from grader.checks.references import answer_from, read_answers

        path = self._path(assignment, function, key)
        try:
            index, arrays = read_answers(path)
            return True, answer_from(index, arrays, ENTRY)
        except Exception:  # noqa: BLE001 - none, or damaged or foreign (numpy's and zipfile's errors vary)
            return False, None

    def put(self, assignment: str, function: str, key: str, answer: Any) -> None:
        """Store ``answer`` (plain data) under its name; never raises on a file system that refuses."""
        from grader.checks.references import write_answers

        path = self._path(assignment, function, key)
        written = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.directory, prefix=".", suffix=".tmp", delete=False) as file:
                written = Path(file.name)
                write_answers(file, {ENTRY: answer}, compress=False)
            os.replace(written, path)
        except OSError:
            if written is not None:
                written.unlink(missing_ok=True)
            return
        self._prune()

    def _prune(self) -> None:
        try:
            files = [(p.stat().st_mtime_ns, p) for p in self.directory.glob("*.npz")]
        except OSError:
            return
        for _, old in sorted(files)[: max(0, len(files) - MAX_FILES)]:
            old.unlink(missing_ok=True)
