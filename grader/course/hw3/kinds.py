"""hw3 check kinds beyond a single value: a schedule over many epochs, the batches a generator yields,
an initialiser's statistics, accuracy after training, and the kind of labels ``predict`` returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from grader.checks import statistical as st
from grader.checks.base import Check, Context, Rng, Verdict
from grader.checks.compare import as_numeric, compare
from grader.checks.factories import SuiteBuilder, mismatch_verdict_text
from grader.checks.judge import mismatch_verdict, outcome_failure
from grader.checks.mistakes import match, register_hints
from grader.course.hw3.cases import schedule_variants
from grader.protocol.outcomes import Returned

register_hints({
    "xavier_fan_in_only": "Xavier's bound uses both fans: a = sqrt(6 / (fan_in + fan_out))",
    "xavier_std_as_bound": "a = sqrt(6 / (fan_in + fan_out)) is the bound of the uniform; its std is a/√3",
    "he_variance_as_std": "N(0, 2/fan_in) has variance 2/fan_in: the std is sqrt(2 / fan_in)",
    "he_lecun": "He initialisation has variance 2/fan_in (1/fan_in is LeCun's)",
    "he_fan_out": "He initialisation scales by fan_in, the number of inputs of each unit",
    "init_same_draws": "draw from the rng you are given, so different generators give different weights",
    "init_not_reproducible": "draw only from the rng you are given, so the same seed gives the same weights",
})


def schedule(sb: SuiteBuilder, target: str, case: str, points: float, calls: Callable, *, description: str) -> Check:
    """The learning rate at every epoch of ``calls(rng)`` must match the reference's."""

    def run(ctx: Context) -> Verdict:
        cases = calls(ctx.rng)
        got, expected = [], []
        for d in cases:
            outcome = ctx.call(*d.values())
            if not isinstance(outcome, Returned):
                return outcome_failure(outcome, target)
            got.append(outcome.value)
            expected.append(ctx.reference(target, *d.values()))
        numbers = [as_numeric(v) for v in got]
        if any(n is None or n.ndim != 0 or isinstance(v, bool) for n, v in zip(numbers, got, strict=True)):
            return mismatch_verdict_text(target, "it should return a single number (the learning rate)")
        actual = np.array([float(n) for n in numbers])
        found = compare(actual, np.array(expected, dtype=np.float64), name="lr", hidden=sb.hidden)
        if found is None:
            return Verdict.ok()
        where = "" if sb.hidden else f" over epochs {[d['epoch'] for d in cases]}"
        found = type(found)(found.name, found.problem, found.message + where, found.error)
        return mismatch_verdict(target, found, match(actual, np.array(expected), schedule_variants(target, cases)))

    return sb.check(target, case, "value", points, run, description)


def minibatch_rows(N: int, D: int):
    """X whose first column numbers the rows (so a batch tells which samples it holds), labels y."""

    def make(rng: np.random.Generator) -> dict[str, Any]:
        X = np.column_stack([np.arange(N, dtype=np.float64), rng.standard_normal((N, D - 1))])
        return {"X": X, "y": rng.integers(0, 3, N)}

    return make


def _batches(outcome: Returned, epochs: int) -> list[tuple[list[np.ndarray], list[np.ndarray]]] | None:
    """The procedure's report as [(Xbs, ybs)] per epoch, or None if it is malformed."""
    value = outcome.value
    try:
        out = [(list(e["X"]), list(e["y"])) for e in value["epochs"]]
        ok = len(out) == epochs and all(isinstance(a, np.ndarray) for xs, ys in out for a in xs + ys)
    except (KeyError, TypeError):
        return None
    return out if ok else None


def _order_mistake(order: np.ndarray, N: int, shuffle: bool) -> str:
    if np.sort(order).tolist() != list(range(N)):
        return "minibatch_repeats_samples" if order.size >= N else "minibatch_drop_last"
    if not shuffle:
        return "minibatch_shuffles_when_told_not_to"
    return "minibatch_not_shuffled" if np.array_equal(order, np.arange(N)) else "minibatch_order"


def minibatches(sb: SuiteBuilder, case: str, points: float, N: int, D: int, batch_size: int, *,
                epochs: int = 1, shuffle: bool | None = None, kind: str = "value", description: str) -> Check:
    """Run ``minibatches`` in the worker for ``epochs`` epochs with one generator; every epoch's batches must
    be ``X[order[k:k+batch_size]]`` (and the same rows of y) with ``order`` the generator's next permutation."""

    def run(ctx: Context) -> Verdict:
        d = minibatch_rows(N, D)(ctx.rng)
        seed = int(ctx.rng.integers(2**31))
        payload = {**d, "batch_size": batch_size, "seed": seed, "epochs": epochs, "shuffle": shuffle}
        outcome = ctx.procedure("collect_minibatches", **payload)
        if not isinstance(outcome, Returned):
            return outcome_failure(outcome, "minibatches")
        report = _batches(outcome, epochs)
        if report is None or outcome.value.get("too_many"):
            return mismatch_verdict_text("minibatches", "it should yield one (Xb, yb) pair per batch of at most "
                                         "batch_size samples, and stop after the last sample of the epoch")
        rng = np.random.default_rng(seed)
        for e, (Xbs, ybs) in enumerate(report):
            perm = rng.permutation(N) if shuffle is not False else np.arange(N)
            verdict = _judge_epoch(Xbs, ybs, d, perm, batch_size, shuffle is not False, e)
            if verdict is not None:
                return verdict
        after = outcome.args_after[0] if outcome.args_after else {}  # the payload as the grader read it back
        if not (np.array_equal(after.get("X"), d["X"]) and np.array_equal(after.get("y"), d["y"])):
            return mismatch_verdict_text("minibatches", "it modified X or y", "mutated_input", "mutated")
        return Verdict.ok()

    return sb.check("minibatches", case, kind, points, run, description)


def _judge_epoch(Xbs: list, ybs: list, d: dict, perm: np.ndarray, batch_size: int, shuffle: bool,
                 epoch: int) -> Verdict | None:
    X, y, N = d["X"], d["y"], len(d["X"])
    shapes_ok = all(Xb.ndim == 2 and Xb.shape[1] == X.shape[1] and yb.shape == Xb.shape[:1]
                    and 0 < len(Xb) <= batch_size for Xb, yb in zip(Xbs, ybs, strict=True))
    if not shapes_ok:
        return mismatch_verdict_text("minibatches", f"epoch {epoch}: each batch should be Xb of shape (b, D) and yb "
                                     "of shape (b,) with 1 <= b <= batch_size")
    firsts = np.concatenate([Xb[:, 0] for Xb in Xbs]) if Xbs else np.zeros(0)
    if np.any(firsts != np.round(firsts)) or np.any(firsts < 0) or np.any(firsts >= N):
        return mismatch_verdict_text("minibatches", f"epoch {epoch}: the batches hold rows that are not rows of X")
    order = firsts.astype(np.int64)
    if not np.array_equal(order, perm):
        return mismatch_verdict_text("minibatches", f"epoch {epoch}: the samples come in the wrong order or not "
                                     "exactly once each", _order_mistake(order, N, shuffle))
    if [len(Xb) for Xb in Xbs] != [len(perm[k : k + batch_size]) for k in range(0, N, batch_size)]:
        return mismatch_verdict_text("minibatches", f"epoch {epoch}: the batch sizes are wrong: consecutive batches "
                                     "of batch_size samples, the last one possibly smaller")
    for Xb, yb in zip(Xbs, ybs, strict=True):
        idx = Xb[:, 0].astype(np.int64)
        if compare(Xb, X[idx], float32=True) is not None:  # float32 batches are right within float32 precision
            return mismatch_verdict_text("minibatches", f"epoch {epoch}: a batch's rows are not rows of X")
        if not np.array_equal(yb, y[idx]):
            return mismatch_verdict_text("minibatches", f"epoch {epoch}: yb does not hold the labels of Xb's rows",
                                         "minibatch_labels_misaligned")
    return None


def init_statistics(sb: SuiteBuilder, target: str, case: str, points: float, fan_in: int, fan_out: int, *,
                    description: str) -> Check:
    """Draws of one call: shape (fan_out, fan_in) and the distribution's statistics, each test accepting a
    correct initialiser except with probability <= statistical.DELTA (union bound < 1e-6 per check)."""
    uniform = target == "xavier_uniform"
    scale = np.sqrt(6.0 / (fan_in + fan_out)) if uniform else np.sqrt(2.0 / fan_in)
    if uniform:
        wrong_scales = {"xavier_fan_in_only": np.sqrt(6.0 / fan_in),
                        "xavier_std_as_bound": np.sqrt(2.0 / (fan_in + fan_out))}
    else:
        wrong_scales = {"he_variance_as_std": 2.0 / fan_in, "he_lecun": np.sqrt(1.0 / fan_in),
                        "he_fan_out": np.sqrt(2.0 / fan_out)}

    def findings(values: np.ndarray, s: float) -> list[st.Finding]:
        return st.uniform_findings(values, s) if uniform else st.normal_findings(values, s)

    def run(ctx: Context) -> Verdict:
        outcome = ctx.call(fan_in, fan_out, Rng(int(ctx.rng.integers(2**31))))
        if not isinstance(outcome, Returned):
            return outcome_failure(outcome, target)
        values = outcome.value
        if not isinstance(values, np.ndarray) or values.dtype.kind != "f":
            return mismatch_verdict_text(target, "it should return a float array of weights")
        if values.shape != (fan_out, fan_in):
            mistake = "init_transposed" if values.shape == (fan_in, fan_out) else ""
            shown = "" if sb.hidden else f" {values.shape} for fan_in={fan_in}, fan_out={fan_out}"
            return mismatch_verdict_text(target, f"the weights have the wrong shape{shown}: the shape is "
                                         "(fan_out, fan_in)", mistake)
        failed = [f for f in findings(values, scale) if not f.ok]
        if not failed:
            return Verdict.ok()
        mistake = next((m for m, s in wrong_scales.items() if all(f.ok for f in findings(values, s))), "")
        problem = "the draws do not follow the distribution" + ("" if sb.hidden else f": {failed[0].describe()}")
        return mismatch_verdict_text(target, problem, mistake, "distribution")

    return sb.check(target, case, "statistical", points, run, description)


def _is_numeric_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind in "biuf"


def init_seeding(sb: SuiteBuilder, target: str, case: str, points: float, fan_in: int, fan_out: int, *,
                 description: str) -> Check:
    """Property: the same seed gives the same weights, another seed other weights."""

    def run(ctx: Context) -> Verdict:
        seed_a, seed_b = (int(s) for s in ctx.rng.choice(2**31, size=2, replace=False))
        outcomes = [ctx.call(fan_in, fan_out, Rng(s)) for s in (seed_a, seed_a, seed_b)]
        for outcome in outcomes:
            if not isinstance(outcome, Returned):
                return outcome_failure(outcome, target)
        a, again, b = (np.asarray(o.value, dtype=np.float64) if _is_numeric_array(o.value) else None for o in outcomes)
        if a is None or again is None or b is None or a.shape != again.shape or a.shape != b.shape:
            return mismatch_verdict_text(target, "it should return a float array of weights")
        if not np.array_equal(a, again):
            return mismatch_verdict_text(target, "two calls with generators of the same seed gave different weights",
                                         "init_not_reproducible")
        if np.array_equal(a, b):
            return mismatch_verdict_text(target, "generators of different seeds gave the same weights",
                                         "init_same_draws")
        return Verdict.ok()

    return sb.check(target, case, "property", points, run, description)


def naming_nonfinite(check: Check, mistake: str) -> Check:
    """``check``, with a NaN or inf in the answer blamed on ``mistake`` (a variant holding NaN never matches)."""

    def run(ctx: Context) -> Verdict:
        verdict = check.run(ctx)
        # the generic "not_stable" hint speaks of exp overflows, which is not what goes wrong here
        if verdict.status == "fail" and verdict.mistake in ("", "not_stable") and "NaN or inf" in verdict.message:
            return mismatch_verdict_text(check.target, "the result contains NaN or inf", mistake)
        return verdict

    return replace(check, run=run)
