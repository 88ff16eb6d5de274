"""The lab (an MLP in PyTorch): one rule record per graded function with the mistakes students make with it.

The lab's checks are behavioural (``grader.course.lab.kinds``): they send the grader's own weights and inputs,
and recognise these mistakes from what the student's code computes with them, so the mistakes carry no
model of their own.
"""

from __future__ import annotations

from grader.checks.mistakes import Mistake
from grader.checks.rules import Rule

WRONG_SIZES = Mistake("build_wrong_sizes", "chain the sizes: Linear(in_features, h1), Linear(h1, h2), ..., "
                      "Linear(h_last, n_classes)")
BLOCK_ORDER = Mistake("build_block_order", "each hidden block is Linear -> ReLU -> Dropout(p_dropout), then one "
                      "final Linear")
SOFTMAX_ON_LOGITS = Mistake("build_softmax_on_logits", "end with the last Linear: the logits go to the loss, which "
                            "applies the softmax")
P_IGNORED = Mistake("dropout_p_ignored", "pass p_dropout to every nn.Dropout")
ACTIVE_IN_EVAL = Mistake("dropout_active_in_eval", "use nn.Dropout modules (or F.dropout(x, p, "
                         "training=self.training)) so dropout is off in eval mode")
NOT_RESCALED = Mistake("build_dropout_not_rescaled", "inverted dropout scales the kept units by 1/(1 - p) in train "
                       "mode (nn.Dropout does); a hand-made mask must too")

WEIGHT_DECAY_IGNORED = Mistake("weight_decay_ignored", "pass weight_decay to torch.optim.SGD")
SCHEDULER_PER_BATCH = Mistake("scheduler_per_batch", "call scheduler.step() once per epoch, after the epoch's "
                              "batches, not after every batch")
SCHEDULER_IGNORED = Mistake("scheduler_ignored", "with step_size given, use StepLR(optimizer, step_size, gamma) and "
                            "step it every epoch")
DROPS_LAST_BATCH = Mistake("train_drops_last_batch", "keep the last, smaller batch: every sample is used once per "
                           "epoch")
LOSSES_NOT_MEAN = Mistake("losses_not_mean", "losses[e] is the MEAN per-sample loss of epoch e, not a sum over "
                          "batches")
LOSSES_AFTER_EPOCH = Mistake("losses_after_epoch", "losses[e] averages the losses of the batches as they were "
                             "computed during epoch e, not a loss evaluated after the epoch")
LOSSES_UNWEIGHTED = Mistake("losses_unweighted", "weight each batch's mean loss by its size (loss.item() * "
                            "len(batch)) and divide the total by N: a plain mean of the batch means counts the last, "
                            "smaller batch as much as a full one")
NOT_SHUFFLED = Mistake("train_not_shuffled", "shuffle the samples anew every epoch, in the order of "
                       "torch.randperm(N, generator=g) with g = torch.Generator().manual_seed(seed) made once before "
                       "training")
NOT_REPRODUCIBLE = Mistake("train_not_reproducible", "draw the shuffling from g = torch.Generator().manual_seed(seed), "
                           "made anew in every call of train, before its first epoch")

FORGOT_EVAL = Mistake("predict_forgot_eval", "call model.eval() in predict: the model may arrive in train mode, with "
                      "dropout active")

BUILD_MLP = Rule("build_mlp", None, None, (WRONG_SIZES, BLOCK_ORDER, SOFTMAX_ON_LOGITS, P_IGNORED, ACTIVE_IN_EVAL,
                                           NOT_RESCALED))
TRAIN = Rule("train", None, None, (WEIGHT_DECAY_IGNORED, SCHEDULER_PER_BATCH, SCHEDULER_IGNORED, DROPS_LAST_BATCH,
                                   LOSSES_NOT_MEAN, LOSSES_AFTER_EPOCH, LOSSES_UNWEIGHTED, NOT_REPRODUCIBLE,
                                   NOT_SHUFFLED))
RETURNS_SCORES = Mistake("predict_returns_scores", "return one label per row, the argmax over the classes "
                         "(logits.argmax(dim=1)), not the logits or probabilities themselves")
PREDICT = Rule("predict", None, None, (FORGOT_EVAL, RETURNS_SCORES))

RULES = (BUILD_MLP, TRAIN, PREDICT)
RULE = {rule.target: rule for rule in RULES}
BY_ID = {m.id: m for rule in RULES for m in rule.mistakes}


def named(mistake_id: str) -> Mistake | None:
    """The lab's catalogued mistake of this id (the lab's kinds recognise mistakes by id), None for ""."""
    return BY_ID[mistake_id] if mistake_id else None
