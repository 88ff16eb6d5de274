"""Files' ``Reading``s (``grader.pipeline.loads``) kept between runs in ``OUT/.grader-cache/loads.json``.

Reading a source with ``ast`` costs ~20 ms; a class of 300 sends over a thousand files, nearly all unchanged
from one run to the next. A reading depends on the file's bytes alone, so it is kept under their SHA-256;
each save keeps only the readings this run used, so the file never outgrows the class.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.pipeline.loads import Reading
from grader.pipeline.suite_cache import store_json


class ReadingCache(dict[str, Reading]):
    """The readings used in this run, found in the stored ones when they were read before."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        self._stored = _read(path)

    def get(self, key: str, default: Reading | None = None) -> Reading | None:  # type: ignore[override]
        if key not in self and key in self._stored:
            self[key] = self._stored[key]
        return super().get(key, default)

    def save(self) -> None:
        """Store the readings used in this run (nothing is written when they are the ones stored)."""
        if dict(self) == self._stored:
            return
        data = {key: [r.why, list(r.imports), sorted(r.words)] for key, r in sorted(self.items())}
        store_json(self._path, data)  # if it cannot be kept, files are read again next run: slower, never wrong


def _read(path: Path) -> dict[str, Reading]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(key): Reading(str(why), tuple(map(str, imports)), frozenset(map(str, words)))
                for key, (why, imports, words) in data.items()}  # fmt: skip
    except (OSError, ValueError, TypeError, AttributeError):
        return {}
