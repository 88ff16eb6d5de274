"""fit_standardizer returns the sample std (ddof=1) instead of the population std."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "fit_standardizer", "std_ddof_1"


def fit_standardizer(X):
    return X.mean(axis=0), X.std(axis=0, ddof=1)
