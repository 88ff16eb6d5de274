"""hw1 hidden checks: other shapes, seeds from the course secret, and edge cases (one sample,
more features than samples, a matrix of weights, a single step)."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.factories import SuiteBuilder
from grader.course.hw1 import cases as c

s = SuiteBuilder("hw1", "hidden", __name__, c.OUTPUTS)
WD = ("w", "losses")
GD = {"names": WD, "variants": c.batch_gd_variants, "own": c.own_batch_gd}
SGD = {"variants": c.sgd_variants, "own": c.own_sgd}


def zero_lr(rng: np.random.Generator) -> dict[str, Any]:
    d = c.step_inputs((5,))(rng)
    return {**d, "lr": 0.0}


CHECKS = [
    s.value("gd_step", "matrix", 2, c.step_inputs((3, 4)), variants=c.step_variants,
            description="a step on a (3, 4) weight matrix"),
    s.value("gd_step", "zero_lr", 1, zero_lr, description="lr = 0 leaves the weights as they were"),
    s.unchanged("gd_step", "no_mutation", 1, c.step_inputs((2, 3)),
                description="w and grad unchanged for a matrix of weights"),
    s.value("dataset_loss", "log_cosh", 2, c.dataset_inputs(9, 4, "log_cosh"), variants=c.dataset_variants,
            description="mean of a log-cosh loss over 9 samples"),
    s.value("dataset_loss", "one_sample", 1, c.dataset_inputs(1, 3, "abs_error"), variants=c.dataset_variants,
            description="a data set of one sample"),
    s.unchanged("dataset_loss", "no_mutation", 1, c.dataset_inputs(4, 2, "abs_error"),
                description="X, Y and w unchanged; a single number comes back"),
    s.value("linear_regression_loss", "wide", 2, c.loss_inputs(7), variants=c.loss_variants,
            description="one sample with 7 features"),
    s.value("linear_regression_loss", "one_feature", 1, c.loss_inputs(1), variants=c.loss_variants,
            description="one sample with a single feature"),
    s.value("linear_regression_grad", "more_features", 2, c.grad_inputs(3, 6), variants=c.grad_variants,
            description="fewer samples than features (a non-square X)"),
    s.value("linear_regression_grad", "one_sample", 2, c.grad_inputs(1, 4), variants=c.grad_variants,
            description="a batch of one sample"),
    s.unchanged("linear_regression_grad", "no_mutation", 1, c.grad_inputs(7, 3),
                description="X, Y, w unchanged"),
    s.value("batch_gd", "weights", 2, c.descent_inputs(12, 4, 7, "ridge_grad"), expect=c.weights_only, **GD,
            description="final weights after 7 steps with a ridge gradient"),
    s.value("batch_gd", "losses", 2, c.descent_inputs(12, 4, 7, "ridge_grad"), expect=c.losses_only, **GD,
            description="losses recorded before each step"),
    s.value("batch_gd", "one_step", 1, c.descent_inputs(5, 2, 1, "huber_grad"), **GD,
            description="a single step: losses holds only the loss at w0"),
    s.unchanged("batch_gd", "no_mutation", 1, c.descent_inputs(7, 3, 4, "ridge_grad"), names=WD,
                description="w0, X, Y unchanged"),
    s.value("sgd", "seeded", 2, c.descent_inputs(15, 4, 12, "ridge_grad", seeded=True), **SGD,
            description="12 seeded steps with a ridge gradient"),
    s.value("sgd", "one_sample_set", 1, c.descent_inputs(1, 3, 4, "huber_grad", seeded=True), **SGD,
            description="a data set of one sample"),
    s.unchanged("sgd", "no_mutation", 1, c.descent_inputs(8, 3, 5, "ridge_grad", seeded=True),
                description="w0, X, Y unchanged"),
]
