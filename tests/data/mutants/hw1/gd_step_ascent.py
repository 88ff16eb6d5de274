"""gd_step climbs: w + lr * grad."""

from reference.gradient_descent_np import *  # noqa: F403

TARGET = "gd_step"
MISTAKE = "gd_step_ascent"


def gd_step(w, grad, lr):
    return w + lr * grad
