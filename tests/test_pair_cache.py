"""The similarity report's pair counts are kept between builds: the report is the same with or without them,
and a pair of unchanged hand-ins is never counted again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_similarity import STYLES, class_sources, independent_class

from grader.reports import similarity
from grader.reports.pair_cache import PairCache


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many pairs ``shared_matrix`` counts, build by build (one entry per call of ``_spread``)."""
    rows: list[int] = []
    real = similarity._spread

    def spread(starts: np.ndarray, k: int) -> np.ndarray:
        rows.append(starts.shape[0])
        return real(starts, k)

    monkeypatch.setattr(similarity, "_spread", spread)
    return rows


def same(a: tuple, b: tuple) -> bool:
    (table_a, pairs_a), (table_b, pairs_b) = a, b
    return table_a.equals(table_b) and pairs_a.keys() == pairs_b.keys() and all(
        pairs_a[k][2].score == pairs_b[k][2].score and np.array_equal(pairs_a[k][2].slices_a, pairs_b[k][2].slices_a)
        for k in pairs_a
    )


def test_the_report_is_the_same_and_unchanged_pairs_are_never_counted_again(tmp_path: Path, counted) -> None:
    texts = independent_class() | {"mallory": (STYLES / "disguised_copy_of_masks.py").read_text()}
    sources = class_sources(tmp_path / "a", texts)
    cache = PairCache(tmp_path / "cache")
    without = similarity.similarity_table(sources)
    assert sum(counted) == 36  # 6 hand-ins, every ordered pair and each with itself
    counted.clear()

    first = similarity.similarity_table(sources, cache)
    again = similarity.similarity_table(sources, cache)
    assert same(without, first) and same(first, again)
    assert sum(counted) == 36  # the first build with the cache counted everything, the second nothing

    counted.clear()
    changed = texts | {"loops": texts["loops"] + "\n\ndef extra(x):\n    return x * 2 + 1\n"}
    sources = class_sources(tmp_path / "b", changed)
    assert same(similarity.similarity_table(sources, cache), similarity.similarity_table(sources))
    # with the cache: loops against all 6, and the 5 others against loops; then without: all 36
    assert sum(counted) == 6 + 5 + 36
