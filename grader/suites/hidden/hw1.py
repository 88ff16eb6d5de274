"""hw1 hidden checks: other shapes, seeds from the course secret, and edge cases (one sample, more features
than samples, a matrix of weights, a single step, a zero learning rate)."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.maker import make
from grader.checks.rules import standard_checks, unchanged, value
from grader.course.hw1 import rules as r

HIDDEN = {  # target: its standard hidden checks (case, points, the sizes its inputs are made with)
    "gd_step": (value("matrix", 2, (3, 4), description="a step on a (3, 4) weight matrix"),
                unchanged("no_mutation", 1, (2, 3), description="w and grad unchanged for a matrix of weights")),
    "dataset_loss": (value("log_cosh", 2, 9, 4, "log_cosh", description="mean of a log-cosh loss over 9 samples"),
                     value("one_sample", 1, 1, 3, "abs_error", description="a data set of one sample"),
                     unchanged("no_mutation", 1, 4, 2, "abs_error",
                               description="X, Y and w unchanged; a single number comes back")),
    "linear_regression_loss": (value("wide", 2, 7, description="one sample with 7 features"),
                               value("one_feature", 1, 1, description="one sample with a single feature")),
    "linear_regression_grad": (value("more_features", 2, 3, 6, description="fewer samples than features "
                                     "(a non-square X)"),
                               value("one_sample", 2, 1, 4, description="a batch of one sample"),
                               unchanged("no_mutation", 1, 7, 3, description="X, Y, w unchanged")),
    "batch_gd": (value("one_step", 1, 5, 2, 1, "huber_grad", description="a single step: losses holds only the loss "
                       "at w0"),
                 unchanged("no_mutation", 1, 7, 3, 4, "ridge_grad", description="w0, X, Y unchanged")),
    "sgd": (value("seeded", 2, 15, 4, 12, "ridge_grad", description="12 seeded steps with a ridge gradient"),
            value("one_sample_set", 1, 1, 3, 4, "huber_grad", description="a data set of one sample"),
            unchanged("no_mutation", 1, 8, 3, 5, "ridge_grad", description="w0, X, Y unchanged")),
}


def zero_lr(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    return {**r.step_inputs(rng, shape), "lr": 0.0}


CHECKS = [
    *standard_checks("hw1", "hidden", r.RULES, HIDDEN),
    r.GD_STEP.value("hw1.gd_step.hidden.zero_lr", 1, make(zero_lr, (5,)),
                    description="lr = 0 leaves the weights as they were"),
    r.BATCH_GD.value("hw1.batch_gd.hidden.weights", 2, make(r.descent_inputs, 12, 4, 7, "ridge_grad"),
                     expect=r.weights_only, description="final weights after 7 steps with a ridge gradient"),
    r.BATCH_GD.value("hw1.batch_gd.hidden.losses", 2, make(r.descent_inputs, 12, 4, 7, "ridge_grad"),
                     expect=r.losses_only, description="losses recorded before each step"),
]
