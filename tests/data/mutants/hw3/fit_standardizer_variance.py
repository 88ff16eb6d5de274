"""fit_standardizer returns the variance as its second statistic."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "fit_standardizer", "variance_not_std"


def fit_standardizer(X):
    return X.mean(axis=0), X.var(axis=0)
