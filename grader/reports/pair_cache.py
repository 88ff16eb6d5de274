"""The similarity report's work kept between builds, in ``OUT/.grader-cache/``, per assignment.

From one build to the next nearly every hand-in, and so every pair, is the same text. Kept, each under a
``basis`` (k, the window, the stub's k-grams; for the last two also the grader's code and copydetect's
version) that must match for anything to be used:

- ``similarity-<a>.npz``: how much of each hand-in another one shares (``similarity.shared_matrix``), by the
  two hand-ins' content digests (their text and token stream): a pair is counted again only when one of its
  two texts, or the basis, changed;
- ``kgrams-<a>.npz``: each hand-in's winnowed k-grams (``similarity.kgrams``), by its content digest;
- ``matches-<a>.json``: copydetect's comparison of each listed pair (score, shared spans, functions), by the
  two digests.

A file that cannot be read is as good as none: the work is done again, slower, never different.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from grader.pipeline.suite_cache import load_json_dict, store_file, store_json

if TYPE_CHECKING:
    from grader.reports.similarity import Kgrams, Match


class PairCache:
    """Pair counts, k-grams and matches by the hand-ins' digests, per assignment, in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self._folder = Path(folder)

    def known(self, assignment: str, basis: str, keys: list[str]) -> np.ndarray:
        """An n × n matrix (n = len(keys)) of the stored counts, -1 where a pair is not stored."""
        found = np.full((len(keys), len(keys)), -1, dtype=np.int64)
        stored = self._load(f"similarity-{assignment}.npz", ("basis", "keys", "shared"))
        if stored is None or str(stored["basis"]) != basis:
            return found
        index = {str(key): n for n, key in enumerate(stored["keys"])}
        old = np.array([index.get(key, -1) for key in keys], dtype=np.int64)
        here = np.flatnonzero(old >= 0)
        found[np.ix_(here, here)] = stored["shared"][np.ix_(old[here], old[here])]
        return found

    def store(self, assignment: str, basis: str, keys: list[str], shared: np.ndarray) -> None:
        """Keep ``shared`` (every pair of ``keys`` counted) for the next build."""
        self._save(f"similarity-{assignment}.npz", basis=np.array(basis), keys=np.array(keys), shared=shared)

    def kgrams(self, assignment: str, basis: str, keys: list[str]) -> list[Kgrams | None]:
        """The stored k-grams of each of ``keys``, None where not stored."""
        from grader.reports.similarity import Kgrams

        found: list[Kgrams | None] = [None] * len(keys)
        names = ("basis", "keys", "lengths", "coverage", "sizes", "hashes", "positions")
        stored = self._load(f"kgrams-{assignment}.npz", names)
        if stored is None or str(stored["basis"]) != basis:
            return found
        ends = np.cumsum(stored["sizes"])
        starts = ends - stored["sizes"]
        index = {str(key): n for n, key in enumerate(stored["keys"])}
        for m, key in enumerate(keys):
            n = index.get(key)
            if n is not None:
                part = slice(int(starts[n]), int(ends[n]))
                found[m] = Kgrams(stored["hashes"][part], stored["positions"][part], int(stored["lengths"][n]),
                                  float(stored["coverage"][n]))  # fmt: skip
        return found

    def coverage(self, assignment: str, basis: str, keys: list[str]) -> np.ndarray | None:
        """The stored ``coverage`` of each of ``keys`` (what a score is divided by), None unless all are stored."""
        stored = self._load(f"kgrams-{assignment}.npz", ("basis", "keys", "coverage"))
        if stored is None or str(stored["basis"]) != basis:
            return None
        index = {str(key): n for n, key in enumerate(stored["keys"])}
        if not all(key in index for key in keys):
            return None
        return stored["coverage"][[index[key] for key in keys]].astype(np.float64)

    def store_kgrams(self, assignment: str, basis: str, keys: list[str], grams: list[Kgrams]) -> None:
        """Keep the k-grams of ``keys`` (and only those) for the next build."""
        self._save(
            f"kgrams-{assignment}.npz", basis=np.array(basis), keys=np.array(keys, dtype=str),
            lengths=np.array([g.length for g in grams], dtype=np.int64),
            coverage=np.array([g.coverage for g in grams], dtype=np.float64),
            sizes=np.array([len(g.hashes) for g in grams], dtype=np.int64),
            hashes=np.concatenate([g.hashes for g in grams] or [np.zeros(0, np.int64)]).astype(np.int64),
            positions=np.concatenate([g.positions for g in grams] or [np.zeros(0, np.int64)]).astype(np.int64),
        )  # fmt: skip

    def matches(self, assignment: str, basis: str) -> dict[tuple[str, str], tuple[Match, str]]:
        """The stored (match, functions) of pairs, by the two hand-ins' digests."""
        stored = load_json_dict(self._folder / f"matches-{assignment}.json")
        if stored.get("basis") != basis:
            return {}
        try:
            return {(a, b): (_match(m), str(functions)) for a, b, m, functions in stored["pairs"]}
        except (ValueError, KeyError, TypeError):
            return {}

    def store_matches(self, assignment: str, basis: str, pairs: dict[tuple[str, str], tuple[Match, str]]) -> None:
        """Keep ``pairs`` (and only those) for the next build."""
        rows = [[a, b, _plain(m), functions] for (a, b), (m, functions) in pairs.items()]
        store_json(self._folder / f"matches-{assignment}.json", {"basis": basis, "pairs": rows})

    def _save(self, name: str, **arrays: np.ndarray) -> None:
        def write(partial: Path) -> None:
            with partial.open("wb") as file:  # a file, so that savez adds no ".npz" to the name
                np.savez(file, **arrays)  # type: ignore[arg-type]

        store_file(self._folder / name, write)  # if not kept: done again next time, slower, never different

    def _load(self, name: str, names: tuple[str, ...]) -> dict | None:
        try:
            with np.load(self._folder / name, allow_pickle=False) as data:
                return {key: data[key] for key in names}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # none, or damaged
            return None


def _plain(match: Match) -> dict:
    return {"score": match.score, "shared": match.shared, "a": _array(match.slices_a), "b": _array(match.slices_b)}


def _array(values: np.ndarray) -> list:
    return [str(values.dtype), list(values.shape), values.ravel().tolist()]


def _match(plain: dict) -> Match:
    from grader.reports.similarity import Match

    def array(stored: list) -> np.ndarray:
        dtype, shape, values = stored
        return np.array(values, dtype=np.dtype(dtype)).reshape(shape)

    return Match(float(plain["score"]), int(plain["shared"]), array(plain["a"]), array(plain["b"]))
