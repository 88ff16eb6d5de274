"""Minibatches judged by the rows each batch holds: the worker runs the student's generator for some epochs
with one generator (``collect_minibatches``) and reports the batches; the grader replays the permutations."""

from __future__ import annotations

import numpy as np

from grader.checks.base import Context, Verdict
from grader.checks.compare import compare
from grader.checks.judge import outcome_failure, stated
from grader.checks.mistakes import MUTATED_INPUT, Mistake
from grader.course.hw3.rules.batches import (
    DROP_LAST,
    MISALIGNED,
    NOT_SHUFFLED,
    ORDER,
    REPEATS,
    SHUFFLED_ANYWAY,
    minibatch_rows,
)
from grader.protocol.outcomes import Returned


def _batches(outcome: Returned, epochs: int) -> list[tuple[list[np.ndarray], list[np.ndarray]]] | None:
    """The procedure's report as [(Xbs, ybs)] per epoch, or None if it is malformed or says an epoch yielded too
    many batches: ``{"epochs": [{"X": [Xb, ...], "y": [yb, ...]}, ...], "too_many": False}``, one entry an epoch, as
    many Xb as yb, each a real-number array. The report comes from the process that ran the student's code, so it is
    read as any returned value: anything may be in its place."""
    value = outcome.value
    report = value.get("epochs") if isinstance(value, dict) and value.get("too_many") is False else None
    if not isinstance(report, list) or len(report) != epochs:
        return None
    out = []
    for e in report:
        Xbs, ybs = (e.get("X"), e.get("y")) if isinstance(e, dict) else (None, None)
        if not isinstance(Xbs, list) or not isinstance(ybs, list) or len(Xbs) != len(ybs):
            return None
        if not all(isinstance(a, np.ndarray) and a.dtype.kind in "biuf" for a in Xbs + ybs):
            return None
        out.append((Xbs, ybs))
    return out


def _order_mistake(order: np.ndarray, N: int, shuffle: bool) -> Mistake:
    if np.sort(order).tolist() != list(range(N)):
        return REPEATS if order.size >= N else DROP_LAST
    if not shuffle:
        return SHUFFLED_ANYWAY
    return NOT_SHUFFLED if np.array_equal(order, np.arange(N)) else ORDER


def minibatches(ctx: Context, *, N: int, D: int, batch_size: int, epochs: int = 1,
                shuffle: bool | None = None) -> Verdict:
    """Run ``minibatches`` in the worker for ``epochs`` epochs with one generator; every epoch's batches must
    be ``X[order[k:k+batch_size]]`` (and the same rows of y) with ``order`` the generator's next permutation."""
    d = minibatch_rows(ctx.rng, N, D)
    seed = int(ctx.rng.integers(2**31))
    payload = {**d, "batch_size": batch_size, "seed": seed, "epochs": epochs, "shuffle": shuffle}
    outcome = ctx.procedure("collect_minibatches", **payload)
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, "minibatches")
    report = _batches(outcome, epochs)
    if report is None:
        return stated("minibatches", "it should yield one (Xb, yb) pair per batch of at most batch_size samples, "
                      "and stop after the last sample of the epoch")
    rng = np.random.default_rng(seed)
    for e, (Xbs, ybs) in enumerate(report):
        perm = rng.permutation(N) if shuffle is not False else np.arange(N)
        verdict = _judge_epoch(Xbs, ybs, d, perm, batch_size, shuffle is not False, e)
        if verdict is not None:
            return verdict
    after = outcome.args_after[0] if outcome.args_after else {}  # the payload as the grader read it back
    if not (np.array_equal(np.asarray(after.get("X")), d["X"]) and np.array_equal(np.asarray(after.get("y")), d["y"])):
        return stated("minibatches", "it modified X or y", MUTATED_INPUT, "mutated")
    return Verdict.ok()


def _judge_epoch(Xbs: list, ybs: list, d: dict, perm: np.ndarray, batch_size: int, shuffle: bool,
                 epoch: int) -> Verdict | None:
    X, y, N = d["X"], d["y"], len(d["X"])
    shapes_ok = all(Xb.ndim == 2 and Xb.shape[1] == X.shape[1] and yb.shape == Xb.shape[:1]
                    and 0 < len(Xb) <= batch_size for Xb, yb in zip(Xbs, ybs, strict=True))
    if not shapes_ok:
        return stated("minibatches", f"epoch {epoch}: each batch should be Xb of shape (b, D) and yb of shape (b,) "
                      "with 1 <= b <= batch_size")
    firsts = np.concatenate([Xb[:, 0] for Xb in Xbs]) if Xbs else np.zeros(0)
    if np.any(firsts != np.round(firsts)) or np.any(firsts < 0) or np.any(firsts >= N):
        return stated("minibatches", f"epoch {epoch}: the batches hold rows that are not rows of X")
    order = firsts.astype(np.int64)
    if not np.array_equal(order, perm):
        return stated("minibatches", f"epoch {epoch}: the samples come in the wrong order or not exactly once each",
                      _order_mistake(order, N, shuffle))
    if [len(Xb) for Xb in Xbs] != [len(perm[k : k + batch_size]) for k in range(0, N, batch_size)]:
        return stated("minibatches", f"epoch {epoch}: the batch sizes are wrong: consecutive batches of batch_size "
                      "samples, the last one possibly smaller")
    for Xb, yb in zip(Xbs, ybs, strict=True):
        idx = Xb[:, 0].astype(np.int64)
        if compare(Xb, X[idx], float32=True) is not None:  # float32 batches are right within float32 precision
            return stated("minibatches", f"epoch {epoch}: a batch's rows are not rows of X")
        if not np.array_equal(yb, y[idx]):
            return stated("minibatches", f"epoch {epoch}: yb does not hold the labels of Xb's rows", MISALIGNED)
    return None
