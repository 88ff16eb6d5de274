"""hw3 rules of weight initialisation, shape (fan_out, fan_in): Xavier's U(−a, a) with
``a = √(6/(fan_in+fan_out))`` and He's N(0, 2/fan_in). Their checks test the draws' statistics
(``grader.course.hw3.kinds.init``): a mistake's model answers the scale (the uniform's bound, the normal's
standard deviation) the mistaken initialiser draws with, given the fans and the right scale."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.mistakes import Mistake
from grader.checks.rules import Rule


def xavier_bound(fan_in: int, fan_out: int) -> float:
    return float(np.sqrt(6.0 / (fan_in + fan_out)))


def he_std(fan_in: int, fan_out: int) -> float:
    return float(np.sqrt(2.0 / fan_in))


# The scale each mistake draws with, from the fans d and the right scale.
def _fan_in_only(d: dict, right: Any) -> Any:
    return np.sqrt(6.0 / d["fan_in"])


def _std_as_bound(d: dict, right: Any) -> Any:
    return np.sqrt(2.0 / (d["fan_in"] + d["fan_out"]))


def _variance_as_std(d: dict, right: Any) -> Any:
    return 2.0 / d["fan_in"]


def _lecun(d: dict, right: Any) -> Any:
    return np.sqrt(1.0 / d["fan_in"])


def _fan_out(d: dict, right: Any) -> Any:
    return np.sqrt(2.0 / d["fan_out"])


TRANSPOSED = Mistake("init_transposed", "the weights have shape (fan_out, fan_in), like torch.nn.Linear.weight")
SAME_DRAWS = Mistake("init_same_draws", "draw from the rng you are given, so different generators give different "
                     "weights")
NOT_REPRODUCIBLE = Mistake("init_not_reproducible", "draw only from the rng you are given, so the same seed gives the "
                           "same weights")

XAVIER_UNIFORM = Rule("xavier_uniform", None, "the weights", (
    Mistake("xavier_fan_in_only", "Xavier's bound uses both fans: a = sqrt(6 / (fan_in + fan_out))", _fan_in_only),
    Mistake("xavier_std_as_bound", "a = sqrt(6 / (fan_in + fan_out)) is the bound of the uniform; its std is a/√3",
            _std_as_bound),
    TRANSPOSED, SAME_DRAWS, NOT_REPRODUCIBLE))
HE_NORMAL = Rule("he_normal", None, "the weights", (
    Mistake("he_variance_as_std", "N(0, 2/fan_in) has variance 2/fan_in: the std is sqrt(2 / fan_in)",
            _variance_as_std),
    Mistake("he_lecun", "He initialisation has variance 2/fan_in (1/fan_in is LeCun's)", _lecun),
    Mistake("he_fan_out", "He initialisation scales by fan_in, the number of inputs of each unit", _fan_out),
    TRANSPOSED, SAME_DRAWS, NOT_REPRODUCIBLE))

RULES = (XAVIER_UNIFORM, HE_NORMAL)
