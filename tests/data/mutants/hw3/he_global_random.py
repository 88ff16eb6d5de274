"""he_normal draws from numpy's global generator, not from the rng it is given."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "he_normal", "init_not_reproducible"


def he_normal(fan_in, fan_out, rng):
    return np.random.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))  # noqa: F405
