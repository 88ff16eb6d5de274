"""Lab hidden checks: other sizes, seeds (from the course secret) and edge cases — no hidden layer, a batch
of one, p_dropout near 1, a partial last batch, batch_size 1, epochs ending on a StepLR boundary."""

from __future__ import annotations

from grader.checks.accuracy import AccuracyTask
from grader.checks.maker import bound, make
from grader.course.lab.kinds.build import build_payload, dropout_payload
from grader.course.lab.kinds.effects import predict_payload
from grader.course.lab.kinds.training import trains_payload
from grader.course.lab.rules import BUILD_MLP, PREDICT, TRAIN
from grader.data import make_spirals

# Calibration as in the public suite (`python benchmarks/lab_calibration.py hidden`: the check's own protocol with
# the reference train over 1000 check generators np.random.default_rng([7919, i])): threshold = the worst held-out
# accuracy minus 0.03, over both checks below that use this task.
# build_mlp.hidden.trains trains build_mlp's initial parameters (torch's default initialisation after
# torch.manual_seed(init_seed)) with the reference train in the grader's own process, same settings (now
# reference.mlp_lab_np: train's batches and updates in float64): that is the protocol the earlier calibration of
# this task measured (the grader's model initialised by torch from the same seed): mean 0.950, sd 0.018, 1 %
# quantile 0.901, worst 0.875 over 1000 runs.
HIDDEN = [64, 64]
TRAIN_KWARGS = {"epochs": 100, "lr": 0.3, "batch_size": 32, "weight_decay": 1e-4, "step_size": 60, "gamma": 0.2}
# train.hidden.spirals (initial weights drawn by the grader): mean 0.950, sd 0.018, 1 % quantile 0.901, worst 0.888
# over 1000 runs (152 held-out points each). Threshold: 0.875 - 0.03, rounded down.
SPIRALS = AccuracyTask("4-class spirals", bound(make_spirals, 150, 4, 0.15), 0.25, floor=0.45, threshold=0.84)

CHECKS = [
    BUILD_MLP.check("lab.build_mlp.hidden.no_hidden_layer", "lab_build", 1,
                    payload=make(build_payload, 4, [], 3, 0.3, 5), aspect="structure", timeout=30.0,
                    description="an empty hidden_sizes gives a single Linear"),
    BUILD_MLP.check("lab.build_mlp.hidden.deep_structure", "lab_build", 1,
                    payload=make(build_payload, 5, [12, 9, 7], 4, 0.9, 6), aspect="structure", timeout=30.0,
                    description="three hidden blocks, p_dropout near 1"),
    BUILD_MLP.check("lab.build_mlp.hidden.eval_batch_of_one", "lab_build", 1,
                    payload=make(build_payload, 5, [12, 9, 7], 4, 0.9, 1), aspect="eval", timeout=30.0,
                    description="eval mode on a single row with p_dropout near 1"),
    BUILD_MLP.check("lab.build_mlp.hidden.train_dropout_high_p", "lab_build", 1,
                    payload=make(dropout_payload, 3, 20, 0.7, 300, 2), aspect="train_dropout", timeout=30.0,
                    description="train mode applies dropout after every hidden block (of two), p_dropout high"),
    BUILD_MLP.check("lab.build_mlp.hidden.trains", "lab_build_trains", 2,
                    payload=make(trains_payload, SPIRALS, HIDDEN, TRAIN_KWARGS), timeout=60.0,
                    description="the model build_mlp makes learns the spirals under the grader's training loop"),
    TRAIN.check("lab.train.hidden.spirals", "lab_train_accuracy", 3, task=SPIRALS, hidden=HIDDEN, kwargs=TRAIN_KWARGS,
                timeout=60.0, description="held-out accuracy on other spirals, with weight decay and a schedule"),
    TRAIN.check("lab.train.hidden.reproducible", "lab_reproducible", 1, n=60, classes=3, scale=2.0,
                kwargs={"epochs": 5, "lr": 0.5, "batch_size": 16}, timeout=60.0,
                description="the same seed twice, in two processes, gives the same SGD run"),
    # N = 52 = 3·16 + 4: a last batch of 4. In epoch 0 every sample's loss is taken at W0, so losses[0] is the mean of
    # the 52 losses at W0 whatever the shuffling; 19 of the 52 start confidently wrong (draw_two_level), which keeps
    # that mean clear of the mean of any 4 samples. Over the draws np.random.default_rng(s), s < 1000, of this problem
    # (tolerance: separable.TOLERANCE, relative): a plain mean of the 4 batch means is at least 390 tolerances (0.037)
    # from losses[0] whichever 4 samples make the last batch, the loss after epoch 0 (losses_after_epoch) at least
    # 730, and the two at least 220 from each other; the weights of index order (the last 4 samples in the last
    # batch in every epoch, the others never) are at least 120 of genuine's tolerances from any other path's. A
    # train that shuffles shows index order with probability C(52, 4)^-1 = 3.7e-6 if it reuses one permutation, and
    # C(52, 4)^-4 if it draws one per epoch.
    TRAIN.check("lab.train.hidden.partial_losses", "lab_partial_losses", 1, n=52, classes=3, scale=2.0, wrong=19,
                kwargs={"epochs": 4, "lr": 0.5, "batch_size": 16}, timeout=60.0,
                description="N not a multiple of batch_size: each batch's loss weighted by its size, samples shuffled"),
    TRAIN.check("lab.train.hidden.partial_batch", "lab_weight_decay", 1, n=30, classes=3, scale=2.0,
                kwargs={"epochs": 2, "lr": 0.3, "batch_size": 8, "weight_decay": 0.3}, timeout=60.0,
                description="N not a multiple of batch_size: the last, smaller batch is a step too"),
    TRAIN.check("lab.train.hidden.batch_of_one", "lab_weight_decay", 1, n=6, classes=3, scale=2.0,
                kwargs={"epochs": 2, "lr": 0.1, "batch_size": 1, "weight_decay": 0.5}, timeout=60.0,
                description="batch_size 1"),
    TRAIN.check("lab.train.hidden.step_boundary", "lab_weight_decay", 1, n=16, classes=3, scale=2.0,
                kwargs={"epochs": 6, "lr": 0.6, "batch_size": 16, "weight_decay": 0.5, "step_size": 3, "gamma": 0.1},
                timeout=60.0, description="epochs ending exactly on a StepLR boundary, one batch per epoch"),
    PREDICT.check("lab.predict.hidden.batch_of_one", "lab_predict", 1, payload=make(predict_payload, [2, 16, 3], 1,
                  0.5), aspect="labels", timeout=30.0, description="a single row"),
    PREDICT.check("lab.predict.hidden.deep_high_p", "lab_predict", 2,
                  payload=make(predict_payload, [3, 12, 12, 12, 5], 30, 0.9), aspect="labels", timeout=30.0,
                  description="three hidden layers, dropout p 0.9 left in train mode"),
    PREDICT.check("lab.predict.hidden.format_batch_of_one", "lab_predict", 0.5,
                  payload=make(predict_payload, [2, 8, 3], 1, 0.5), aspect="format", timeout=30.0,
                  description="one row still gives shape (1,)"),
]
