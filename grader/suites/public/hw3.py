"""hw3 public checks: the cases a student can run with ``grader check hw3`` (seeds follow from the ids)."""

from __future__ import annotations

from dataclasses import replace

from grader.checks.accuracy import AccuracyTask
from grader.checks.factories import SuiteBuilder
from grader.course.hw3 import cases as c
from grader.course.hw3 import kinds as k
from grader.course.hw3 import training as t
from grader.data import load_digits, make_spirals

s = SuiteBuilder("hw3", "public", outputs=c.OUTPUTS)

# Accuracy thresholds. Calibration: the reference train_classifier with the config below, over 1000 check
# generators (np.random.default_rng([7919, i]), i < 1000, each drawing data, split and training seeds as
# the check does). Threshold = the worst of the 1000 held-out accuracies minus 0.02, so a correct
# submission falls below it with probability well under 1e-3 (1/1001 for the minimum alone, before the margin).
# Floors: a linear classifier reaches about half on the spirals; the digits need at least that to count.
SPIRALS_CONFIG = {"hidden": 64, "epochs": 80, "lr": 0.2, "batch_size": 16, "l2": 1e-4, "dropout": 0.0,
                  "lr_decay": 0.98}
# reference: mean 0.967, sd 0.019, min 0.889 over 1000 runs (90 held-out points each)
SPIRALS = AccuracyTask("3-class spirals", lambda seed: make_spirals(100, 3, 0.2, seed=seed), 0.3,
                       floor=0.55, threshold=0.87)
DIGITS_CONFIG = {"hidden": 64, "epochs": 15, "lr": 0.1, "batch_size": 32, "l2": 1e-4, "dropout": 0.1,
                 "lr_decay": 0.95}
# reference: mean 0.965, sd 0.008, min 0.939 over 1000 runs (539 held-out digits each)
DIGITS = AccuracyTask("8x8 digits", lambda seed: load_digits(), 0.3, floor=0.5, threshold=0.92)

CHECKS = [
    s.value("fit_standardizer", "basic", 1, c.standardizer_inputs(40, 5),
            variants=c.standardizer_variants, description="per-feature mean and population std (ddof=0)"),
    s.unchanged("fit_standardizer", "no_mutation", 0.5, c.standardizer_inputs(12, 3),
                description="X unchanged; mean and std of shape (D,)"),
    s.value("standardize", "basic", 1, c.standardize_inputs(30, 4), variants=c.standardize_variants,
            description="(X - mean) / (std + eps) with given statistics"),
    s.value("standardize", "eps", 0.5, c.standardize_inputs(10, 3, eps=0.5), variants=c.standardize_variants,
            description="the eps argument is used"),
    replace(s.value("standardize", "train_statistics", 1, c.standardize_inputs(25, 3), variants=c.standardize_variants,
                    description="uses the mean and std it is given (the training set's), not those of X"),
            kind="property"),
    s.unchanged("standardize", "no_mutation", 0.5, c.standardize_inputs(8, 3),
                description="X, mean, std unchanged; the result has X's shape"),
    k.minibatches(s, "order", 1, 23, 3, 5, description="batches follow rng.permutation(N); last partial batch kept"),
    k.minibatches(s, "once_per_epoch", 1, 17, 2, 4, epochs=2, kind="property",
                  description="two epochs from one generator: every sample exactly once per epoch"),
    k.minibatches(s, "no_shuffle", 0.5, 11, 2, 4, shuffle=False, description="shuffle=False keeps the order"),
    k.schedule(s, "step_decay", "defaults", 1, c.schedule_epochs([0, 1, 9, 10, 11, 19, 20, 35]),
               description="lr0 · 0.5^(epoch // 10) with the default drop and every"),
    k.schedule(s, "step_decay", "custom", 1, c.schedule_epochs([0, 2, 3, 4, 7, 8, 13], drop=0.3, every=4),
               description="drop=0.3 every 4 epochs"),
    k.schedule(s, "exponential_decay", "basic", 1, c.schedule_epochs([0, 1, 2, 5, 17], gamma=0.9),
               description="lr0 · gamma^epoch"),
    k.schedule(s, "cosine_decay", "basic", 1, c.schedule_epochs([0, 3, 10, 17], total_epochs=20),
               description="cosine from lr0 to 0 over 20 epochs"),
    k.schedule(s, "cosine_decay", "lr_min", 1,
               c.schedule_epochs([0, 5, 12, 24], total_epochs=30, lr_min=0.01),
               description="cosine from lr0 to lr_min"),
    s.value("l1_penalty", "two_layers", 1, c.weight_list([(4, 3), (2, 4)]), variants=c.l1_penalty_variants,
            description="lam · Σ|W| over a list of two weight matrices"),
    s.value("l2_penalty", "two_layers", 1, c.weight_list([(4, 3), (2, 4)]), variants=c.l2_penalty_variants,
            description="lam/2 · Σ‖W‖² over a list of two weight matrices"),
    s.value("l1_grad", "basic", 1, c.grad_inputs((5, 4), zeros=0.2), variants=c.l1_grad_variants,
            description="lam · sign(W), 0 where W == 0"),
    s.value("l2_grad", "basic", 1, c.grad_inputs((5, 4)), variants=c.l2_grad_variants, description="lam · W"),
    s.value("elastic_net_grad", "basic", 1, c.grad_inputs((3, 6), zeros=0.2, elastic=True),
            variants=c.elastic_variants, description="l1 · sign(W) + l2 · W"),
    s.value("dropout_forward", "train", 1, c.dropout_inputs(20, 8, 0.3, True),
            variants=c.dropout_variants, description="keep = rng.random(X.shape) >= p, mask = keep / (1 - p)"),
    s.value("dropout_forward", "eval", 1, c.dropout_inputs(6, 5, 0.5, False),
            variants=c.dropout_variants, description="train=False: Y is X and the mask is ones"),
    s.unchanged("dropout_forward", "no_mutation", 0.5, c.dropout_inputs(6, 4, 0.4, True),
                description="X unchanged; Y and mask of X's shape"),
    s.value("dropout_backward", "basic", 1, c.dropout_backward_inputs(10, 6, 0.25),
            variants=c.dropout_backward_variants, description="dY · mask"),
    k.init_statistics(s, "xavier_uniform", "statistics", 2, 300, 200,
                      description="shape (fan_out, fan_in), U(-a, a) with a = sqrt(6/(fan_in + fan_out))"),
    k.init_seeding(s, "xavier_uniform", "seeded", 0.5, 6, 4, description="draws come from the rng given"),
    k.init_statistics(s, "he_normal", "statistics", 2, 400, 150,
                      description="shape (fan_out, fan_in), N(0, 2/fan_in)"),
    k.init_seeding(s, "he_normal", "seeded", 0.5, 6, 4, description="draws come from the rng given"),
    t.model_format(s, "model_format", 1, 30, 3, 3, {"hidden": [8, 6], "epochs": 2, "lr": 0.1, "batch_size": 8,
                                                  "l2": 0.0, "dropout": 0.0, "lr_decay": None},
                   description='model dict: training mean and std, params [(W, b)] with W (out, in)'),
    t.accuracy(s, "spirals", 3, SPIRALS, SPIRALS_CONFIG, description="held-out accuracy on 3-class spirals"),
    t.accuracy(s, "digits", 3, DIGITS, DIGITS_CONFIG, description="held-out accuracy on the 8x8 digits"),
    s.value("predict", "basic", 1, c.model_inputs(25, [4, 6, 3]), variants=c.predict_variants,
            description="standardise with the stored statistics, ReLU MLP, argmax"),
    t.integer_labels(s, "integer_labels", 0.5, c.model_inputs(7, [3, 5, 4]),
                     description="integer labels of shape (N,)"),
]
