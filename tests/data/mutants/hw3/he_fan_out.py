"""he_normal scales by fan_out instead of fan_in."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "he_normal", "he_fan_out"


def he_normal(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / fan_out), size=(fan_out, fan_in))  # noqa: F405
