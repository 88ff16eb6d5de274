"""Pairs of hand-ins that share code: winnowed fingerprints, as MOSS does, with ``copydetect``.

Each hand-in's text is tokenised (Pygments) and normalised by copydetect's filter: every name becomes
``V`` (variables, attributes) or ``F`` (functions), every string and docstring ``S``, and comments and
whitespace go, so renaming, rewritten comments and another layout change nothing. The k-grams of what is
left are hashed and winnowed; k-grams that also occur in the assignment's stub (signatures, docstrings,
the ``raise NotImplementedError`` lines) are boilerplate and never count, so the given skeleton matches
nobody. Function order does not matter: fingerprints are a set.

A pair's ``score`` is copydetect's share of one hand-in's fingerprinted code found in the other, the larger
of the two shares (a student who copied half of a classmate's file scores high on their own side), and a
pair is ``flagged`` at ``FLAG_THRESHOLD`` when they also share at least ``MIN_SHARED`` filtered characters
(a hand-in of two short functions shares a few k-grams with anyone's). The text compared is what the
grader graded, kept in the gradebook (``Gradebook.sources``): no student file is read again, and no
student code runs. Notebooks (the lab) are left out: they are parsed in the sandbox only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from grader.course.assignments import ASSIGNMENTS
from grader.pipeline.loads import digest
from grader.pipeline.sources import offsets_array
from grader.reports.pair_cache import PairCache

# copydetect's defaults: the noise threshold k = 25 filtered characters, about one short statement
# (`V=V.V(V,V=(V,V))` is 16); a guarantee threshold of k (window 1) keeps every k-gram, so no shared
# run of k characters or more is missed. Calibrated with the threshold below.
K = 25
WINDOW = 1
# benchmarks/similarity_calibration.py, on 5 independent correct hw2 solutions (loops, einsum, matmul, masks,
# the reference) and 4 of hw1, every pair, against 60 disguised copies per homework (names renamed, functions
# shuffled, every line re-wrapped by parse/unparse, comments rewritten): independent pairs scored at most
# 0.345 (hw1; 0.248 for hw2), disguised copies at least 0.672 (hw2; 0.727 for hw1). 0.5 sits mid-gap, 0.15
# above the highest independent pair and 0.17 below the lowest copy.
FLAG_THRESHOLD = 0.5
MIN_SHARED = 200  # filtered characters, about 8 lines of code; hw1's disguised copies share 280 or more
REPORT_FLOOR = 0.3  # pairs below this score are left out of similarity.csv (a class has n²/2 pairs)
TOP_PAIRS = 10  # per assignment, listed whatever their score
SIMILARITY_COLUMNS = ("assignment", "student_a", "student_b", "score", "flagged", "functions")
_DEF = re.compile(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)", re.MULTILINE)


@dataclass(frozen=True)
class Fingerprint:
    """One hand-in as copydetect's ``compare_files`` reads it (the attributes of its ``CodeFingerprint``)."""

    raw_code: str
    filtered_code: str
    offsets: np.ndarray
    hashes: set
    hash_idx: dict
    token_coverage: float
    k: int = K


def fingerprint(code: str, boilerplate: np.ndarray | None = None, normalised: tuple | None = None) -> Fingerprint:
    """``code`` tokenised, normalised and winnowed, without the k-grams in ``boilerplate``. ``normalised``:
    the ``(filtered, offsets)`` kept in the gradebook (``grader.pipeline.sources``), to skip tokenising."""
    from copydetect.utils import get_document_fingerprints, get_token_coverage

    # Without ``normalised``, only trusted text is tokenised here (the stub); student text goes through
    # grader.pipeline.tokens, in a bounded process of its own.
    filtered, offsets = normalised if normalised is not None else _normalise_trusted(code)
    # A tuple of code points, not the str: copydetect hashes each k-gram with hash(), which is salted per
    # process for a str (PYTHONHASHSEED) but not for a tuple of ints. So the fingerprints, and every report
    # built from them, are the same on each run.
    points = tuple(map(ord, filtered))
    hashes, idx = get_document_fingerprints(points, K, WINDOW, boilerplate if boilerplate is not None else [])
    return Fingerprint(code, filtered, offsets, hashes, idx, get_token_coverage(idx, K, len(filtered)))


def _normalise_trusted(code: str) -> tuple[str, np.ndarray]:
    from copydetect.utils import filter_code

    filtered, offsets = filter_code(code, "stub.py", language="python")
    return filtered, np.asarray(offsets, dtype=np.int64).reshape(-1, 2)


@lru_cache(maxsize=8)
def boilerplate(assignment: str) -> np.ndarray:
    """Every k-gram hash of the assignment's stub (sorted, unique): what every student was given."""
    stub = ASSIGNMENTS[assignment].stub_path
    code = stub.read_text(encoding="utf-8") if stub.is_file() else ""
    return np.unique(np.array(sorted(fingerprint(code).hashes), dtype=np.int64))


@dataclass(frozen=True)
class Match:
    """One pair compared: score, shared filtered characters, and where the shared code is in each text
    (``slices_a[0]`` starts, ``slices_a[1]`` ends, character offsets in the raw code)."""

    score: float
    shared: int
    slices_a: np.ndarray
    slices_b: np.ndarray


def compare(a: Fingerprint, b: Fingerprint) -> Match:
    from copydetect import compare_files

    shared, (share_a, share_b), (slices_a, slices_b) = compare_files(a, b)
    score = float(max(share_a, share_b)) if shared else 0.0
    return Match(round(min(score, 1.0), 4), int(shared), np.asarray(slices_a), np.asarray(slices_b))


def functions_in(code: str, slices: np.ndarray) -> set[str]:
    """Names of the top-level functions that share at least K characters with a slice (a regular expression
    finds where each starts: nothing is parsed)."""
    if slices.size == 0:
        return set()
    starts = [(m.start(), m.group(1)) for m in _DEF.finditer(code)]
    bounds = [(start, end, name) for (start, name), (end, _) in zip(starts, [*starts[1:], (len(code), "")],
                                                                     strict=True)]  # fmt: skip
    found = set()
    for first, last in zip(slices[0].tolist(), slices[1].tolist(), strict=True):
        found |= {name for start, end, name in bounds if min(end, last) - max(start, first) >= K}
    return found


def shared_functions(assignment: str, a: Fingerprint, b: Fingerprint, match: Match) -> str:
    """The functions holding shared code on both sides, graded targets in course order first."""
    names = functions_in(a.raw_code, match.slices_a) & functions_in(b.raw_code, match.slices_b)
    order = ASSIGNMENTS[assignment].targets if assignment in ASSIGNMENTS else ()
    return "; ".join([t for t in order if t in names] + sorted(names - set(order)))


def shared_matrix(prints: list[Fingerprint], known: np.ndarray | None = None) -> np.ndarray:
    """``shared[i, j]``: how many of hand-in i's filtered characters lie in a k-gram that hand-in j also has,
    which is the ``token_overlap`` copydetect's ``compare_files(i, j)`` returns, for every pair at once.

    Hand-in i's k-gram starts × hand-ins: a start counts for j when j holds its hash; a character is shared
    when one of the k starts covering it counts (a running sum over a window of k). Cost per hand-in: its
    length × the class size, so a class of 300 costs seconds where 45,000 calls of compare_files cost a minute.
    ``known``: a matrix of the same shape with -1 where a pair is still to be counted (``PairCache``); only
    those pairs are counted.
    """
    vocabulary: dict[int, int] = {}
    for p in prints:
        for h in p.hashes:
            vocabulary.setdefault(h, len(vocabulary))
    holds = np.zeros((len(prints), len(vocabulary)), dtype=bool)  # hand-in × hash
    for j, p in enumerate(prints):
        holds[j, [vocabulary[h] for h in p.hashes]] = True
    shared = np.full((len(prints), len(prints)), -1, dtype=np.int64) if known is None else known.copy()
    for i, p in enumerate(prints):
        wanted = np.flatnonzero(shared[i] < 0)
        if wanted.size == 0:
            continue
        positions = [(pos, vocabulary[h]) for h, where in p.hash_idx.items() for pos in where]
        at, ids = np.array(positions, dtype=np.int64).reshape(-1, 2).T
        starts = np.zeros((wanted.size, len(p.filtered_code)), dtype=bool)  # hand-in j × position in i
        starts[:, at] = holds[wanted][:, ids]
        shared[i, wanted] = np.count_nonzero(_spread(starts, K), axis=1)
    return shared


def _spread(starts: np.ndarray, k: int) -> np.ndarray:
    """``covered[:, c]``: some start in ``(c - k, c]`` is set, i.e. a k-gram starting there covers c. Built by
    doubling (a run of 2w from two runs of w), a few passes over bytes instead of a running sum per k."""
    covered, width = starts.copy(), 1
    while width < k:
        step = min(width, k - width)
        covered[:, step:] |= covered[:, :-step].copy() if step < covered.shape[1] else False
        width += step
    return covered


def similarity_table(
    sources: pd.DataFrame, cache: PairCache | None = None
) -> tuple[pd.DataFrame, dict[tuple[str, str, str], tuple]]:
    """The pairs of hand-ins of one assignment worth listing, most similar first within each assignment:
    every pair scoring at least REPORT_FLOOR, and the TOP_PAIRS best whatever their score.

    ``sources`` is ``Gradebook.sources_frame()``. Returns the table (SIMILARITY_COLUMNS) and, per listed
    pair ``(assignment, student_a, student_b)``, the two fingerprints and copydetect's match (the shared
    spans), for the report to show side by side. ``cache`` keeps the pairs' counts between builds, so a pair
    of unchanged hand-ins is never counted again."""
    rows, details = [], {}
    for assignment, group in sources.groupby("assignment", sort=True):
        if assignment not in ASSIGNMENTS or ASSIGNMENTS[assignment].is_notebook or len(group) < 2:
            continue
        group = group.sort_values("student")
        plate = boilerplate(str(assignment))
        prints = [
            fingerprint(str(text), plate, (str(filtered), offsets_array(offsets)))
            for text, filtered, offsets in zip(group["text"], group["filtered"], group["offsets"], strict=True)
        ]
        students = [str(s) for s in group["student"]]
        keys = [digest(f"{text}\0{filtered}".encode()) for text, filtered in zip(group["text"], group["filtered"],
                                                                                strict=True)]  # fmt: skip
        basis = f"{K} {WINDOW} {digest(plate.tobytes())}"  # the counts hold for this stub and k only
        known = cache.known(str(assignment), basis, keys) if cache is not None else None
        shared = shared_matrix(prints, known)
        if cache is not None:
            cache.store(str(assignment), basis, keys, shared)
        coverage = np.array([max(p.token_coverage, 1.0) for p in prints])
        share = shared / coverage[:, None]
        score = np.maximum(share, share.T)
        pairs = [(round(float(min(score[i, j], 1.0)), 4), i, j)
                 for i in range(len(prints)) for j in range(i + 1, len(prints)) if shared[i, j]]  # fmt: skip
        pairs.sort(key=lambda p: (-p[0], students[p[1]], students[p[2]]))
        for rank, (value, i, j) in enumerate(pairs):
            if value < REPORT_FLOOR and rank >= TOP_PAIRS:
                break
            match = compare(prints[i], prints[j])
            flagged = value >= FLAG_THRESHOLD and max(shared[i, j], shared[j, i]) >= MIN_SHARED
            functions = shared_functions(str(assignment), prints[i], prints[j], match)
            rows.append((assignment, students[i], students[j], value, flagged, functions))
            details[(str(assignment), students[i], students[j])] = (prints[i], prints[j], match)
    table = pd.DataFrame(rows, columns=list(SIMILARITY_COLUMNS))
    return table.astype(SIMILARITY_DTYPES), details


SIMILARITY_DTYPES = {
    "assignment": "string", "student_a": "string", "student_b": "string", "score": "float64", "flagged": "bool",
    "functions": "string",
}  # fmt: skip
