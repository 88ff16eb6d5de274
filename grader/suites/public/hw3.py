"""hw3 public checks: the cases a student can run with ``grader check hw3`` (seeds follow from the ids).

The standard checks come from the rules (``grader/course/hw3/rules/``); the special cases follow: batches,
schedules, initialisers and the trainer have kinds of check of their own.
"""

from __future__ import annotations

from typing import Any

from grader.checks.accuracy import AccuracyTask
from grader.checks.maker import bound, make
from grader.checks.rules import standard_checks
from grader.course.hw3.rules import RULE, RULES, init, schedules, training
from grader.data import digits, make_spirals

# Accuracy thresholds. Calibration: the reference train_classifier with the config below, over 1000 check
# generators (np.random.default_rng([7919, i]), i < 1000, each drawing data, split and training seeds as
# the check does). Threshold = the worst of the 1000 held-out accuracies minus 0.02, so a correct
# submission falls below it with probability well under 1e-3 (1/1001 for the minimum alone, before the margin).
# Floors: a linear classifier reaches about half on the spirals; the digits need at least that to count.
SPIRALS_CONFIG = {"hidden": 64, "epochs": 80, "lr": 0.2, "batch_size": 16, "l2": 1e-4, "dropout": 0.0,
                  "lr_decay": 0.98}
# reference: mean 0.967, sd 0.019, min 0.889 over 1000 runs (90 held-out points each)
SPIRALS = AccuracyTask("3-class spirals", bound(make_spirals, 100, 3, 0.2), 0.3, floor=0.55, threshold=0.87)
DIGITS_CONFIG = {"hidden": 64, "epochs": 15, "lr": 0.1, "batch_size": 32, "l2": 1e-4, "dropout": 0.1,
                 "lr_decay": 0.95}
# reference: mean 0.965, sd 0.008, min 0.939 over 1000 runs (539 held-out digits each)
DIGITS = AccuracyTask("8x8 digits", digits, 0.3, floor=0.5, threshold=0.92)
XAVIER: dict[str, Any] = {"distribution": "uniform", "scale": init.xavier_bound,
                          "mistakes": init.XAVIER_UNIFORM.mistakes}
HE: dict[str, Any] = {"distribution": "normal", "scale": init.he_std, "mistakes": init.HE_NORMAL.mistakes}
STEP, EXPONENTIAL, COSINE = (RULE[t] for t in ("step_decay", "exponential_decay", "cosine_decay"))
MINIBATCHES, TRAIN_CLASSIFIER = RULE["minibatches"], RULE["train_classifier"]

CHECKS = [
    *standard_checks("hw3", "public", RULES),
    MINIBATCHES.check("hw3.minibatches.public.order", "minibatches", 1, N=23, D=3, batch_size=5,
                      description="batches follow rng.permutation(N); last partial batch kept"),
    MINIBATCHES.check("hw3.minibatches.public.once_per_epoch", "minibatches", 1, N=17, D=2, batch_size=4, epochs=2,
                      description="two epochs from one generator: every sample exactly once per epoch"),
    MINIBATCHES.check("hw3.minibatches.public.no_shuffle", "minibatches", 0.5, N=11, D=2, batch_size=4,
                      shuffle=False, description="shuffle=False keeps the order"),
    STEP.check("hw3.step_decay.public.defaults", "schedule", 1,
               calls=make(schedules.schedule_epochs, [0, 1, 9, 10, 11, 19, 20, 35]), mistakes=STEP.mistakes,
               description="lr0 · 0.5^(epoch // 10) with the default drop and every"),
    STEP.check("hw3.step_decay.public.custom", "schedule", 1,
               calls=make(schedules.schedule_epochs, [0, 2, 3, 4, 7, 8, 13], drop=0.3, every=4),
               mistakes=STEP.mistakes, description="drop=0.3 every 4 epochs"),
    EXPONENTIAL.check("hw3.exponential_decay.public.basic", "schedule", 1,
                      calls=make(schedules.schedule_epochs, [0, 1, 2, 5, 17], gamma=0.9),
                      mistakes=EXPONENTIAL.mistakes, description="lr0 · gamma^epoch"),
    COSINE.check("hw3.cosine_decay.public.basic", "schedule", 1,
                 calls=make(schedules.schedule_epochs, [0, 3, 10, 17], total_epochs=20), mistakes=COSINE.mistakes,
                 description="cosine from lr0 to 0 over 20 epochs"),
    COSINE.check("hw3.cosine_decay.public.lr_min", "schedule", 1,
                 calls=make(schedules.schedule_epochs, [0, 5, 12, 24], total_epochs=30, lr_min=0.01),
                 mistakes=COSINE.mistakes, description="cosine from lr0 to lr_min"),
    RULE["xavier_uniform"].check("hw3.xavier_uniform.public.statistics", "init_statistics", 2, fan_in=300,
                                 fan_out=200, **XAVIER, description="shape (fan_out, fan_in), U(-a, a) with "
                                 "a = sqrt(6/(fan_in + fan_out))"),
    RULE["xavier_uniform"].check("hw3.xavier_uniform.public.seeded", "init_seeding", 0.5, fan_in=6, fan_out=4,
                                 description="draws come from the rng given"),
    RULE["he_normal"].check("hw3.he_normal.public.statistics", "init_statistics", 2, fan_in=400, fan_out=150, **HE,
                            description="shape (fan_out, fan_in), N(0, 2/fan_in)"),
    RULE["he_normal"].check("hw3.he_normal.public.seeded", "init_seeding", 0.5, fan_in=6, fan_out=4,
                            description="draws come from the rng given"),
    TRAIN_CLASSIFIER.check("hw3.train_classifier.public.model_format", "model_format", 1, N=30, D=3, n_classes=3,
                           config={"hidden": [8, 6], "epochs": 2, "lr": 0.1, "batch_size": 8, "l2": 0.0,
                                   "dropout": 0.0, "lr_decay": None}, timeout=30.0,
                           description="model dict: training mean and std, params [(W, b)] with W (out, in)"),
    TRAIN_CLASSIFIER.check("hw3.train_classifier.public.spirals", "trained_classifier", 3, task=SPIRALS,
                           config=SPIRALS_CONFIG, timeout=60.0, description="held-out accuracy on 3-class spirals"),
    TRAIN_CLASSIFIER.check("hw3.train_classifier.public.digits", "trained_classifier", 3, task=DIGITS,
                           config=DIGITS_CONFIG, timeout=60.0, description="held-out accuracy on the 8x8 digits"),
    RULE["predict"].check("hw3.predict.public.integer_labels", "integer_labels", 0.5,
                          inputs=make(training.model_inputs, 7, [3, 5, 4]), description="integer labels of shape (N,)"),
]
