"""build_mlp's hand-made dropout zeroes units with probability p but does not scale the kept ones by 1/(1 - p)."""

from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "build_mlp", "build_dropout_not_rescaled"


class _Dropout(nn.Module):  # noqa: F405
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        return x * (torch.rand_like(x) >= self.p)  # noqa: F405


def build_mlp(in_features, hidden_sizes, n_classes, p_dropout=0.0):
    layers, previous = [], in_features
    for h in hidden_sizes:
        layers += [nn.Linear(previous, h), nn.ReLU(), _Dropout(p_dropout)]  # noqa: F405
        previous = h
    return nn.Sequential(*layers, nn.Linear(previous, n_classes))  # noqa: F405
