"""Accuracy tasks draw their data disguised (``grader.checks.accuracy.disguise``): features shuffled and negated,
classes renamed, from the check's seed. Weights trained elsewhere on a public data set do not fit it
(``test_red_team.py::test_weights_trained_elsewhere_on_a_public_data_set_earn_nothing``); a model trained on it does
as well as on the original, so the thresholds calibrated on the original stand."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.accuracy import _split, disguise, draw
from grader.course.hw3.kinds.training import model_predict
from grader.data import digits
from grader.suites import load_checks


def digits_task():
    return next(c.params["task"] for c in load_checks("hw3", include_hidden=False)
                if c.id == "hw3.train_classifier.public.digits")


def test_the_disguise_renames_and_reorders_but_loses_nothing() -> None:
    parts = _split(digits_task(), 0, 3)
    X_train, X_test, y_train, y_test = disguise(parts, seed=11)
    again = disguise(parts, seed=11)
    assert all(np.array_equal(a, b) for a, b in zip((X_train, X_test, y_train, y_test), again, strict=True))
    assert not np.array_equal(X_train, parts[0]) and not np.array_equal(y_train, parts[2])
    assert not np.array_equal(disguise(parts, seed=12)[0], X_train)  # another seed, another disguise
    # undone: the columns are the original ones (the digits' pixels are >= 0: negated or not), in another order,
    # and each class has another's name
    def columns(X: np.ndarray, X_other: np.ndarray) -> list[bytes]:
        return sorted(column.tobytes() for column in np.abs(np.vstack([X, X_other])).T)

    assert columns(X_train, X_test) == columns(parts[0], parts[1])
    renamed = {int(a): int(b) for a, b in zip(parts[2], y_train, strict=True)}
    assert sorted(renamed) == sorted(renamed.values()) == list(range(10))
    assert all(renamed[int(a)] == int(b) for a, b in zip(parts[3], y_test, strict=True))
    assert all(not part.flags.writeable for part in parts)  # the kept split itself is never changed


def test_a_draw_is_disguised_and_the_callers_own() -> None:
    d = draw(digits_task(), np.random.default_rng(5))
    X, _ = digits(0)
    assert d.X_train.shape[1] == X.shape[1] and d.X_train.flags.writeable
    assert not any(np.array_equal(d.X_train[0], row) for row in X)  # no row of the public set as it was


TRAINED = [c for c in load_checks("hw3", include_hidden=True) if c.kind == "trained_classifier"]


@pytest.mark.slow
@pytest.mark.parametrize("check", TRAINED, ids=lambda c: c.id)
def test_the_reference_reaches_each_tasks_threshold_on_disguised_data(check) -> None:
    import reference.practice_np as practice

    config = {**practice.DEFAULT_CONFIG, **check.params["config"]}
    for seed in (0, 1):
        d = draw(check.params["task"], np.random.default_rng(seed))
        model = practice.train_classifier(d.X_train, d.y_train, config, np.random.default_rng(d.train_seed))
        accuracy = np.mean(model_predict(model, d.X_test) == d.y_test)
        assert accuracy >= check.params["task"].threshold, (seed, accuracy)
