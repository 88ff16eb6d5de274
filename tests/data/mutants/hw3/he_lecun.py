"""he_normal draws with LeCun's variance 1/fan_in."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "he_normal", "he_lecun"


def he_normal(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), size=(fan_out, fan_in))  # noqa: F405
