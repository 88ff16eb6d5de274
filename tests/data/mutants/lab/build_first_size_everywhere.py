"""build_mlp gives every hidden layer the first hidden size: the model runs, but its sizes are not the ones asked."""

from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "build_mlp", "build_wrong_sizes"


def build_mlp(in_features, hidden_sizes, n_classes, p_dropout=0.0):
    layers, previous = [], in_features
    for _ in hidden_sizes:
        layers += [nn.Linear(previous, hidden_sizes[0]), nn.ReLU(), nn.Dropout(p_dropout)]  # noqa: F405
        previous = hidden_sizes[0]
    layers.append(nn.Linear(previous, n_classes))  # noqa: F405
    return nn.Sequential(*layers)  # noqa: F405
