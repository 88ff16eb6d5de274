"""Lab checks judged by effect: what ``train`` returns and does to the grader's model (losses, weight decay,
the StepLR schedule, reproducibility), and the labels ``predict`` gives for the grader's model left in
train mode. The expected answers come from the rules themselves, never from a run of reference code."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.checks.accuracy import mlp_logits
from grader.checks.base import Check, Context, Verdict
from grader.checks.factories import SuiteBuilder, mismatch_verdict_text
from grader.checks.judge import outcome_failure
from grader.checks.lab_cases import trained_runs
from grader.checks.lab_models import plain_spec
from grader.data import make_spirals
from grader.outcomes import Returned


def decay_factor(epochs: int, n: int, batch_size: int, lr: float, weight_decay: float, step_size: int | None,
                 gamma: float, *, per_batch: bool = False, drop_last: bool = False, schedule: bool = True) -> float:
    """How much plain SGD with ``weight_decay`` shrinks a weight whose loss gradient is exactly 0:
    ``(1 - lr_t · weight_decay)`` per step, with StepLR's ``lr_t = lr · gamma^(epoch // step_size)``."""
    batches = n // batch_size if drop_last else math.ceil(n / batch_size)
    factor, step = 1.0, 0
    for epoch in range(epochs):
        for _ in range(batches):
            k = ((step if per_batch else epoch) // step_size) if step_size and schedule else 0
            factor *= 1.0 - lr * gamma**k * weight_decay
            step += 1
    return factor


def weight_decay(sb: SuiteBuilder, case: str, points: float, n: int, sizes: list[int], kwargs: dict, *,
                 description: str) -> Check:
    """With all inputs 0 the first layer's weights get no loss gradient, so SGD's weight decay alone moves them:
    they must end at exactly ``decay_factor(...)`` times their start, whatever the shuffling."""
    factor_of = {"epochs": kwargs["epochs"], "n": n, "batch_size": kwargs["batch_size"], "lr": kwargs["lr"],
                 "weight_decay": kwargs["weight_decay"], "step_size": kwargs.get("step_size"),
                 "gamma": kwargs.get("gamma", 0.1)}
    expected = decay_factor(**factor_of)
    wrong = {"weight_decay_ignored": 1.0, "scheduler_per_batch": decay_factor(**factor_of, per_batch=True),
             "scheduler_ignored": decay_factor(**factor_of, schedule=False),
             "train_drops_last_batch": decay_factor(**factor_of, drop_last=True)}

    def run(ctx: Context) -> Verdict:
        y = ctx.rng.integers(0, sizes[-1], n)
        outcome = ctx.procedure("lab_train", X=np.zeros((n, sizes[0]), np.float32), y=y, spec=plain_spec(sizes),
                                init_seed=int(ctx.rng.integers(2**31)),
                                kwargs={**kwargs, "seed": int(ctx.rng.integers(2**31))})
        if not isinstance(outcome, Returned):
            return outcome_failure(outcome, "train")
        reports, problem = trained_runs(outcome, sizes)
        if reports is None:
            return mismatch_verdict_text("train", problem)
        before, after = reports[0]["weights_before"][0][0], reports[0]["weights_after"][0][0]
        if np.allclose(after, expected * before, rtol=1e-4, atol=1e-7):
            return Verdict.ok()
        ratio = float(np.sum(after * before) / np.sum(before * before))
        mistake = next((m for m, f in wrong.items() if abs(ratio - f) <= 1e-4 * max(f, 1e-3) and
                        abs(f - expected) > 1e-3 * expected), "")
        numbers = "" if sb.hidden else f" (expected a factor {expected:.4f}, got {ratio:.4f})"
        return mismatch_verdict_text("train", "with all inputs 0 the first layer's weights should shrink by "
                                     f"(1 - lr·weight_decay) at every SGD step{numbers}", mistake)

    return sb.check("train", case, "property", points, run, description, timeout=60.0)


def losses(sb: SuiteBuilder, case: str, points: float, n_per_class: int, hidden: list[int], kwargs: dict, *,
           runs: int = 1, description: str) -> Check:
    """Property: one finite mean loss per epoch, falling over training; with ``runs == 2``, two runs from
    the same initial weights and seed give the same losses and weights."""

    def run(ctx: Context) -> Verdict:
        X, y = make_spirals(n_per_class, 3, 0.2, seed=int(ctx.rng.integers(2**31)))
        sizes = [2, *hidden, 3]
        outcome = ctx.procedure("lab_train", X=X.astype(np.float32), y=y, spec=plain_spec(sizes), runs=runs,
                                init_seed=int(ctx.rng.integers(2**31)),
                                kwargs={**kwargs, "seed": int(ctx.rng.integers(2**31))})
        if not isinstance(outcome, Returned):
            return outcome_failure(outcome, "train")
        reports, problem = trained_runs(outcome, sizes, runs)
        if reports is None:
            return mismatch_verdict_text("train", problem)
        values = reports[0]["losses"]
        if values.shape != (kwargs["epochs"],) or not np.all(np.isfinite(values)) or np.any(values < 0):
            return mismatch_verdict_text("train", f"it returned {values.size} losses; expected one finite, "
                                         "non-negative mean loss per epoch")
        if values[0] > 3 * math.log(3):
            return mismatch_verdict_text("train", "the first epoch's loss is far above the loss of an untrained "
                                         "model", "losses_not_mean")
        if not values[-1] < values[0]:
            return mismatch_verdict_text("train", "the loss did not fall over training")
        if runs == 2 and not all(np.allclose(a, b, rtol=1e-6, atol=0) for a, b in zip(
                [reports[0]["losses"], *(w for layer in reports[0]["weights_after"] for w in layer)],
                [reports[1]["losses"], *(w for layer in reports[1]["weights_after"] for w in layer)], strict=True)):
            return mismatch_verdict_text("train", "two runs with the same seed from the same weights differ",
                                         "train_not_reproducible")
        return Verdict.ok()

    return sb.check("train", case, "property", points, run, description, timeout=60.0)


def predict_payload(sizes: list[int], N: int, p: float) -> Callable[[np.random.Generator], dict[str, Any]]:
    """The grader's model as weights (float32) and inputs whose top two logits are clearly apart, so float32
    and float64 agree on every label."""

    def make(rng: np.random.Generator) -> dict[str, Any]:
        weights = [[rng.normal(0, 2 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32),
                    rng.normal(0, 0.5, n_out).astype(np.float32)] for n_in, n_out in zip(sizes[:-1], sizes[1:],
                                                                                         strict=True)]
        X = rng.standard_normal((4 * N + 8, sizes[0])).astype(np.float32)
        top = np.sort(mlp_logits(weights, X), axis=1)
        clear = (top[:, -1] - top[:, -2]) > 1e-3 * (1 + np.abs(top[:, -1]))
        return {"spec": plain_spec(sizes, p), "weights": weights, "X": X[clear][:N], "seed": int(rng.integers(2**31))}

    return make


def predict(sb: SuiteBuilder, case: str, points: float, payload: Callable, aspect: str, *,
            description: str) -> Check:
    """``aspect``: "labels" (equal to the argmax of the grader's eval-mode forward), "no_grad" (no forward ran
    with gradients enabled) or "format" (a tensor or ndarray of integer labels, shape (N,))."""

    def run(ctx: Context) -> Verdict:
        d = payload(ctx.rng)
        outcome = ctx.procedure("lab_predict", **d)
        if not isinstance(outcome, Returned):
            return outcome_failure(outcome, "predict")
        labels, calls, N = outcome.value["labels"], outcome.value["forward_calls"], len(d["X"])
        if labels.shape != (N,):  # every aspect needs labels to judge: property checks earn nothing without
            got = "" if sb.hidden else f" (got shape {labels.shape})"
            return mismatch_verdict_text("predict", f"it should return one label per row of X, shape (N,){got}")
        if aspect == "no_grad" and any(c["grad"] for c in calls):
            return mismatch_verdict_text("predict", "it ran the model with gradients enabled", "predict_grad_enabled")
        if aspect == "format":
            if outcome.value["container"] not in ("tensor", "ndarray"):
                return mismatch_verdict_text("predict", f"it returned a {outcome.value['container']}; return a "
                                             "tensor or an ndarray of labels")
            if labels.dtype.kind not in "iu":
                return mismatch_verdict_text("predict", f"it returned {labels.dtype} values; expected integer "
                                             "labels", "labels_not_integers")
        if aspect == "labels":
            expected = mlp_logits(d["weights"], d["X"]).argmax(axis=1)
            wrong = int(np.sum(labels != expected))
            if wrong:
                mistake = "predict_forgot_eval" if any(c["train"] for c in calls) else ""
                count = "some" if sb.hidden else f"{wrong} of {N}"
                return mismatch_verdict_text("predict", f"{count} labels differ from the argmax of the model's "
                                             "eval-mode logits", mistake)
        return Verdict.ok()

    return sb.check("predict", case, "value" if aspect == "labels" else "property", points, run, description,
                    timeout=30.0)
