"""fit_standardizer averages over the wrong axis: statistics per sample, not per feature."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "fit_standardizer", "stats_per_sample"


def fit_standardizer(X):
    return X.mean(axis=1), X.std(axis=1)
