"""exponential_decay reads gamma as a continuous decay rate: lr0 · e^(−gamma·epoch)."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "exponential_decay", "exponential_decay_as_rate"


def exponential_decay(lr0, epoch, gamma):
    return lr0 * np.exp(-gamma * epoch)  # noqa: F405
