"""hw1 public checks: the cases a student can run with ``grader check hw1`` (seeds follow from the ids)."""

from __future__ import annotations

from grader.checks.factories import SuiteBuilder
from grader.course.hw1 import cases as c

s = SuiteBuilder("hw1", "public", __name__, c.OUTPUTS)
WD = ("w", "losses")
GD = {"names": WD, "variants": c.batch_gd_variants, "own": c.own_batch_gd}
SGD = {"variants": c.sgd_variants, "own": c.own_sgd}

CHECKS = [
    s.value("gd_step", "basic", 1, c.step_inputs((4,)), variants=c.step_variants,
            description="one step w - lr*grad on a vector"),
    s.unchanged("gd_step", "no_mutation", 0.5, c.step_inputs((4,)),
                description="w and grad are left unchanged; a new array of w's shape comes back"),
    s.value("dataset_loss", "abs_error", 1, c.dataset_inputs(6, 3, "abs_error"), variants=c.dataset_variants,
            description="mean of a per-sample loss (absolute error) over 6 samples"),
    s.value("linear_regression_loss", "basic", 1, c.loss_inputs(3), variants=c.loss_variants,
            description="½ (x·w − y)² for one sample"),
    s.value("linear_regression_grad", "basic", 1, c.grad_inputs(8, 3), variants=c.grad_variants,
            description="1/m Xᵀ(Xw − Y) on 8 samples, 3 features"),
    s.unchanged("linear_regression_grad", "no_mutation", 0.5, c.grad_inputs(5, 2),
                description="X, Y, w unchanged; the gradient has w's shape"),
    s.value("batch_gd", "weights", 1, c.descent_inputs(10, 3, 5, "huber_grad"), expect=c.weights_only, **GD,
            description="final weights after 5 steps with a Huber-loss gradient"),
    s.value("batch_gd", "losses", 1, c.descent_inputs(10, 3, 5, "huber_grad"), expect=c.losses_only, **GD,
            description="losses[t] is the squared-error loss before step t"),
    s.unchanged("batch_gd", "no_mutation", 0.5, c.descent_inputs(6, 2, 3, "huber_grad"), names=WD,
                description="w0, X, Y unchanged; returns (w, losses) with losses of shape (steps,)"),
    s.value("sgd", "seeded", 1, c.descent_inputs(10, 3, 6, "huber_grad", seeded=True), **SGD,
            description="6 seeded steps, one sample k = rng.integers(0, N) each"),
    s.unchanged("sgd", "no_mutation", 0.5, c.descent_inputs(6, 2, 3, "huber_grad", seeded=True),
                description="w0, X, Y unchanged; the weights have w0's shape"),
]
