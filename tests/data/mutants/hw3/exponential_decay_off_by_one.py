"""exponential_decay decays once too often: gamma^(epoch + 1)."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "exponential_decay", "exponential_decay_off_by_one"


def exponential_decay(lr0, epoch, gamma):
    return lr0 * gamma ** (epoch + 1)
