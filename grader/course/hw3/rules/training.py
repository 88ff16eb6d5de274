"""hw3 rules of the whole trainer: ``train_classifier(X, y, config, rng)`` returns a model dict (the training
set's statistics and the layers), judged by the held-out accuracy of that model under the grader's own forward
(``grader.course.hw3.kinds.training``), and ``predict(model, X)`` returns integer labels (standardise with
the stored statistics, ReLU MLP, argmax)."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.accuracy import mlp_logits
from grader.checks.mistakes import Mistake
from grader.checks.rules import Rule, value
from grader.course.hw3.rules.normalisation import features

Gen = np.random.Generator


def model_inputs(rng: Gen, N: int, sizes: list[int]) -> dict[str, Any]:
    """A random model dict (mean, std, params) and test inputs X far from the training statistics."""
    D = sizes[0]
    params = [[rng.normal(0, 1.5 / np.sqrt(n_in), (n_out, n_in)), rng.normal(0, 0.3, n_out)]
              for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]
    model = {"mean": rng.uniform(-5, 5, D), "std": rng.uniform(0.5, 3.0, D), "params": params}
    return {"model": model, "X": features(rng, N, D)}


# What each mistake answers, from the inputs d and the right answer e.
def _not_standardized(d: dict, e: Any) -> Any:
    return mlp_logits(d["model"]["params"], d["X"]).argmax(axis=1)


def _test_statistics(d: dict, e: Any) -> Any:
    X = d["X"]
    own = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8)
    return mlp_logits(d["model"]["params"], own).argmax(axis=1)


NOT_TRAINING_STATISTICS = Mistake("model_statistics_not_training", "store the training set's own mean and std "
                                  "(fit_standardizer on X) in the model")
WEIGHTS_TRANSPOSED = Mistake("model_weights_transposed", "store each layer's W as (out, in), like torch.nn.Linear "
                             "(the forward is X @ W.T + b)")
NOT_INTEGERS = Mistake("labels_not_integers", "return integer labels, such as logits.argmax(axis=1)")

TRAIN_CLASSIFIER = Rule("train_classifier", None, None, (NOT_TRAINING_STATISTICS, WEIGHTS_TRANSPOSED))
PREDICT = Rule(
    "predict", model_inputs, "the labels",
    (Mistake("predict_not_standardized", "standardise X with the model's stored mean and std before the layers",
             _not_standardized),
     Mistake("predict_test_statistics", "standardise with the model's stored (training) statistics, not those of X",
             _test_statistics),
     NOT_INTEGERS),
    public=(value("basic", 1, 25, [4, 6, 3], description="standardise with the stored statistics, ReLU MLP, argmax"),))

RULES = (TRAIN_CLASSIFIER, PREDICT)
