"""Lab public checks: the cases a student can run with ``grader check lab`` (seeds follow from the ids).

Every lab check is behavioural (``grader/course/lab/kinds/``), so each is written out here.
"""

from __future__ import annotations

from grader.checks.accuracy import AccuracyTask
from grader.checks.maker import bound, make
from grader.course.lab.kinds.build import build_payload, dropout_payload
from grader.course.lab.kinds.effects import predict_payload
from grader.course.lab.rules import BUILD_MLP, PREDICT, TRAIN
from grader.data import make_spirals

# The lab's classic set-up: 3-class spirals, 200 points per class, a quarter held out, and the
# reference configuration (two hidden layers of 64, 100 epochs of SGD at 0.3 with a StepLR drop at 75).
# Calibration: the check's own trained_accuracy run in-process with the reference train over 1000 check
# generators (np.random.default_rng([7919, i]), i < 1000, each drawing data, split, the grader's initial weights
# and the seeds as the check does; `python benchmarks/lab_calibration.py public`): mean 0.986, sd 0.012,
# 1 % quantile 0.947, worst 0.893, all others >= 0.913 (150 held-out points each).
# Threshold = the worst minus 0.03, rounded down: a correct train falls below it with probability well under 1e-3.
# Floor: a linear classifier reaches about half on the spirals.
HIDDEN = [64, 64]
TRAIN_KWARGS = {"epochs": 100, "lr": 0.3, "batch_size": 32, "weight_decay": 0.0, "step_size": 75, "gamma": 0.1}
SPIRALS = AccuracyTask("3-class spirals", bound(make_spirals, 200, 3, 0.2), 0.25, floor=0.55, threshold=0.86)

CHECKS = [
    BUILD_MLP.check("lab.build_mlp.public.structure", "lab_build", 2, payload=make(build_payload, 2, [16, 8], 3, 0.25,
                    10), aspect="structure", timeout=30.0,
                    description="Linear -> ReLU -> Dropout(p) blocks, then a final Linear; sizes chained"),
    BUILD_MLP.check("lab.build_mlp.public.eval_forward", "lab_build", 2,
                    payload=make(build_payload, 2, [16, 8], 3, 0.25, 10), aspect="eval", timeout=30.0,
                    description="eval mode: output (N, n_classes), deterministic, dropout off"),
    BUILD_MLP.check("lab.build_mlp.public.train_dropout", "lab_build", 1,
                    payload=make(dropout_payload, 3, 16, 0.5, 256), aspect="train_dropout", timeout=30.0,
                    description="train mode: a share p_dropout of the units dropped, the others scaled by 1/(1 - p)"),
    BUILD_MLP.check("lab.build_mlp.public.default_p", "lab_build", 0.5,
                    payload=make(dropout_payload, 2, 8, None, 128), aspect="no_dropout", timeout=30.0,
                    description="the default p_dropout is 0"),
    TRAIN.check("lab.train.public.spirals", "lab_train_accuracy", 3, task=SPIRALS, hidden=HIDDEN, kwargs=TRAIN_KWARGS,
                timeout=60.0, description="held-out accuracy of the grader's model trained by train"),
    TRAIN.check("lab.train.public.losses", "lab_losses", 1, n=48, classes=3, scale=2.0,
                kwargs={"epochs": 12, "lr": 0.5, "batch_size": 16}, timeout=60.0,
                description="one mean loss per epoch: the losses of plain SGD's epochs"),
    TRAIN.check("lab.train.public.weight_decay", "lab_weight_decay", 1, n=32, classes=3, scale=2.0,
                kwargs={"epochs": 3, "lr": 0.2, "batch_size": 8, "weight_decay": 0.5}, timeout=60.0,
                description="SGD's weight decay: every step moves each weight by -lr·(gradient + weight_decay·weight)"),
    TRAIN.check("lab.train.public.step_size", "lab_weight_decay", 1, n=24, classes=3, scale=2.0,
                kwargs={"epochs": 5, "lr": 0.5, "batch_size": 12, "weight_decay": 0.2, "step_size": 2, "gamma": 0.5},
                timeout=60.0, description="StepLR: lr · gamma^(epoch // step_size), stepped once per epoch"),
    # predict.public.no_grad is gone: whether gradients were recorded cannot be observed outside the process
    # that ran predict, and SPEC §2 does not grade it; its half point went to predict.public.labels.
    PREDICT.check("lab.predict.public.labels", "lab_predict", 2.5, payload=make(predict_payload, [2, 16, 16, 3], 40,
                  0.5), aspect="labels", timeout=30.0,
                  description="argmax of the eval-mode logits, for a model left in train mode, on two calls"),
    PREDICT.check("lab.predict.public.format", "lab_predict", 0.5, payload=make(predict_payload, [2, 8, 3], 10, 0.5),
                  aspect="format", timeout=30.0, description="integer labels of shape (N,), a tensor or an ndarray"),
]
