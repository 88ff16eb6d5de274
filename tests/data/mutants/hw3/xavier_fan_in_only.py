"""xavier_uniform bounds the uniform by sqrt(6 / fan_in)."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "xavier_uniform", "xavier_fan_in_only"


def xavier_uniform(fan_in, fan_out, rng):
    a = np.sqrt(6.0 / fan_in)  # noqa: F405
    return rng.uniform(-a, a, size=(fan_out, fan_in))
