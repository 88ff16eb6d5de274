"""cosine_decay ignores lr_min."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "cosine_decay", "cosine_lr_min_ignored"


def cosine_decay(lr0, epoch, total_epochs, lr_min=0.0):
    return lr0 * (1 + np.cos(np.pi * epoch / total_epochs)) / 2  # noqa: F405
