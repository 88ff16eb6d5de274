"""build_mlp ends its model in a softmax, so it outputs probabilities instead of logits."""

from reference import mlp_lab as _ref
from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "build_mlp", "build_softmax_on_logits"


def build_mlp(in_features, hidden_sizes, n_classes, p_dropout=0.0):
    return nn.Sequential(_ref.build_mlp(in_features, hidden_sizes, n_classes, p_dropout), nn.Softmax(dim=1))  # noqa: F405
