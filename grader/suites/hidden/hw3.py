"""hw3 hidden checks: other shapes, seeds (from the course secret) and the edge cases — a single row, a
constant feature, batch sizes of 1 and beyond N, schedule boundaries, p = 0 and p near 1, exact zeros."""

from __future__ import annotations

from dataclasses import replace

from grader.checks.accuracy import AccuracyTask
from grader.checks.factories import SuiteBuilder
from grader.course.hw3 import cases as c
from grader.course.hw3 import kinds as k
from grader.course.hw3 import training as t
from grader.data import load_digits, make_blobs, make_spirals

s = SuiteBuilder("hw3", "hidden", outputs=c.OUTPUTS)

# Accuracy thresholds, calibrated as in the public suite: the reference over 1000 check generators
# (np.random.default_rng([7919, i])), threshold = worst of the 1000 minus 0.02.
SPIRALS_CONFIG = {"hidden": [64, 32], "epochs": 100, "lr": 0.1, "batch_size": 16, "l2": 0.0, "dropout": 0.05,
                  "lr_decay": None}
# reference: mean 0.917, sd 0.032, min 0.802 over 1000 runs (96 held-out points each)
SPIRALS = AccuracyTask("4-class spirals", lambda seed: make_spirals(80, 4, 0.15, seed=seed), 0.3,
                       floor=0.45, threshold=0.78)
DIGITS_CONFIG = {"hidden": [48], "epochs": 20, "lr": 0.05, "batch_size": 64, "l2": 1e-3, "dropout": 0.0,
                 "lr_decay": 0.97}
# reference: mean 0.930, sd 0.009, min 0.903 over 1000 runs (899 held-out digits each)
DIGITS = AccuracyTask("8x8 digits", lambda seed: load_digits(), 0.5, floor=0.5, threshold=0.88)
BLOBS_CONFIG = {"hidden": 16, "epochs": 30, "lr": 0.1, "batch_size": 8, "l2": 1e-4, "dropout": 0.2, "lr_decay": None}
# reference: mean 0.999, sd 0.005, min 0.944 over 1000 runs (72 held-out points each)
BLOBS = AccuracyTask("8-feature blobs", lambda seed: make_blobs(60, 4, 8, 1.0, seed=seed), 0.3,
                     floor=0.5, threshold=0.92)

CHECKS = [
    k.naming_nonfinite(
        s.value("fit_standardizer", "single_row", 1, c.standardizer_inputs(1, 4),
                variants=c.standardizer_variants, description="one sample: std is 0 for every feature"),
        "std_ddof_1"),
    s.value("fit_standardizer", "wide", 1, c.standardizer_inputs(7, 13),
            variants=c.standardizer_variants, description="more features than samples"),
    k.naming_nonfinite(
        s.value("standardize", "constant_feature", 1, c.standardize_inputs(9, 3, zero_std=True),
                variants=c.standardize_variants, description="a feature with std 0 stays finite thanks to eps"),
        "std_without_eps"),
    s.value("standardize", "single_row", 1, c.standardize_inputs(1, 5, eps=1e-3), variants=c.standardize_variants,
            description="one row, a custom eps"),
    # eps = 1e-4 moves each value by about 1e-4 relative: inside float32's precision, well outside this check's
    # tolerance (1e-6), which a float32 answer does not widen.
    s.value("standardize", "small_eps", 0.5, c.standardize_inputs(12, 4, eps=1e-4), variants=c.standardize_variants,
            description="a small custom eps is still used"),
    replace(s.value("standardize", "train_statistics", 1, c.standardize_inputs(40, 6), variants=c.standardize_variants,
                    description="uses the statistics it is given"), kind="property"),
    k.minibatches(s, "batch_of_one", 1, 6, 2, 1, description="batch_size 1"),
    k.minibatches(s, "batch_beyond_n", 1, 5, 3, 8, description="batch_size larger than N: one batch"),
    k.minibatches(s, "exact_multiple", 1, 12, 2, 4, epochs=3, kind="property",
                  description="N a multiple of batch_size, three epochs from one generator"),
    k.minibatches(s, "no_shuffle_partial", 0.5, 10, 3, 4, shuffle=False, description="shuffle=False, partial batch"),
    k.schedule(s, "step_decay", "boundaries", 1, c.schedule_epochs([6, 7, 13, 14, 21], drop=0.25, every=7),
               description="epochs just before and exactly on a step boundary"),
    k.schedule(s, "step_decay", "every_epoch", 1, c.schedule_epochs([0, 1, 2, 5], drop=0.9, every=1),
               description="a drop every epoch"),
    k.schedule(s, "exponential_decay", "extremes", 1, c.schedule_epochs([0, 1, 10, 30], gamma=0.5),
               description="fast decay over many epochs"),
    k.schedule(s, "cosine_decay", "end", 1, c.schedule_epochs([0, 8, 16], total_epochs=16, lr_min=0.05),
               description="epoch == total_epochs gives lr_min"),
    k.schedule(s, "cosine_decay", "one_epoch", 0.5, c.schedule_epochs([0, 1], total_epochs=1),
               description="total_epochs 1"),
    s.value("l1_penalty", "three_layers", 1, c.weight_list([(1, 1), (3, 7), (5, 2)], zeros=True),
            variants=c.l1_penalty_variants, description="three matrices, one of them 1x1, exact zeros"),
    s.value("l1_penalty", "single", 0.5, c.weight_list([(1, 9)]), variants=c.l1_penalty_variants,
            description="a list of one matrix"),
    s.value("l2_penalty", "three_layers", 1, c.weight_list([(1, 1), (3, 7), (5, 2)], zeros=True),
            variants=c.l2_penalty_variants, description="three matrices, one of them 1x1"),
    s.value("l2_penalty", "single", 0.5, c.weight_list([(1, 9)]), variants=c.l2_penalty_variants,
            description="a list of one matrix"),
    s.value("l1_grad", "many_zeros", 1, c.grad_inputs((6, 7), zeros=0.5), variants=c.l1_grad_variants,
            description="half the weights exactly 0: the subgradient there is 0"),
    s.value("l2_grad", "row", 1, c.grad_inputs((1, 9)), variants=c.l2_grad_variants, description="a (1, 9) matrix"),
    s.value("elastic_net_grad", "zeros", 1, c.grad_inputs((4, 2), zeros=0.4, elastic=True),
            variants=c.elastic_variants, description="exact zeros"),
    s.value("dropout_forward", "p_zero", 1, c.dropout_inputs(5, 4, 0.0, True),
            variants=c.dropout_variants, description="p = 0 in train mode keeps everything"),
    s.value("dropout_forward", "p_near_one", 1, c.dropout_inputs(30, 20, 0.95, True),
            variants=c.dropout_variants, description="p close to 1"),
    s.value("dropout_forward", "batch_of_one", 1, c.dropout_inputs(1, 6, 0.5, True),
            variants=c.dropout_variants, description="a single row"),
    s.value("dropout_forward", "eval_high_p", 1, c.dropout_inputs(4, 7, 0.9, False),
            variants=c.dropout_variants, description="eval mode with a large p"),
    s.value("dropout_backward", "batch_of_one", 1, c.dropout_backward_inputs(1, 5, 0.5),
            variants=c.dropout_backward_variants, description="a single row"),
    s.value("dropout_backward", "p_near_one", 1, c.dropout_backward_inputs(8, 9, 0.9),
            variants=c.dropout_backward_variants, description="a mask with large entries"),
    k.init_statistics(s, "xavier_uniform", "square", 1, 256, 256, description="equal fans"),
    k.init_statistics(s, "xavier_uniform", "wide", 1, 1000, 50, description="many inputs, few outputs"),
    k.init_statistics(s, "he_normal", "narrow", 1, 64, 1000, description="few inputs, many outputs"),
    k.init_statistics(s, "he_normal", "wide", 1, 800, 80, description="many inputs, few outputs"),
    t.model_format(s, "model_format", 1, 17, 5, 4, {"hidden": 7, "epochs": 3, "lr": 0.05, "batch_size": 4,
                                                  "l2": 1e-3, "dropout": 0.3, "lr_decay": 0.9},
                   description="hidden as an int, dropout and decay on"),
    t.accuracy(s, "spirals", 3, SPIRALS, SPIRALS_CONFIG, description="held-out accuracy on other spirals"),
    t.accuracy(s, "digits", 3, DIGITS, DIGITS_CONFIG, description="held-out accuracy on the digits, half for training"),
    t.accuracy(s, "blobs", 2, BLOBS, BLOBS_CONFIG, description="held-out accuracy on blobs with dropout"),
    s.value("predict", "batch_of_one", 1, c.model_inputs(1, [4, 6, 3]), variants=c.predict_variants,
            description="a single row"),
    s.value("predict", "deep", 1, c.model_inputs(30, [5, 8, 8, 6, 4]), variants=c.predict_variants,
            description="three hidden layers"),
    t.integer_labels(s, "integer_labels", 0.5, c.model_inputs(1, [2, 3, 2]), description="a single row"),
]
