"""xavier_uniform draws from numpy's global generator, not from the rng it is given."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "xavier_uniform", "init_not_reproducible"


def xavier_uniform(fan_in, fan_out, rng):
    a = np.sqrt(6.0 / (fan_in + fan_out))  # noqa: F405
    return np.random.uniform(-a, a, size=(fan_out, fan_in))  # noqa: F405
