"""build_mlp always uses dropout 0.5, whatever p_dropout says."""

from reference import mlp_lab as _ref
from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "build_mlp", "dropout_p_ignored"


def build_mlp(in_features, hidden_sizes, n_classes, p_dropout=0.0):
    return _ref.build_mlp(in_features, hidden_sizes, n_classes, 0.5)
