"""he_normal returns (fan_in, fan_out) weights."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "he_normal", "init_transposed"


def he_normal(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))  # noqa: F405
