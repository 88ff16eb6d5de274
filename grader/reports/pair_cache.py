"""The similarity report's pair counts kept between builds: ``OUT/.grader-cache/similarity-<assignment>.npz``.

Counting how much of each hand-in another one shares (``similarity.shared_matrix``) is the slow part of the
report, and from one build to the next nearly every pair is the same two texts. The counts are stored with
the content digest of each hand-in (its text and token stream) and a basis (k, the window, the stub's k-grams),
so a pair is counted again only when one of its two texts, or the basis, changed.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class PairCache:
    """Pair counts by the two hand-ins' digests, per assignment, in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self._folder = Path(folder)

    def known(self, assignment: str, basis: str, keys: list[str]) -> np.ndarray:
        """An n × n matrix (n = len(keys)) of the stored counts, -1 where a pair is not stored."""
        found = np.full((len(keys), len(keys)), -1, dtype=np.int64)
        stored = self._load(assignment)
        if stored is None or str(stored["basis"]) != basis:
            return found
        index = {str(key): n for n, key in enumerate(stored["keys"])}
        old = np.array([index.get(key, -1) for key in keys], dtype=np.int64)
        here = np.flatnonzero(old >= 0)
        found[np.ix_(here, here)] = stored["shared"][np.ix_(old[here], old[here])]
        return found

    def store(self, assignment: str, basis: str, keys: list[str], shared: np.ndarray) -> None:
        """Keep ``shared`` (every pair of ``keys`` counted) for the next build."""
        path = self._folder / f"similarity-{assignment}.npz"
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            partial = self._folder / f".similarity-{assignment}.{os.getpid()}.npz"
            np.savez(partial, basis=np.array(basis), keys=np.array(keys), shared=shared)
            partial.replace(path)
        except OSError:
            pass  # counted again next time: slower, never different

    def _load(self, assignment: str) -> dict | None:
        try:
            with np.load(self._folder / f"similarity-{assignment}.npz", allow_pickle=False) as data:
                return {name: data[name] for name in ("basis", "keys", "shared")}
        except (OSError, ValueError, KeyError):
            return None
