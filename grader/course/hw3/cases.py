"""hw3 (backprop in practice) check material shared by the public and hidden suites: input makers and
what each known mistake would answer. Shapes: X (N, D), a layer's W (out, in)."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.accuracy import mlp_logits
from grader.checks.base import Rng
from grader.checks.mistakes import register_hints

Gen = np.random.Generator

# hw3's known mistakes, kept beside the checks that name them and added to the shared catalogue.
register_hints({
    "std_ddof_1": "this is the sample std (ddof=1); use the population std, ddof=0 (numpy's default)",
    "stats_per_sample": "the statistics are per feature: average over the samples, axis=0, giving shape (D,)",
    "variance_not_std": "the second statistic is the standard deviation, not the variance",
    "test_set_statistics": "use the mean and std you are given (the training set's), not statistics of X itself",
    "eps_ignored": "use the eps argument: (X − mean) / (std + eps)",
    "divided_by_variance": "divide by the standard deviation (plus eps), not by the variance",
    "std_without_eps": "a constant feature has std 0: add eps to the std so the result stays finite",
    "minibatch_drop_last": "keep the last, partial batch: every sample is used once per epoch",
    "minibatch_not_shuffled": "with shuffle=True, visit the samples in the order rng.permutation(N)",
    "minibatch_order": "draw the order once per epoch with order = rng.permutation(N), and nothing else from rng",
    "minibatch_shuffles_when_told_not_to": "with shuffle=False keep the original order (and draw nothing from rng)",
    "minibatch_labels_misaligned": "index X and y with the same indices, so each yb matches its Xb",
    "minibatch_repeats_samples": "every sample must appear exactly once per epoch (no sampling with replacement)",
    "step_decay_float_division": "the exponent is the integer epoch // every, not epoch / every",
    "step_decay_off_by_one": "the first drop happens at epoch == every: lr0 · drop^(epoch // every)",
    "exponential_decay_off_by_one": "lr0 · gamma^epoch: epoch 0 gives lr0",
    "cosine_lr_min_ignored": "the schedule ends at lr_min: lr_min + (lr0 − lr_min)(1 + cos(π·epoch/T))/2",
    "cosine_missing_half": "(1 + cos(π·epoch/T)) / 2 runs from 1 to 0: the /2 is missing",
    "penalty_mean_not_sum": "the penalty sums over all weights; it is not a mean",
    "penalty_first_matrix_only": "sum the penalty over every weight matrix in the list",
    "l2_missing_half": "l2_penalty is lam/2 · Σ‖W‖²: the ½ is missing",
    "l2_norm_not_squared": "l2_penalty uses the squared norm ‖W‖² = Σ W²",
    "l1_sign_at_zero": "the L1 subgradient at W == 0 is 0 here (np.sign), not ±lam",
    "l1_grad_is_W": "the L1 gradient is lam · sign(W), not lam · W",
    "l2_grad_factor_two": "with the ½ in lam/2 ‖W‖², the gradient is lam · W (no factor 2)",
    "l2_grad_is_sign": "the L2 gradient is lam · W, not lam · sign(W)",
    "elastic_swapped": "l1 goes with sign(W) and l2 with W: l1 · sign(W) + l2 · W",
    "dropout_not_rescaled": "inverted dropout rescales the kept units: mask = keep / (1 − p)",
    "dropout_keep_rule": "keep a unit where rng.random(X.shape) >= p (one draw of X's shape)",
    "dropout_p_is_keep_probability": "p is the probability of DROPPING a unit: keep = rng.random(X.shape) >= p",
    "dropout_in_eval": "in eval mode (train=False) dropout does nothing: return X and a mask of ones",
    "dropout_eval_scaled": "inverted dropout needs no scaling at eval time: return X unchanged and ones",
    "dropout_backward_not_rescaled": "the backward multiplies by the mask itself, including its 1/(1 − p)",
    "dropout_backward_forgot_dY": "multiply the upstream gradient dY by the mask",
    "init_transposed": "the weights have shape (fan_out, fan_in), like torch.nn.Linear.weight",
    "predict_not_standardized": "standardise X with the model's stored mean and std before the layers",
    "predict_test_statistics": "standardise with the model's stored (training) statistics, not those of X",
    "labels_not_integers": "return integer labels, e.g. logits.argmax(axis=1)",
})


# How feedback names each function's return (tuple returns name their parts).
OUTPUTS: dict[str, Any] = {
    "fit_standardizer": ("mean", "std"), "standardize": "the standardised X", "l1_penalty": "the penalty",
    "l2_penalty": "the penalty", "l1_grad": "the gradient", "l2_grad": "the gradient",
    "elastic_net_grad": "the gradient", "dropout_forward": ("Y", "mask"), "dropout_backward": "dX",
    "predict": "the labels",
}


def features(rng: Gen, N: int, D: int) -> np.ndarray:
    """Features with their own offsets and scales, so statistics matter: (N, D)."""
    return rng.normal(rng.uniform(-3, 3, D), rng.uniform(0.5, 4.0, D), size=(N, D))


def standardizer_inputs(N: int, D: int):
    return lambda rng: {"X": features(rng, N, D)}


def standardizer_variants(d: dict, e: Any) -> dict[str, Any]:
    X = d["X"]
    wrong = {"stats_per_sample": [X.mean(axis=1), X.std(axis=1)], "variance_not_std": [X.mean(axis=0), X.var(axis=0)]}
    if len(X) > 1:
        wrong["std_ddof_1"] = [X.mean(axis=0), X.std(axis=0, ddof=1)]
    return wrong


def standardize_inputs(N: int, D: int, *, eps: float | None = None, zero_std: bool = False):
    """Training statistics that differ from X's own (as on a test set); optionally a constant feature."""

    def make(rng: Gen) -> dict[str, Any]:
        mean, std = rng.uniform(-3, 3, D), rng.uniform(0.5, 3.0, D)
        X = features(rng, N, D)
        if zero_std:
            std[0], X[:, 0] = 0.0, mean[0]
        return {"X": X, "mean": mean, "std": std} | ({} if eps is None else {"eps": eps})

    return make


def standardize_variants(d: dict, e: Any) -> dict[str, Any]:
    X, mean, std, eps = d["X"], d["mean"], d["std"], d.get("eps", 1e-8)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "test_set_statistics": (X - X.mean(axis=0)) / (X.std(axis=0) + eps),
            "eps_ignored": (X - mean) / (std + 1e-8),
            "divided_by_variance": (X - mean) / (std**2 + eps),
        }


def schedule_epochs(epochs: list[int], **fixed: float):
    """One call per epoch: ``(lr0, epoch, *fixed.values())``, lr0 drawn once."""

    def make(rng: Gen) -> list[dict[str, Any]]:
        lr0 = float(rng.uniform(0.05, 1.0))
        return [{"lr0": lr0, "epoch": e, **fixed} for e in epochs]

    return make


def schedule_variants(target: str, calls: list[dict]) -> dict[str, np.ndarray]:
    """What each known schedule mistake gives over the same calls."""
    lr0 = calls[0]["lr0"]
    e = np.array([c["epoch"] for c in calls], dtype=np.float64)
    if target == "step_decay":
        drop, every = calls[0].get("drop", 0.5), calls[0].get("every", 10)
        return {"step_decay_float_division": lr0 * drop ** (e / every),
                "step_decay_off_by_one": lr0 * drop ** (e // every + 1)}
    if target == "exponential_decay":
        return {"exponential_decay_off_by_one": lr0 * calls[0]["gamma"] ** (e + 1)}
    T, lr_min = calls[0]["total_epochs"], calls[0].get("lr_min", 0.0)
    return {"cosine_lr_min_ignored": lr0 * (1 + np.cos(np.pi * e / T)) / 2,
            "cosine_missing_half": lr_min + (lr0 - lr_min) * (1 + np.cos(np.pi * e / T))}


def weight_list(shapes: list[tuple[int, int]], *, zeros: bool = False):
    def make(rng: Gen) -> dict[str, Any]:
        weights = [rng.standard_normal(s) for s in shapes]
        if zeros:
            for W in weights:
                W[rng.random(W.shape) < 0.3] = 0.0
        return {"weights": weights, "lam": float(rng.uniform(0.01, 0.5))}

    return make


def l1_penalty_variants(d: dict, e: Any) -> dict[str, Any]:
    weights, lam = d["weights"], d["lam"]
    wrong = {"penalty_mean_not_sum": lam * np.mean(np.concatenate([np.abs(W).ravel() for W in weights]))}
    if len(weights) > 1:
        wrong["penalty_first_matrix_only"] = lam * np.abs(weights[0]).sum()
    return wrong


def l2_penalty_variants(d: dict, e: Any) -> dict[str, Any]:
    weights, lam = d["weights"], d["lam"]
    squares = [float((W**2).sum()) for W in weights]
    wrong = {
        "l2_missing_half": lam * sum(squares),
        "l2_norm_not_squared": lam / 2 * sum(np.sqrt(squares)),
        "penalty_mean_not_sum": lam / 2 * sum(squares) / sum(W.size for W in weights),
    }
    if len(weights) > 1:
        wrong["penalty_first_matrix_only"] = lam / 2 * squares[0]
    return wrong


def grad_inputs(shape: tuple[int, int], *, zeros: float = 0.0, elastic: bool = False):
    def make(rng: Gen) -> dict[str, Any]:
        W = rng.standard_normal(shape)
        W[rng.random(shape) < zeros] = 0.0
        lams = {"l1": float(rng.uniform(0.01, 0.5)), "l2": float(rng.uniform(0.6, 1.5))} if elastic else {
            "lam": float(rng.uniform(0.01, 0.5))}
        return {"W": W, **lams}

    return make


def l1_grad_variants(d: dict, e: Any) -> dict[str, Any]:
    W, lam = d["W"], d["lam"]
    return {"l1_sign_at_zero": lam * np.where(W >= 0, 1.0, -1.0), "l1_grad_is_W": lam * W}


def l2_grad_variants(d: dict, e: Any) -> dict[str, Any]:
    return {"l2_grad_factor_two": 2 * d["lam"] * d["W"], "l2_grad_is_sign": d["lam"] * np.sign(d["W"])}


def elastic_variants(d: dict, e: Any) -> dict[str, Any]:
    W, l1, l2 = d["W"], d["l1"], d["l2"]
    return {"elastic_swapped": l2 * np.sign(W) + l1 * W, "l2_grad_factor_two": l1 * np.sign(W) + 2 * l2 * W,
            "l1_sign_at_zero": l1 * np.where(W >= 0, 1.0, -1.0) + l2 * W}


def dropout_inputs(N: int, D: int, p: float, train: bool):
    def make(rng: Gen) -> dict[str, Any]:
        return {"X": rng.standard_normal((N, D)), "p": p, "train": train, "rng": Rng(int(rng.integers(2**31)))}

    return make


def dropout_variants(d: dict, e: Any) -> dict[str, Any]:
    X, p = d["X"], d["p"]
    u = np.random.default_rng(d["rng"].seed).random(X.shape)
    keep = u >= p
    train_answer = [X * keep / (1 - p), keep / (1 - p)]
    if not d["train"]:
        return {"dropout_in_eval": train_answer, "dropout_eval_scaled": [X * (1 - p), np.full(X.shape, 1 - p)]}
    wrong = {"dropout_not_rescaled": [X * keep, keep * 1.0], "dropout_keep_rule": [X * (u < 1 - p) / (1 - p),
                                                                                  (u < 1 - p) / (1 - p)]}
    if p > 0:
        wrong["dropout_p_is_keep_probability"] = [X * (u < p) / p, (u < p) / p]
    return wrong


def dropout_backward_inputs(N: int, D: int, p: float):
    def make(rng: Gen) -> dict[str, Any]:
        return {"dY": rng.standard_normal((N, D)), "mask": (rng.random((N, D)) >= p) / (1 - p)}

    return make


def dropout_backward_variants(d: dict, e: Any) -> dict[str, Any]:
    return {"dropout_backward_not_rescaled": d["dY"] * (d["mask"] > 0), "dropout_backward_forgot_dY": d["mask"]}


def model_inputs(N: int, sizes: list[int]):
    """A random model dict (mean, std, params) and test inputs X far from the training statistics."""

    def make(rng: Gen) -> dict[str, Any]:
        D = sizes[0]
        params = [[rng.normal(0, 1.5 / np.sqrt(n_in), (n_out, n_in)), rng.normal(0, 0.3, n_out)]
                  for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]
        model = {"mean": rng.uniform(-5, 5, D), "std": rng.uniform(0.5, 3.0, D), "params": params}
        return {"model": model, "X": features(rng, N, D)}

    return make


def predict_variants(d: dict, e: Any) -> dict[str, Any]:
    m, X = d["model"], d["X"]
    own = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8)
    return {"predict_not_standardized": mlp_logits(m["params"], X).argmax(axis=1),
            "predict_test_statistics": mlp_logits(m["params"], own).argmax(axis=1)}
