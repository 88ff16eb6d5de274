"""build_mlp's model calls F.dropout with its default training=True, so dropout stays on in eval mode."""

import torch.nn.functional as F

from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "build_mlp", "dropout_active_in_eval"


class _MLP(nn.Module):  # noqa: F405
    def __init__(self, in_features, hidden_sizes, n_classes, p):
        super().__init__()
        sizes = [in_features, *hidden_sizes]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))  # noqa: F405, B905
        self.out = nn.Linear(sizes[-1], n_classes)  # noqa: F405
        self.p = p

    def forward(self, x):
        for layer in self.hidden:
            x = F.dropout(F.relu(layer(x)), self.p)
        return self.out(x)


def build_mlp(in_features, hidden_sizes, n_classes, p_dropout=0.0):
    return _MLP(in_features, hidden_sizes, n_classes, p_dropout)
