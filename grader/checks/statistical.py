"""Statistical checks on random draws, with rigorous false-failure bounds (no asymptotics, no scipy).

Each test below accepts a correct sampler except with probability at most ``delta``; a check that runs
several tests on one draw fails a correct submission with probability at most the sum of their deltas
(union bound). ``DELTA = 1e-7`` per test keeps a check of up to ten tests below 1e-6.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DELTA = 1e-7
FLOAT32_SLACK = 1e-6  # a correct draw stored as float32 may round past the bound by half an ulp (6e-8)


@dataclass(frozen=True)
class Finding:
    """One test's outcome: ``ok``, and what was measured against what, in a student's terms."""

    ok: bool
    what: str
    observed: float
    expected: float
    tolerance: float

    def describe(self) -> str:
        if self.tolerance == 0.0:
            return f"{self.what} is {self.observed:.4g}, expected at most {self.expected:.4g}"
        return f"{self.what} is {self.observed:.4g}, expected {self.expected:.4g} ± {self.tolerance:.2g}"


def hoeffding_halfwidth(n: int, low: float, high: float, delta: float = DELTA) -> float:
    """Half-width t with P(|mean - E| >= t) <= delta for n i.i.d. values in [low, high] (Hoeffding):
    ``2 exp(-2 n t² / (high - low)²) = delta``."""
    return (high - low) * math.sqrt(math.log(2.0 / delta) / (2.0 * n))


def gaussian_mean_halfwidth(n: int, sigma: float, delta: float = DELTA) -> float:
    """Half-width for the mean of n i.i.d. N(mu, sigma²): the mean is exactly N(mu, sigma²/n) and
    ``P(|Z| >= z) <= 2 exp(-z²/2)`` (Chernoff), so ``z = sqrt(2 ln(2/delta))``."""
    return sigma * math.sqrt(2.0 * math.log(2.0 / delta) / n)


def chi2_interval(n: int, delta: float = DELTA) -> tuple[float, float]:
    """An interval holding a chi-square variable with n degrees of freedom except with probability <= delta.

    Laurent & Massart (2000), Lemma 1: ``P(X - n >= 2 sqrt(n t) + 2 t) <= e^-t`` and
    ``P(n - X >= 2 sqrt(n t)) <= e^-t``; each tail gets delta / 2.
    """
    t = math.log(2.0 / delta)
    return n - 2.0 * math.sqrt(n * t), n + 2.0 * math.sqrt(n * t) + 2.0 * t


def mean_within(values: np.ndarray, expected: float, halfwidth: float, what: str) -> Finding:
    observed = float(np.mean(values))
    return Finding(abs(observed - expected) < halfwidth, what, observed, expected, halfwidth)


def uniform_findings(values: np.ndarray, a: float, delta: float = DELTA) -> list[Finding]:
    """Tests that ``values`` are i.i.d. U(-a, a): all inside [-a, a], mean 0, mean square a²/3, and half of
    them inside [-a/2, a/2] (which tells a uniform from a normal of the same variance). All Hoeffding."""
    v = np.ravel(values).astype(np.float64)
    n = v.size
    inside = float(np.max(np.abs(v))) if n else 0.0
    return [
        Finding(inside <= a * (1 + FLOAT32_SLACK), "the largest |value|", inside, a, 0.0),
        mean_within(v, 0.0, hoeffding_halfwidth(n, -a, a, delta), "the mean"),
        mean_within(v**2, a * a / 3.0, hoeffding_halfwidth(n, 0.0, a * a, delta), "the variance (mean square)"),
        mean_within(np.abs(v) <= a / 2, 0.5, hoeffding_halfwidth(n, 0.0, 1.0, delta), "the share inside [-a/2, a/2]"),
    ]


def normal_findings(values: np.ndarray, sigma: float, delta: float = DELTA) -> list[Finding]:
    """Tests that ``values`` are i.i.d. N(0, sigma²): the mean (exact normal tail), the variance
    (``sum(v²)/sigma²`` is chi-square with n degrees of freedom), and the share inside one sigma
    (``erf(1/sqrt 2)`` ≈ 0.683, Hoeffding), which tells a normal from a uniform of the same variance."""
    v = np.ravel(values).astype(np.float64)
    n = v.size
    low, high = chi2_interval(n, delta)
    variance = float(np.mean(v**2))
    half = sigma**2 * (high - low) / (2 * n)  # for the message only: the test uses the exact interval
    return [
        mean_within(v, 0.0, gaussian_mean_halfwidth(n, sigma, delta), "the mean"),
        Finding(sigma**2 * low / n < variance < sigma**2 * high / n, "the variance (mean square)",
                variance, sigma**2, half),
        mean_within(
            np.abs(v) <= sigma, math.erf(1 / math.sqrt(2)), hoeffding_halfwidth(n, 0.0, 1.0, delta),
            "the share inside one standard deviation",
        ),
    ]


def false_failure_bound(findings: list[Finding], delta: float = DELTA) -> float:
    """Union bound on the probability that a correct sampler fails any of these tests (the range test is exact)."""
    return delta * sum(1 for f in findings if f.tolerance > 0.0)
