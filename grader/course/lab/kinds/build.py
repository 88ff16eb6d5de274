"""Lab ``build_mlp`` checks, judged by what the student's model computes on weights and inputs the grader chose.

Why this way: student code shares its process with the worker-side procedures, so anything that process says
about itself (which layers the model has, what mode it was in) could be a forgery. The grader draws the weights
and the inputs from the check's generator, the worker loads the weights into the student's model (its Linear
layers in the order its forward calls them, else its parameters in registration order; a shape that does not fit
fails the check) and returns the model's OUTPUTS as data, and the grader computes what they must be with its own
numpy forward (``mlp_logits``). Structure therefore shows in values:

- chained sizes: the grader's weights only load into ``Linear(D, h1), ..., Linear(h_last, C)`` with biases;
- ReLU between the layers and nothing after the last one: with pre-activations of both signs a missing or extra
  ReLU, or a softmax on the logits, changes the output (and the grader names it by recomputing that variant);
- eval mode: two eval-mode forwards, under different states of torch's global generator, must both equal the
  dropout-free forward (so dropout is off and the output deterministic). "Dropout off" can only be seen against
  what the network must compute, so a wrong structure fails these checks too;
- train mode (``lab_dropout``): weights that make each output entry one hidden unit reveal which units were
  dropped and how the kept ones were scaled.

A forger who replaces the procedures has to return these outputs for weights and inputs it has never seen, that
is, compute the network. What the worker says of itself (the parameter shapes it found) only names a mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.checks.accuracy import mlp_logits
from grader.checks.base import Context, Verdict
from grader.checks.compare import FLOAT32_RTOL, all_numeric, compare
from grader.checks.judge import outcome_failure, stated
from grader.course.lab.dropout import ZERO, dropout_problem, first_layer_gradients, independence_problem
from grader.course.lab.models import flat, mixed_weights, paired, param_shapes, unit_revealing_weights
from grader.course.lab.rules import WRONG_SIZES, named
from grader.protocol.outcomes import Returned

Payload = dict[str, Any]


def build_payload(rng: np.random.Generator, in_features: int, hidden: list[int], n_classes: int, p: float | None,
                  N: int) -> Payload:
    """build_mlp(in_features, hidden, n_classes[, p]) loaded with weights of both signs, run on N(0, 1) rows."""
    sizes = [in_features, *hidden, n_classes]
    return {"in_features": in_features, "hidden_sizes": hidden, "n_classes": n_classes, "p_dropout": p,
            "shapes": param_shapes(sizes), "weights": flat(mixed_weights(sizes, rng)),
            "X": rng.standard_normal((N, in_features)).astype(np.float32), "seed": int(rng.integers(2**31))}


def dropout_payload(rng: np.random.Generator, in_features: int, hidden: int, p: float | None, N: int,
                    blocks: int = 1) -> Payload:
    """build_mlp(in_features, [hidden] * blocks, hidden[, p]) loaded with ``unit_revealing_weights``: each of the
    N × hidden entries of the output is one hidden unit, positive, on inputs in [0, 1), kept only if every block's
    dropout kept it; run in eval and in train mode, where each pass also gives its gradients of
    ``sum(output * upstream_train)``."""
    X = rng.uniform(0.0, 1.0, (N, in_features)).astype(np.float32)
    payload = {"in_features": in_features, "hidden_sizes": [hidden] * blocks, "n_classes": hidden, "p_dropout": p,
               "shapes": param_shapes([in_features, *[hidden] * blocks, hidden]),
               "weights": flat(unit_revealing_weights(in_features, hidden, rng, blocks)), "X": X, "X_train": X,
               "seed": int(rng.integers(2**31))}
    return {**payload, "upstream_train": rng.standard_normal((N, hidden)).astype(np.float32)}


def structural_mistake(out: np.ndarray, weights: list, X: np.ndarray, expected: np.ndarray) -> str:
    """The known structural mistake whose output (recomputed here on the same weights and inputs) ``out`` equals:
    a softmax or log-softmax on the logits, a ReLU after the last layer, or no ReLU at all; "" if none."""
    shifted = expected - expected.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    linear = np.asarray(X, np.float64)
    for W, b in weights:
        linear = linear @ np.asarray(W, np.float64).T + np.asarray(b, np.float64)
    variants = [("build_softmax_on_logits", np.exp(log_softmax)), ("build_softmax_on_logits", log_softmax),
                ("build_block_order", np.maximum(expected, 0.0)), ("build_block_order", linear)]
    return next((m for m, v in variants if compare(out, v, rtol=FLOAT32_RTOL) is None), "")


def _shapes_found(report: dict) -> list[list[int]] | None:
    """The parameter shapes the worker says it found, if they are a short list of lists of sizes (they are
    shown to the student, so nothing else of the worker's text is)."""
    found = report.get("shapes_found")
    if not isinstance(found, list) or len(found) > 20 or not all(
            isinstance(s, list) and len(s) <= 4 and all(type(n) is int and 0 <= n < 10**6 for n in s) for s in found):
        return None
    return found


def _shapes_problem(report: dict, d: Payload, hidden: bool) -> Verdict:
    """The verdict when the grader's weights did not fit the model; the shapes the worker found only inform."""
    found = _shapes_found(report)
    told = "" if hidden or found is None else f" (its parameter shapes: {found}; expected {d['shapes']})"
    return stated("build_mlp", "its parameters are not those of Linear(in_features, h1), ..., "
                  f"Linear(h_last, n_classes), each with a bias, in forward order{told}", WRONG_SIZES)


def _outputs(report: dict, key: str, shape: tuple[int, int]) -> list[np.ndarray] | None:
    """The report's output(s) under ``key`` as float arrays of ``shape``, or None."""
    values = report.get(key)
    values = values if isinstance(values, list) else [values]
    arrays = all_numeric(values)
    if not arrays or any(a.shape != shape for a in arrays):
        return None
    return [a.astype(np.float64) for a in arrays]


def _eval_problem(evals: list[np.ndarray], expected: np.ndarray, weights: list, X: np.ndarray, hidden: bool
                  ) -> tuple[str, str]:
    """(problem, mistake) of the two eval-mode outputs against the grader's forward, or ("", "")."""
    for out in evals:
        found = compare(out, expected, name="the eval-mode output", rtol=FLOAT32_RTOL, hidden=hidden)
        if found is not None:
            said = "the eval-mode output has wrong values" if hidden else found.message
            mistake = "dropout_active_in_eval" if not np.array_equal(evals[0], evals[-1]) else \
                structural_mistake(out, weights, X, expected)
            return f"{said}: in eval mode the model should compute Linear -> ReLU -> ... -> Linear, dropout off, " \
                "the same on every call", mistake
    return "", ""


def judge_build(report: Any, d: Payload, aspect: str, hidden: bool) -> Verdict:
    """Judge one ``aspect`` of the outputs of build_mlp's model (see ``build``)."""
    if not isinstance(report, dict):
        return stated("build_mlp", "the model's outputs could not be read")
    if "initial" not in report:
        return _shapes_problem(report, d, hidden)
    weights = paired(d["weights"])
    shape = (len(d["X"]), d["n_classes"])
    expected = mlp_logits(weights, d["X"])
    evals = _outputs(report, "eval", shape)
    if evals is None or len(evals) != 2:
        what = "" if hidden else f" (expected shape {shape}: one row of logits per row of X)"
        return stated("build_mlp", f"the eval-mode output does not have shape (N, n_classes){what}")
    in_eval, mistake = _eval_problem(evals, expected, weights, d["X"], hidden)
    if aspect in ("structure", "eval"):
        return stated("build_mlp", in_eval, named(mistake)) if in_eval else Verdict.ok()
    train = _outputs(report, "train", shape)
    if train is None:
        return stated("build_mlp", "the train-mode output does not have shape (N, n_classes)")
    if aspect == "no_dropout":
        problem, dropout_mistake = "", ""
        if compare(train[0], expected, rtol=FLOAT32_RTOL) is not None:
            problem, dropout_mistake = "with the default p_dropout the train-mode output differs from the output " \
                "without dropout: the default p_dropout is 0.0", "dropout_p_ignored"
    else:
        p_dropped = dropped_share(d)
        problem, dropout_mistake = next(((p, m) for p, m in (dropout_problem(out, expected, p_dropped, hidden)
                                                             for out in train) if p), ("", ""))
        if problem and len(d["hidden_sizes"]) > 1 and not any(dropout_problem(out, expected, d["p_dropout"], hidden)[0]
                                              for out in train):
            problem, dropout_mistake = "in train mode units are dropped as by one Dropout(p) only: every hidden " \
                "block should end with its own Dropout(p_dropout)", "build_block_order"
        dropped = [np.abs(out) <= ZERO for out in train]
        if not problem and len(train) > 1 and np.array_equal(dropped[0], dropped[1]):
            # two forwards under other generator states: the same random mask twice has chance (p² + (1 - p)²)^(N·H),
            # below 1e-300 for the suites' payloads (N·H ≥ 4000)
            problem = "in train mode the same units are dropped on every forward pass: dropout should draw its " \
                "mask at random each time"
        problem = problem or independence_problem(dropped, p_dropped)
    if not problem and d.get("upstream_train") is not None:
        problem = train_gradient_problem(report.get("train_gradients"), train, weights, d)
    if not problem:
        return Verdict.ok()
    if in_eval:  # the train-mode output is judged on its own; a wrong structure explains it best
        return stated("build_mlp", f"{problem}; {in_eval}", named(mistake or dropout_mistake))
    return stated("build_mlp", problem, named(dropout_mistake))


def dropped_share(d: Payload) -> float:
    """The share of a ``dropout_payload``'s output entries train mode drops: an entry is kept only if every hidden
    block's Dropout(p) keeps it, ``1 - (1 - p)^blocks`` (p 0 when the payload leaves the default)."""
    return 1.0 - (1.0 - (d["p_dropout"] or 0.0)) ** len(d["hidden_sizes"])


def train_gradient_problem(reported: Any, train: list[np.ndarray], weights: list, d: Payload) -> str:
    """The problem with the gradients of the train-mode passes (``train``'s outputs, ``d`` a ``dropout_payload``),
    or "": the first layer's must be ``first_layer_gradients`` under the mask each pass's own output shows (an
    output that carries no gradient at all has none)."""
    p = dropped_share(d)
    passes = reported if isinstance(reported, list) and len(reported) == len(train) else [None] * len(train)
    for grads, out in zip(passes, train, strict=True):
        got = all_numeric(grads[:2]) if isinstance(grads, list) else None
        wanted = first_layer_gradients(weights, d["X_train"], out, p, d["upstream_train"])
        if got is None or compare(got, wanted, rtol=FLOAT32_RTOL) is not None:
            return "in train mode its output does not pass the gradient back through the units dropout kept to " \
                "the layer before (is part of the forward computed outside torch, in numpy say, or detached?)"
    return ""


def build(ctx: Context, *, payload: Callable, aspect: str) -> Verdict:
    """Load the grader's weights into build_mlp's model and judge one ``aspect`` of its outputs: "structure"
    and "eval" (both eval-mode forwards equal the grader's Linear -> ReLU -> ... -> Linear), "train_dropout"
    (``dropout_payload``: the drop rate is p and kept units are scaled by 1/(1 - p)) or "no_dropout"
    (``dropout_payload`` without p: train mode changes nothing)."""
    d = payload(ctx.rng)
    outcome = ctx.procedure("lab_build", **d)
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, "build_mlp")
    return judge_build(outcome.value, d, aspect, ctx.hidden)
