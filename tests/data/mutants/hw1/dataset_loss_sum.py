"""dataset_loss sums the per-sample losses instead of averaging them."""

from reference.gradient_descent_np import *  # noqa: F403

TARGET = "dataset_loss"
MISTAKE = "loss_sum_not_mean"


def dataset_loss(loss_fn, X, Y, w):
    return float(sum(loss_fn(x, y, w) for x, y in zip(X, Y, strict=True)))
