"""Parts of the reports kept between builds (``OUT/.grader-cache/parts.json``), each under a key: a digest of
exactly the data the part is drawn from and of the grader's code, so a part is reused only when it would
come out the same. ``key`` makes such digests; a part whose data changed is computed again and replaces
the kept one. A file that cannot be read or written only makes the next build slower.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from grader.pipeline.suite_cache import CACHE_DIR, load_json_dict, store_json

FILENAME = "parts.json"


class PartCache:
    """Named parts (text) by key, read once from ``out_dir``'s cache and written back by ``save``."""

    def __init__(self, out_dir: Path) -> None:
        self._path = Path(out_dir) / CACHE_DIR / FILENAME
        self._parts: dict[str, list] = load_json_dict(self._path)
        self._changed = False

    def get(self, name: str, key: str, make: Callable[[], str]) -> str:
        """The part ``name`` as kept under ``key``, or ``make()`` (kept for the next build)."""
        kept = self._parts.get(name)
        if isinstance(kept, list) and len(kept) == 2 and kept[0] == key and isinstance(kept[1], str):
            return kept[1]
        value = make()
        self._parts[name] = [key, value]
        self._changed = True
        return value

    def save(self) -> None:
        if self._changed and store_json(self._path, self._parts):
            self._changed = False


def key(*parts: object) -> str:
    """A digest of ``parts`` (arrays by their dtype, shape and bytes; anything else by its repr) and of the
    grader's code."""
    found = hashlib.sha256(code_stamp().encode())
    for part in parts:
        found.update(b"\0")
        if isinstance(part, np.ndarray):
            found.update(f"{part.dtype}{part.shape}".encode() + np.ascontiguousarray(part).tobytes())
        else:
            found.update(repr(part).encode())
    return found.hexdigest()


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """The grader's code and the versions of the libraries drawing the reports."""
    from importlib.metadata import version

    from grader.pipeline.suite_cache import GRADER_DIR
    from grader.pipeline.suite_cache import code_stamp as stamp

    libraries = " ".join(f"{name}={version(name)}" for name in ("copydetect", "matplotlib", "numpy", "pandas"))
    return hashlib.sha256(f"{stamp([GRADER_DIR])} {libraries}".encode()).hexdigest()
