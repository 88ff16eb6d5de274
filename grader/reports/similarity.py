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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from grader.course.assignments import ASSIGNMENTS
from grader.pipeline.loads import digest
from grader.pipeline.sources import offsets_array
from grader.reports.pair_cache import PairCache
from grader.reports.stamp import code_stamp

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
    # Without ``normalised``, only trusted text is tokenised here (the stub); student text goes through
    # grader.pipeline.tokens, in a bounded process of its own.
    filtered, offsets = normalised if normalised is not None else _normalise_trusted(code)
    return _fingerprint(code, filtered, offsets, kgrams(filtered, boilerplate))


def _fingerprint(code: str, filtered: str, offsets: np.ndarray, grams: Kgrams) -> Fingerprint:
    idx: dict = {}
    for value, at in zip(grams.hashes.tolist(), grams.positions.tolist(), strict=True):
        idx.setdefault(value, []).append(at)
    return Fingerprint(code, filtered, offsets, set(idx), idx, grams.coverage)


@dataclass(frozen=True)
class Kgrams:
    """A hand-in's winnowed k-grams as arrays: ``hashes[n]`` starts at ``positions[n]`` of the filtered code
    (the pairs of copydetect's ``hash_idx``), ``length`` filtered characters, ``coverage`` of them in a k-gram."""

    hashes: np.ndarray
    positions: np.ndarray
    length: int
    coverage: float


def kgrams(filtered: str, boilerplate: np.ndarray | None = None) -> Kgrams:
    """copydetect's ``get_document_fingerprints`` and ``get_token_coverage`` (same steps, same hashes), as
    arrays. The filtered code is hashed as a tuple of code points, not as a str: a str's hash() is salted per
    process (PYTHONHASHSEED), a tuple of ints' is not, so the fingerprints and every report built from them
    are the same on each run."""
    from copydetect.utils import hashed_kgrams, winnow

    points = tuple(map(ord, filtered))
    hashes, idx = winnow(np.asarray(hashed_kgrams(points, K), dtype=np.int64), WINDOW, remove_duplicates=False)
    if boilerplate is not None and len(boilerplate) > 0:
        _, overlap, _ = np.intersect1d(hashes, boilerplate, return_indices=True, assume_unique=True)
        idx, hashes = np.delete(idx, overlap), np.delete(hashes, overlap)
    covered = np.zeros(len(filtered), dtype=bool)
    for offset in range(K):
        covered[idx + offset] = True
    return Kgrams(hashes.astype(np.int64), idx.astype(np.int64), len(filtered), float(np.count_nonzero(covered)))


def _as_kgrams(p: Fingerprint | Kgrams) -> Kgrams:
    if isinstance(p, Kgrams):
        return p
    pairs = [(h, at) for h, where in p.hash_idx.items() for at in where]
    hashes, positions = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
    return Kgrams(hashes, positions, len(p.filtered_code), float(p.token_coverage))


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


def shared_matrix(prints: Sequence[Fingerprint | Kgrams], known: np.ndarray | None = None) -> np.ndarray:
    """``shared[i, j]``: how many of hand-in i's filtered characters lie in a k-gram that hand-in j also has,
    which is the ``token_overlap`` copydetect's ``compare_files(i, j)`` returns, for every pair at once.

    Hand-in i's k-gram starts × hand-ins: a start counts for j when j holds its hash; a character is shared
    when one of the k starts covering it counts (a running sum over a window of k). Only hashes two hand-ins
    hold are tabulated (hash × hand-in), and only the hand-ins sharing one with i are counted against it: the
    others share nothing (0). ``known``: a matrix of the same shape with -1 where a pair is still to be counted
    (``PairCache``); only those pairs are counted.
    """
    grams = [_as_kgrams(p) for p in prints]
    n = len(grams)
    shared = np.full((n, n), -1, dtype=np.int64) if known is None else known.copy()
    if not (shared < 0).any():
        return shared
    missing = shared < 0
    new = np.flatnonzero(missing.all(axis=1))  # hand-ins not counted against anyone: new or changed texts
    missing[new, :] = False
    missing[:, new] = False
    if known is not None and len(new) <= min(FEW_NEW, n - 1) and not missing.any():
        _count_new(grams, shared, new)
    else:
        _count_all(grams, shared)
    return shared


FEW_NEW = 8  # up to this many new hand-ins (and nothing else to count), each is counted against the others alone


def _count_all(grams: list[Kgrams], shared: np.ndarray) -> None:
    """Every pair still -1 in ``shared``, counted in place."""
    n = len(grams)
    held = [np.unique(g.hashes) for g in grams]  # each hand-in's hashes, once each
    vocabulary, inverse, holders = np.unique(np.concatenate(held), return_inverse=True, return_counts=True)
    owner = np.repeat(np.arange(n), [len(h) for h in held])
    common = np.flatnonzero(holders > 1)  # hashes held by two hand-ins or more
    row = np.full(len(vocabulary), -1, dtype=np.int64)
    row[common] = np.arange(len(common))
    holds = np.zeros((len(common), n), dtype=bool)  # common hash × hand-in
    mine = row[inverse] >= 0
    holds[row[inverse][mine], owner[mine]] = True
    for i, g in enumerate(grams):
        wanted = np.flatnonzero(shared[i] < 0)
        if wanted.size == 0:
            continue
        ids = row[np.searchsorted(vocabulary, g.hashes)] if len(g.hashes) else np.zeros(0, dtype=np.int64)
        at, ids = g.positions[ids >= 0], ids[ids >= 0]
        partners = np.flatnonzero(holds[ids].any(axis=0)) if ids.size else np.zeros(0, dtype=np.int64)
        counted = wanted[np.isin(wanted, partners) | (wanted == i)]
        shared[i, wanted] = 0
        if counted.size == 0:
            continue
        starts = np.zeros((counted.size, g.length), dtype=bool)  # hand-in j × position in i
        starts[:, at] = holds[ids][:, counted].T
        starts[counted == i, :] = False
        starts[np.ix_(counted == i, g.positions)] = True  # i holds every hash of its own
        shared[i, counted] = np.count_nonzero(_spread(starts, K), axis=1)


def _count_new(grams: list[Kgrams], shared: np.ndarray, new: np.ndarray) -> None:
    """The rows and columns of the ``new`` hand-ins in ``shared`` (everything else is counted), in place:
    one look-up of each new hand-in's hashes among everyone's k-grams finds who shares what."""
    sizes = np.array([len(g.hashes) for g in grams], dtype=np.int64)
    everyone = np.concatenate([g.hashes for g in grams])
    owner = np.repeat(np.arange(len(grams)), sizes)
    longest = max(g.length for g in grams)
    for m in new.tolist():
        g = grams[m]
        mine, inverse = np.unique(g.hashes, return_inverse=True)
        if mine.size:
            slot = np.minimum(np.searchsorted(mine, everyone), mine.size - 1)
            hit = mine[slot] == everyone  # the k-grams of anyone's that m holds
        else:
            slot, hit = np.zeros(len(everyone), dtype=np.int64), np.zeros(len(everyone), dtype=bool)
        holds = np.zeros((len(grams), mine.size), dtype=bool)  # hand-in × m's hashes
        holds[owner[hit], slot[hit]] = True
        partners = np.flatnonzero(holds.any(axis=1))  # m among them
        # m against everyone: its k-gram starts each other hand-in holds
        wanted = np.flatnonzero(shared[m] < 0)
        counted = wanted[np.isin(wanted, partners)]
        shared[m, wanted] = 0
        if counted.size:
            starts = np.zeros((counted.size, g.length), dtype=bool)
            starts[:, g.positions] = holds[counted][:, inverse]
            shared[m, counted] = np.count_nonzero(_spread(starts, K), axis=1)
        # everyone else against m: their k-gram starts m holds
        wanted = np.flatnonzero(shared[:, m] < 0)
        counted = wanted[np.isin(wanted, partners)]
        shared[wanted, m] = 0
        if counted.size:
            row = np.full(len(grams), -1, dtype=np.int64)
            row[counted] = np.arange(counted.size)
            mask = hit & (row[owner] >= 0)
            at = np.concatenate([g.positions for g in grams])
            starts = np.zeros((counted.size, longest), dtype=bool)  # their k-grams never reach past their end
            starts[row[owner[mask]], at[mask]] = True
            shared[counted, m] = np.count_nonzero(_spread(starts, K), axis=1)


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
) -> tuple[pd.DataFrame, dict[tuple[str, str, str], tuple[str, str, Match]]]:
    """The pairs of hand-ins of one assignment worth listing, most similar first within each assignment:
    every pair scoring at least REPORT_FLOOR, and the TOP_PAIRS best whatever their score.

    ``sources`` is ``Gradebook.sources_frame()``. Returns the table (SIMILARITY_COLUMNS) and, per listed
    pair ``(assignment, student_a, student_b)``, the two texts and copydetect's match (the shared spans),
    for the report to show side by side. ``cache`` keeps the work between builds (``PairCache``): the k-grams
    of an unchanged hand-in are never computed again, nor the counts and match of an unchanged pair."""
    rows, details = [], {}
    for assignment, group in sources.groupby("assignment", sort=True):
        if assignment not in ASSIGNMENTS or ASSIGNMENTS[assignment].is_notebook or len(group) < 2:
            continue
        group = group.sort_values("student")
        students = [str(s) for s in group["student"]]
        texts, filtered = [str(t) for t in group["text"]], [str(f) for f in group["filtered"]]
        found = _listed(str(assignment), texts, filtered, list(group["offsets"]), cache)
        for value, i, j, flagged, match, functions in found:
            rows.append((assignment, students[i], students[j], value, flagged, functions))
            details[(str(assignment), students[i], students[j])] = (texts[i], texts[j], match)
    table = pd.DataFrame(rows, columns=list(SIMILARITY_COLUMNS))
    return table.astype(SIMILARITY_DTYPES), details


def _listed(assignment: str, texts: list[str], filtered: list[str], offsets: list[bytes],
            cache: PairCache | None) -> list[tuple[float, int, int, bool, Match, str]]:  # fmt: skip
    """The listed pairs of one assignment's hand-ins (sorted by student), best first: (score, i, j, flagged,
    match, functions)."""
    plate = boilerplate(assignment)
    keys = [digest(f"{text}\0{code}".encode()) for text, code in zip(texts, filtered, strict=True)]
    basis = f"{K} {WINDOW} {digest(plate.tobytes())}"  # the counts hold for this stub and k only
    code_basis = f"{basis} {code_stamp()}"  # k-grams and matches also for this code
    known = cache.known(assignment, basis, keys) if cache is not None else None
    complete = cache is not None and known is not None and bool((known >= 0).all())
    covered = cache.coverage(assignment, code_basis, keys) if cache is not None and complete else None
    grams: list[Kgrams] | None = None
    if covered is not None and known is not None:  # every pair counted: the k-grams are not needed
        shared = known
    else:
        kept = cache.kgrams(assignment, code_basis, keys) if cache is not None else [None] * len(keys)
        grams = [g if g is not None else kgrams(code, plate) for g, code in zip(kept, filtered, strict=True)]
        if cache is not None and any(g is None for g in kept):
            cache.store_kgrams(assignment, code_basis, keys, grams)
        shared = shared_matrix(grams, known)
        if cache is not None and (known is None or (known < 0).any()):
            cache.store(assignment, basis, keys, shared)
        covered = np.array([g.coverage for g in grams], dtype=np.float64)
    coverage = np.maximum(covered, 1.0)
    share = shared / coverage[:, None]
    score = np.minimum(np.maximum(share, share.T), 1.0)
    first, second = np.triu_indices(len(keys), k=1)
    some = shared[first, second] != 0
    first, second = first[some], second[some]
    # Only pairs that can be listed are rounded as the table shows them: rounding moves a score by 5e-5 at
    # most, so a pair 1e-4 below both the floor and the TOP_PAIRS-th best score can be neither.
    raw = score[first, second]
    best = np.partition(raw, len(raw) - TOP_PAIRS)[len(raw) - TOP_PAIRS] if len(raw) > TOP_PAIRS else -1.0
    near = np.flatnonzero(raw >= min(REPORT_FLOOR, best) - 1e-4)
    first, second = first[near], second[near]
    values = np.array([round(v, 4) for v in raw[near].tolist()], dtype=np.float64)
    # most similar first, then by the two students (the hand-ins are in student order)
    order = np.lexsort((second, first, -values))
    keep = order[(values[order] >= REPORT_FLOOR) | (np.arange(len(order)) < TOP_PAIRS)]
    stored = cache.matches(assignment, code_basis) if cache is not None else {}
    prints: dict[int, Fingerprint] = {}

    def printed(n: int) -> Fingerprint:
        if n not in prints:
            made = grams[n] if grams is not None else kgrams(filtered[n], plate)
            prints[n] = _fingerprint(texts[n], filtered[n], offsets_array(offsets[n]), made)
        return prints[n]

    found, matches = [], {}
    for value, i, j in zip(values[keep].tolist(), first[keep].tolist(), second[keep].tolist(), strict=True):
        pair = (keys[i], keys[j])
        if pair not in stored:
            match = compare(printed(i), printed(j))
            stored[pair] = (match, shared_functions(assignment, printed(i), printed(j), match))
        matches[pair] = stored[pair]
        flagged = value >= FLAG_THRESHOLD and max(shared[i, j], shared[j, i]) >= MIN_SHARED
        found.append((value, i, j, bool(flagged), *stored[pair]))
    if cache is not None and (prints or len(matches) != len(stored)):
        cache.store_matches(assignment, code_basis, matches)
    return found


SIMILARITY_DTYPES = {
    "assignment": "string", "student_a": "string", "student_b": "string", "score": "float64", "flagged": "bool",
    "functions": "string",
}  # fmt: skip
