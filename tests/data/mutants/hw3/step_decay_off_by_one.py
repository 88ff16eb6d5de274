"""step_decay drops one step too early: lr0 · drop^(epoch // every + 1)."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "step_decay", "step_decay_off_by_one"


def step_decay(lr0, epoch, drop=0.5, every=10):
    return lr0 * drop ** (epoch // every + 1)
