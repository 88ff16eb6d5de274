"""Every kind of check the course's suites use, by the name a check record gives (``Check.kind``).

One explicit table, built here and nowhere else: the standard kinds of the check library, then the kinds
of hw3 and the lab. A kind is ``run(ctx, **params)``; see each function's docstring for its parameters.
"""

from __future__ import annotations

from grader.checks import standard
from grader.checks.base import Kind
from grader.course.hw3.kinds import batches, init, schedules, training
from grader.course.lab.kinds import build, effects, losses
from grader.course.lab.kinds import training as lab_training

KINDS: dict[str, Kind] = {
    "value": Kind(standard.value, "value", "the answer equals the reference's on the same inputs", call_ahead=True),
    "gradient": Kind(standard.gradient, "gradient", "a backward equals central differences of the reference "
                     "forward", call_ahead=True),
    "unchanged": Kind(standard.unchanged, "property", "the right structure comes back and no input changed",
                      call_ahead=True, reads_back=True),
    "schedule": Kind(schedules.schedule, "value", "a learning rate over many epochs equals the reference's",
                     call_ahead=True, in_turn=True),
    "minibatches": Kind(batches.minibatches, "property", "each epoch's batches follow the generator's permutation"),
    "init_statistics": Kind(init.init_statistics, "statistical", "an initialiser's draws have the distribution's "
                            "statistics", call_ahead=True),
    "init_seeding": Kind(init.init_seeding, "property", "an initialiser draws from the generator it is given"),
    "trained_classifier": Kind(training.trained_accuracy, "accuracy", "held-out accuracy of the model "
                               "train_classifier returns", call_ahead=True),
    "model_format": Kind(training.model_format, "property", "the model dict train_classifier returns",
                         call_ahead=True, reads_back=True),
    "integer_labels": Kind(training.integer_labels, "property", "predict returns integer labels of shape (N,)",
                           call_ahead=True),
    "lab_build": Kind(build.build, "value", "build_mlp's model computes the grader's forward on the grader's "
                      "weights"),
    "lab_build_trains": Kind(lab_training.build_trains, "accuracy", "build_mlp's initial weights train to a "
                             "held-out accuracy"),
    "lab_train_accuracy": Kind(lab_training.train_accuracy, "accuracy", "held-out accuracy of the grader's model "
                               "trained by train"),
    "lab_losses": Kind(losses.losses, "value", "train's per-epoch losses equal plain SGD's"),
    "lab_partial_losses": Kind(losses.partial_losses, "value", "train's losses and shuffling with a last, smaller "
                               "batch"),
    "lab_reproducible": Kind(losses.reproducible, "property", "two seeded runs of train agree"),
    "lab_weight_decay": Kind(effects.weight_decay, "property", "train moves every weight as SGD's weight decay "
                             "and StepLR do"),
    "lab_predict": Kind(effects.predict, "value", "predict's labels are the argmax of the eval-mode logits"),
}
