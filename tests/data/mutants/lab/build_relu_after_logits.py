"""build_mlp ends with a ReLU after the last Linear: every block, the last one included, is Linear -> ReLU."""

from reference import mlp_lab as _ref
from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "build_mlp", "build_block_order"


def build_mlp(in_features, hidden_sizes, n_classes, p_dropout=0.0):
    return nn.Sequential(_ref.build_mlp(in_features, hidden_sizes, n_classes, p_dropout), nn.ReLU())  # noqa: F405
