"""hw3 hidden checks: other shapes, seeds (from the course secret) and the edge cases — a single row, a
constant feature, batch sizes of 1 and beyond N, schedule boundaries, p = 0 and p near 1, exact zeros."""

from __future__ import annotations

from typing import Any

from grader.checks.accuracy import AccuracyTask
from grader.checks.maker import bound, make
from grader.checks.rules import standard_checks, value
from grader.course.hw3.rules import RULE, RULES, init, normalisation, schedules, training
from grader.data import digits, make_blobs, make_spirals

# Accuracy thresholds, calibrated as in the public suite: the reference over 1000 check generators
# (np.random.default_rng([7919, i])), threshold = worst of the 1000 minus 0.02.
SPIRALS_CONFIG = {"hidden": [64, 32], "epochs": 100, "lr": 0.1, "batch_size": 16, "l2": 0.0, "dropout": 0.05,
                  "lr_decay": None}
# reference: mean 0.917, sd 0.032, min 0.802 over 1000 runs (96 held-out points each)
SPIRALS = AccuracyTask("4-class spirals", bound(make_spirals, 80, 4, 0.15), 0.3, floor=0.45, threshold=0.78)
DIGITS_CONFIG = {"hidden": [48], "epochs": 20, "lr": 0.05, "batch_size": 64, "l2": 1e-3, "dropout": 0.0,
                 "lr_decay": 0.97}
# reference: mean 0.930, sd 0.009, min 0.903 over 1000 runs (899 held-out digits each)
DIGITS = AccuracyTask("8x8 digits", digits, 0.5, floor=0.5, threshold=0.88)
BLOBS_CONFIG = {"hidden": 16, "epochs": 30, "lr": 0.1, "batch_size": 8, "l2": 1e-4, "dropout": 0.2, "lr_decay": None}
# reference: mean 0.999, sd 0.005, min 0.944 over 1000 runs (72 held-out points each)
BLOBS = AccuracyTask("8-feature blobs", bound(make_blobs, 60, 4, 8, 1.0), 0.3, floor=0.5, threshold=0.92)
XAVIER: dict[str, Any] = {"distribution": "uniform", "scale": init.xavier_bound,
                          "mistakes": init.XAVIER_UNIFORM.mistakes}
HE: dict[str, Any] = {"distribution": "normal", "scale": init.he_std, "mistakes": init.HE_NORMAL.mistakes}
STEP, EXPONENTIAL, COSINE = (RULE[t] for t in ("step_decay", "exponential_decay", "cosine_decay"))
MINIBATCHES, TRAIN_CLASSIFIER = RULE["minibatches"], RULE["train_classifier"]

HIDDEN = {  # target: its standard hidden checks (case, points, the sizes its inputs are made with)
    "fit_standardizer": (value("wide", 1, 7, 13, description="more features than samples"),),
    "standardize": (value("single_row", 1, 1, 5, eps=1e-3, description="one row, a custom eps"),
                    # eps = 1e-4 moves each value by about 1e-4 relative: inside float32's precision, well outside
                    # this check's tolerance (1e-6), which a float32 answer does not widen.
                    value("small_eps", 0.5, 12, 4, eps=1e-4, description="a small custom eps is still used"),
                    value("train_statistics", 1, 40, 6, description="uses the statistics it is given")),
    "l1_penalty": (value("three_layers", 1, [(1, 1), (3, 7), (5, 2)], zeros=True,
                         description="three matrices, one of them 1x1, exact zeros"),
                   value("single", 0.5, [(1, 9)], description="a list of one matrix")),
    "l2_penalty": (value("three_layers", 1, [(1, 1), (3, 7), (5, 2)], zeros=True,
                         description="three matrices, one of them 1x1"),
                   value("single", 0.5, [(1, 9)], description="a list of one matrix")),
    "l1_grad": (value("many_zeros", 1, (6, 7), zeros=0.5, description="half the weights exactly 0: the subgradient "
                      "there is 0"),),
    "l2_grad": (value("row", 1, (1, 9), description="a (1, 9) matrix"),),
    "elastic_net_grad": (value("zeros", 1, (4, 2), zeros=0.4, description="exact zeros"),),
    "dropout_forward": (value("p_zero", 1, 5, 4, 0.0, True, description="p = 0 in train mode keeps everything"),
                        value("p_near_one", 1, 30, 20, 0.95, True, description="p close to 1"),
                        value("batch_of_one", 1, 1, 6, 0.5, True, description="a single row"),
                        value("eval_high_p", 1, 4, 7, 0.9, False, description="eval mode with a large p")),
    "dropout_backward": (value("batch_of_one", 1, 1, 5, 0.5, description="a single row"),
                         value("p_near_one", 1, 8, 9, 0.9, description="a mask with large entries")),
    "predict": (value("batch_of_one", 1, 1, [4, 6, 3], description="a single row"),
                value("deep", 1, 30, [5, 8, 8, 6, 4], description="three hidden layers")),
}

CHECKS = [
    *standard_checks("hw3", "hidden", RULES, HIDDEN),
    RULE["fit_standardizer"].value("hw3.fit_standardizer.hidden.single_row", 1,
                                   make(normalisation.standardizer_inputs, 1, 4), nonfinite=normalisation.STD_DDOF_1,
                                   description="one sample: std is 0 for every feature"),
    RULE["standardize"].value("hw3.standardize.hidden.constant_feature", 1,
                              make(normalisation.standardize_inputs, 9, 3, zero_std=True),
                              nonfinite=normalisation.STD_WITHOUT_EPS,
                              description="a feature with std 0 stays finite thanks to eps"),
    MINIBATCHES.check("hw3.minibatches.hidden.batch_of_one", "minibatches", 1, N=6, D=2, batch_size=1,
                      description="batch_size 1"),
    MINIBATCHES.check("hw3.minibatches.hidden.batch_beyond_n", "minibatches", 1, N=5, D=3, batch_size=8,
                      description="batch_size larger than N: one batch"),
    MINIBATCHES.check("hw3.minibatches.hidden.exact_multiple", "minibatches", 1, N=12, D=2, batch_size=4, epochs=3,
                      description="N a multiple of batch_size, three epochs from one generator"),
    MINIBATCHES.check("hw3.minibatches.hidden.no_shuffle_partial", "minibatches", 0.5, N=10, D=3, batch_size=4,
                      shuffle=False, description="shuffle=False, partial batch"),
    STEP.check("hw3.step_decay.hidden.boundaries", "schedule", 1,
               calls=make(schedules.schedule_epochs, [6, 7, 13, 14, 21], drop=0.25, every=7), mistakes=STEP.mistakes,
               description="epochs just before and exactly on a step boundary"),
    STEP.check("hw3.step_decay.hidden.every_epoch", "schedule", 1,
               calls=make(schedules.schedule_epochs, [0, 1, 2, 5], drop=0.9, every=1), mistakes=STEP.mistakes,
               description="a drop every epoch"),
    EXPONENTIAL.check("hw3.exponential_decay.hidden.extremes", "schedule", 1,
                      calls=make(schedules.schedule_epochs, [0, 1, 10, 30], gamma=0.5), mistakes=EXPONENTIAL.mistakes,
                      description="fast decay over many epochs"),
    COSINE.check("hw3.cosine_decay.hidden.end", "schedule", 1,
                 calls=make(schedules.schedule_epochs, [0, 8, 16], total_epochs=16, lr_min=0.05),
                 mistakes=COSINE.mistakes, description="epoch == total_epochs gives lr_min"),
    COSINE.check("hw3.cosine_decay.hidden.one_epoch", "schedule", 0.5,
                 calls=make(schedules.schedule_epochs, [0, 1], total_epochs=1), mistakes=COSINE.mistakes,
                 description="total_epochs 1"),
    RULE["xavier_uniform"].check("hw3.xavier_uniform.hidden.square", "init_statistics", 1, fan_in=256, fan_out=256,
                                 **XAVIER, description="equal fans"),
    RULE["xavier_uniform"].check("hw3.xavier_uniform.hidden.wide", "init_statistics", 1, fan_in=1000, fan_out=50,
                                 **XAVIER, description="many inputs, few outputs"),
    RULE["he_normal"].check("hw3.he_normal.hidden.narrow", "init_statistics", 1, fan_in=64, fan_out=1000, **HE,
                            description="few inputs, many outputs"),
    RULE["he_normal"].check("hw3.he_normal.hidden.wide", "init_statistics", 1, fan_in=800, fan_out=80, **HE,
                            description="many inputs, few outputs"),
    TRAIN_CLASSIFIER.check("hw3.train_classifier.hidden.model_format", "model_format", 1, N=17, D=5, n_classes=4,
                           config={"hidden": 7, "epochs": 3, "lr": 0.05, "batch_size": 4, "l2": 1e-3,
                                   "dropout": 0.3, "lr_decay": 0.9}, timeout=30.0,
                           description="hidden as an int, dropout and decay on"),
    TRAIN_CLASSIFIER.check("hw3.train_classifier.hidden.spirals", "trained_classifier", 3, task=SPIRALS,
                           config=SPIRALS_CONFIG, timeout=60.0, description="held-out accuracy on other spirals"),
    TRAIN_CLASSIFIER.check("hw3.train_classifier.hidden.digits", "trained_classifier", 3, task=DIGITS,
                           config=DIGITS_CONFIG, timeout=60.0,
                           description="held-out accuracy on the digits, half for training"),
    TRAIN_CLASSIFIER.check("hw3.train_classifier.hidden.blobs", "trained_classifier", 2, task=BLOBS,
                           config=BLOBS_CONFIG, timeout=60.0, description="held-out accuracy on blobs with dropout"),
    RULE["predict"].check("hw3.predict.hidden.integer_labels", "integer_labels", 0.5,
                          inputs=make(training.model_inputs, 1, [2, 3, 2]), description="a single row"),
]
