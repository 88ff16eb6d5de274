"""cosine_decay forgets the /2: the schedule starts at twice lr0."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "cosine_decay", "cosine_missing_half"


def cosine_decay(lr0, epoch, total_epochs, lr_min=0.0):
    return lr_min + (lr0 - lr_min) * (1 + np.cos(np.pi * epoch / total_epochs))  # noqa: F405
