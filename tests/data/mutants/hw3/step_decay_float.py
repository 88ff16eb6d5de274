"""step_decay divides the epoch by `every` without flooring."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "step_decay", "step_decay_float_division"


def step_decay(lr0, epoch, drop=0.5, every=10):
    return lr0 * drop ** (epoch / every)
