"""xavier_uniform uses the standard deviation sqrt(2 / (fan_in + fan_out)) as the uniform's bound."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "xavier_uniform", "xavier_std_as_bound"


def xavier_uniform(fan_in, fan_out, rng):
    a = np.sqrt(2.0 / (fan_in + fan_out))  # noqa: F405
    return rng.uniform(-a, a, size=(fan_out, fan_in))
