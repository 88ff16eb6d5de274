"""hw3 rules of input normalisation: per-feature statistics of the training set (population std, ddof=0) and
standardisation with given statistics, ``(X − mean) / (std + eps)``. Shapes: X (N, D), statistics (D,)."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.mistakes import Mistake
from grader.checks.rules import Rule, unchanged, value

Gen = np.random.Generator


def features(rng: Gen, N: int, D: int) -> np.ndarray:
    """Features with their own offsets and scales, so statistics matter: (N, D)."""
    return rng.normal(rng.uniform(-3, 3, D), rng.uniform(0.5, 4.0, D), size=(N, D))


def standardizer_inputs(rng: Gen, N: int, D: int) -> dict[str, Any]:
    return {"X": features(rng, N, D)}


def standardize_inputs(rng: Gen, N: int, D: int, eps: float | None = None, zero_std: bool = False) -> dict[str, Any]:
    """Training statistics that differ from X's own (as on a test set); optionally a constant feature."""
    mean, std = rng.uniform(-3, 3, D), rng.uniform(0.5, 3.0, D)
    X = features(rng, N, D)
    if zero_std:
        std[0], X[:, 0] = 0.0, mean[0]
    return {"X": X, "mean": mean, "std": std} | ({} if eps is None else {"eps": eps})


# What each mistake answers, from the inputs d and the right answer e.
def _per_sample(d: dict, e: Any) -> Any:
    return [d["X"].mean(axis=1), d["X"].std(axis=1)]


def _variance(d: dict, e: Any) -> Any:
    return [d["X"].mean(axis=0), d["X"].var(axis=0)]


def _ddof_1(d: dict, e: Any) -> Any:
    X = d["X"]
    return [X.mean(axis=0), X.std(axis=0, ddof=1)] if len(X) > 1 else None


def _test_statistics(d: dict, e: Any) -> Any:
    X, eps = d["X"], d.get("eps", 1e-8)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (X - X.mean(axis=0)) / (X.std(axis=0) + eps)


def _eps_ignored(d: dict, e: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (d["X"] - d["mean"]) / (d["std"] + 1e-8)


def _by_variance(d: dict, e: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (d["X"] - d["mean"]) / (d["std"] ** 2 + d.get("eps", 1e-8))


STD_DDOF_1 = Mistake("std_ddof_1", "this is the sample std (ddof=1); use the population std, ddof=0 (numpy's default)",
                     _ddof_1)
STD_WITHOUT_EPS = Mistake("std_without_eps", "a constant feature has std 0: add eps to the std so the result stays "
                          "finite")  # named when the answer holds NaN or inf (the check's ``nonfinite``)

FIT_STANDARDIZER = Rule(
    "fit_standardizer", standardizer_inputs, ("mean", "std"),
    (Mistake("stats_per_sample", "the statistics are per feature: average over the samples, axis=0, giving shape "
             "(D,)", _per_sample),
     Mistake("variance_not_std", "the second statistic is the standard deviation, not the variance", _variance),
     STD_DDOF_1),
    public=(value("basic", 1, 40, 5, description="per-feature mean and population std (ddof=0)"),
            unchanged("no_mutation", 0.5, 12, 3, description="X unchanged; mean and std of shape (D,)")))
STANDARDIZE = Rule(
    "standardize", standardize_inputs, "the standardised X",
    (Mistake("test_set_statistics", "use the mean and std you are given (the training set's), not statistics of X "
             "itself", _test_statistics),
     Mistake("eps_ignored", "use the eps argument: (X − mean) / (std + eps)", _eps_ignored),
     Mistake("divided_by_variance", "divide by the standard deviation (plus eps), not by the variance", _by_variance),
     STD_WITHOUT_EPS),
    public=(value("basic", 1, 30, 4, description="(X - mean) / (std + eps) with given statistics"),
            value("eps", 0.5, 10, 3, eps=0.5, description="the eps argument is used"),
            value("train_statistics", 1, 25, 3, description="uses the mean and std it is given (the training "
                  "set's), not those of X"),
            unchanged("no_mutation", 0.5, 8, 3, description="X, mean, std unchanged; the result has X's shape")))

RULES = (FIT_STANDARDIZER, STANDARDIZE)
