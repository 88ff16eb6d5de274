"""gd_step updates w in place (w -= lr * grad): right value, but the caller's w changes."""

from reference.gradient_descent_np import *  # noqa: F403

TARGET = "gd_step"
MISTAKE = "mutated_input"


def gd_step(w, grad, lr):
    w -= lr * grad
    return w
