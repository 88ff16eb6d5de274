"""hw3 rules of learning-rate schedules, each a function of the epoch: ``step_decay`` (``lr0·drop^(epoch //
every)``), ``exponential_decay`` (``lr0·gamma^epoch``), ``cosine_decay`` (from lr0 to lr_min over
total_epochs). A check calls one over many epochs (``grader.course.hw3.kinds.schedules``); a mistake's model
gets those calls and the right rates, and answers the rates the mistake gives."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.mistakes import Mistake
from grader.checks.rules import Rule


def schedule_epochs(rng: np.random.Generator, epochs: list[int], **fixed: float) -> list[dict[str, Any]]:
    """One call per epoch: ``(lr0, epoch, *fixed.values())``, lr0 drawn once."""
    lr0 = float(rng.uniform(0.05, 1.0))
    return [{"lr0": lr0, "epoch": e, **fixed} for e in epochs]


def _epochs(calls: list[dict]) -> tuple[float, np.ndarray]:
    return calls[0]["lr0"], np.array([c["epoch"] for c in calls], dtype=np.float64)


def _float_division(calls: list[dict], right: Any) -> Any:
    lr0, e = _epochs(calls)
    return lr0 * calls[0].get("drop", 0.5) ** (e / calls[0].get("every", 10))


def _step_off_by_one(calls: list[dict], right: Any) -> Any:
    lr0, e = _epochs(calls)
    return lr0 * calls[0].get("drop", 0.5) ** (e // calls[0].get("every", 10) + 1)


def _exponential_off_by_one(calls: list[dict], right: Any) -> Any:
    lr0, e = _epochs(calls)
    return lr0 * calls[0]["gamma"] ** (e + 1)


def _exp_rate(calls: list[dict], right: Any) -> Any:
    lr0, e = _epochs(calls)
    return lr0 * np.exp(-calls[0]["gamma"] * e)


def _lr_min_ignored(calls: list[dict], right: Any) -> Any:
    lr0, e = _epochs(calls)
    return lr0 * (1 + np.cos(np.pi * e / calls[0]["total_epochs"])) / 2


def _missing_half(calls: list[dict], right: Any) -> Any:
    lr0, e = _epochs(calls)
    lr_min = calls[0].get("lr_min", 0.0)
    return lr_min + (lr0 - lr_min) * (1 + np.cos(np.pi * e / calls[0]["total_epochs"]))


STEP_DECAY = Rule("step_decay", schedule_epochs, "lr", (
    Mistake("step_decay_float_division", "the exponent is the integer epoch // every, not epoch / every",
            _float_division),
    Mistake("step_decay_off_by_one", "the first drop happens at epoch == every: lr0 · drop^(epoch // every)",
            _step_off_by_one)))
EXPONENTIAL_DECAY = Rule("exponential_decay", schedule_epochs, "lr", (
    Mistake("exponential_decay_off_by_one", "lr0 · gamma^epoch: epoch 0 gives lr0", _exponential_off_by_one),
    Mistake("exponential_decay_as_rate", "gamma is the factor per epoch: lr0 · gamma^epoch, not lr0 · e^(−gamma·epoch)",
            _exp_rate)))
COSINE_DECAY = Rule("cosine_decay", schedule_epochs, "lr", (
    Mistake("cosine_lr_min_ignored", "the schedule ends at lr_min: lr_min + (lr0 − lr_min)(1 + cos(π·epoch/T))/2",
            _lr_min_ignored),
    Mistake("cosine_missing_half", "(1 + cos(π·epoch/T)) / 2 runs from 1 to 0: the /2 is missing", _missing_half)))

RULES = (STEP_DECAY, EXPONENTIAL_DECAY, COSINE_DECAY)
