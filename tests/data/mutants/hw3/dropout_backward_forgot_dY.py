"""dropout_backward returns the mask without the upstream gradient."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "dropout_backward", "dropout_backward_forgot_dY"


def dropout_backward(dY, mask):
    return mask.copy()
