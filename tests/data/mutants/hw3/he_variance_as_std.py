"""he_normal passes the variance 2/fan_in where numpy wants the standard deviation."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "he_normal", "he_variance_as_std"


def he_normal(fan_in, fan_out, rng):
    return rng.normal(0.0, 2.0 / fan_in, size=(fan_out, fan_in))
