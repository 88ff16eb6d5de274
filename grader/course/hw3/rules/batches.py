"""hw3 rule of minibatches with shuffling: ``minibatches(X, y, batch_size, rng, shuffle=True)`` yields
``(Xb, yb)`` in the order of ``rng.permutation(N)``, the last partial batch kept. Its checks drive the
generator in the worker (``grader.course.hw3.kinds.batches``), which recognises these mistakes by the rows
each batch holds."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.mistakes import Mistake
from grader.checks.rules import Rule


def minibatch_rows(rng: np.random.Generator, N: int, D: int) -> dict[str, Any]:
    """X whose first column numbers the rows (so a batch tells which samples it holds), labels y."""
    X = np.column_stack([np.arange(N, dtype=np.float64), rng.standard_normal((N, D - 1))])
    return {"X": X, "y": rng.integers(0, 3, N)}


DROP_LAST = Mistake("minibatch_drop_last", "keep the last, partial batch: every sample is used once per epoch")
NOT_SHUFFLED = Mistake("minibatch_not_shuffled", "with shuffle=True, visit the samples in the order "
                       "rng.permutation(N)")
ORDER = Mistake("minibatch_order", "draw the order once per epoch with order = rng.permutation(N), and nothing else "
                "from rng")
SHUFFLED_ANYWAY = Mistake("minibatch_shuffles_when_told_not_to", "with shuffle=False keep the original order (and "
                          "draw nothing from rng)")
MISALIGNED = Mistake("minibatch_labels_misaligned", "index X and y with the same indices, so each yb matches its Xb")
REPEATS = Mistake("minibatch_repeats_samples", "every sample must appear exactly once per epoch (no sampling with "
                  "replacement)")

MINIBATCHES = Rule("minibatches", minibatch_rows, None,
                   (DROP_LAST, NOT_SHUFFLED, ORDER, SHUFFLED_ANYWAY, MISALIGNED, REPEATS))

RULES = (MINIBATCHES,)
