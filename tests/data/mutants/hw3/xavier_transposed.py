"""xavier_uniform returns (fan_in, fan_out) weights."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "xavier_uniform", "init_transposed"


def xavier_uniform(fan_in, fan_out, rng):
    a = np.sqrt(6.0 / (fan_in + fan_out))  # noqa: F405
    return rng.uniform(-a, a, size=(fan_in, fan_out))
