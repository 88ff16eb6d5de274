"""Code cells the lab's tests add to a notebook (or run as a module): the pieces several of them share."""

BUILD_WITH_DROPOUT = '''
def build_mlp(in_features, hidden_sizes, n_classes, p_dropout=0.0):
    layers, previous = [], in_features
    for h in hidden_sizes:
        layers += [nn.Linear(previous, h), nn.ReLU(), DROPOUT(p_dropout)]
        previous = h
    return nn.Sequential(*layers, nn.Linear(previous, n_classes))
'''


def build_with(dropout: str) -> str:
    """A build_mlp whose hidden blocks end with ``dropout(p_dropout)`` (a class name the cell defines or imports)."""
    return BUILD_WITH_DROPOUT.replace("DROPOUT(", f"{dropout}(")
