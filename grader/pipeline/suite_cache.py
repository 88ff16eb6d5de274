"""The suites' hashes and the secret's fingerprint, recalled when nothing they are computed from has changed.

``suite_hash`` loads every check record and digests the code it runs through, and the secret's fingerprint is a
deliberately slow hash: together most of a run that has nothing to grade. Both are functions of the grader's
files (its package, ``reference/`` and the hidden suites' folder), the course config and the secret, so
they are kept in ``OUT/.grader-cache/suites.json`` under a key made of those: each file's path, size,
modification and change times (``code_stamp``), the config without the secret, and a hash of the secret.
Any edit, even one that restores a file's modification time (its change time moves), makes a new key.
A run that grades anything measures the hashes of the suites it grades with again (``hash(measure=True)``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import grader
from grader.course.assignments import REPO_ROOT
from grader.pipeline.config import CourseConfig

if TYPE_CHECKING:
    from grader.checks.base import Check

CACHE_DIR = ".grader-cache"
GRADER_DIR = Path(grader.__file__).resolve().parent


class SuiteCache:
    """``hash(key)`` and ``secret_fingerprint()`` for one run, from ``out``'s cache when it matches; ``load``
    loads an assignment's checks (with the config's overrides) when they must be measured or graded."""

    def __init__(self, out: Path, config: CourseConfig, include_hidden: bool,
                 load: Callable[[str], list[Check]]) -> None:
        self._path = Path(out) / CACHE_DIR / "suites.json"
        self._config, self._load = config, load
        self._key = _key(config, include_hidden)
        stored = load_json_dict(self._path)
        stored = stored if isinstance(stored.get("hashes"), dict) else {}
        self._stored: dict = stored if stored.get("key") == self._key else {"key": self._key, "hashes": {}}
        self._checks: dict[str, list[Check]] = {}
        self.cached = False  # whether a hash was recalled rather than measured

    def checks(self, key: str) -> list[Check]:
        if key not in self._checks:
            self._checks[key] = self._load(key)
        return self._checks[key]

    def hash(self, key: str, measure: bool = False) -> str:
        """The suite hash of assignment ``key`` (``grader.pipeline.fingerprints.suite_hash``)."""
        if not measure and key in self._stored["hashes"]:
            self.cached = True
            return str(self._stored["hashes"][key])
        from grader.pipeline.fingerprints import suite_hash

        value = suite_hash(self.checks(key), self._config)
        self._remember("hashes", {**self._stored["hashes"], key: value})
        return value

    def secret_fingerprint(self) -> str:
        """``grader.pipeline.fingerprints.secret_fingerprint`` of the config's secret."""
        if "secret" not in self._stored:
            from grader.pipeline.fingerprints import secret_fingerprint

            self._remember("secret", secret_fingerprint(self._config.secret))
        return str(self._stored["secret"])

    def _remember(self, field: str, value: object) -> None:
        self._stored = {**self._stored, field: value}
        store_json(self._path, self._stored, sort_keys=True)


def store_file(path: Path, write: Callable[[Path], object]) -> bool:
    """Make the cache file ``path`` (its folder made as needed) atomically: ``write`` writes it under a name of
    this process's, which then replaces ``path``, so a concurrent run reads the old file or the new one. False
    when it cannot be written: a cache that is not kept costs the next run time, never a grade or a report's
    content."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        write(partial)
        partial.replace(path)
    except OSError:
        return False
    return True


def store_json(path: Path, value: object, *, sort_keys: bool = False) -> bool:
    """Write ``value`` as JSON to the cache file ``path`` (``store_file``)."""
    text = json.dumps(value, sort_keys=sort_keys)
    return store_file(path, lambda partial: partial.write_text(text, encoding="utf-8"))


def load_json_dict(path: Path) -> dict:
    """The JSON object kept in the cache file ``path``; {} when there is none, or it cannot be read or is not
    an object (the work it saved is then done again)."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def code_stamp(roots: list[Path]) -> str:
    """A digest of every file under ``roots`` (``__pycache__`` aside): path, size, modification and change
    times, read from the directory entries without opening a file."""
    digest = hashlib.sha256()
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                info = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\n".encode())
    return digest.hexdigest()


def _key(config: CourseConfig, include_hidden: bool) -> str:
    from grader.suites import hidden_dir

    hidden = hidden_dir() if include_hidden else None
    roots = [GRADER_DIR, REPO_ROOT / "reference", *([hidden] if hidden is not None else [])]
    material = [
        grader.__version__, sys.version, include_hidden, str(hidden), code_stamp([r for r in roots if r.is_dir()]),
        repr(replace(config, secret="")), hashlib.sha256(config.secret.encode()).hexdigest(),
    ]  # fmt: skip
    return hashlib.sha256(json.dumps(material).encode()).hexdigest()

