"""he_normal draws from a generator of its own with a fixed seed, not from the rng it is given."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "he_normal", "init_same_draws"


def he_normal(fan_in, fan_out, rng):
    return np.random.default_rng(0).normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))  # noqa: F405
