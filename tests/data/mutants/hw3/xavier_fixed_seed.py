"""xavier_uniform draws from a generator of its own with a fixed seed, not from the rng it is given."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "xavier_uniform", "init_same_draws"


def xavier_uniform(fan_in, fan_out, rng):
    a = np.sqrt(6.0 / (fan_in + fan_out))  # noqa: F405
    return np.random.default_rng(0).uniform(-a, a, size=(fan_out, fan_in))  # noqa: F405
