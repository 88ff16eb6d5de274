"""Reference solution of the lab (an MLP in PyTorch), plain torch.

The graded cells of ``reference/mlp_lab_solved.ipynb`` hold these three functions verbatim, and the
student notebook's graded cells hold the same signatures and docstrings with ``NotImplementedError`` bodies.
"""

import torch
from torch import nn

# The data the configuration below was tuned on: grader.data.make_spirals(**SPIRALS_DATA) then
# train_test_split(X, y, SPIRALS_TEST_FRACTION, seed). Training ~0.6 s on one CPU thread; the held-out
# accuracy over many seeds is in benchmarks/reference_accuracy.py.
SPIRALS_DATA: dict = {"n_per_class": 200, "n_classes": 3, "noise": 0.2}
SPIRALS_TEST_FRACTION = 0.25

REFERENCE_CONFIG: dict = {
    "hidden_sizes": [64, 64],
    "p_dropout": 0.0,
    "epochs": 100,
    "lr": 0.3,
    "batch_size": 32,
    "weight_decay": 0.0,
    "step_size": 75,
    "gamma": 0.1,
}


def build_mlp(in_features: int, hidden_sizes: list[int], n_classes: int, p_dropout: float = 0.0) -> nn.Module:
    """A multilayer perceptron for classification.

    One block per hidden size h: ``nn.Linear(previous, h) -> nn.ReLU() -> nn.Dropout(p_dropout)``,
    then a final ``nn.Linear(previous, n_classes)`` producing logits (no softmax: the loss applies it).
    Input ``(N, in_features)`` float32, output ``(N, n_classes)`` logits.
    """
    layers: list[nn.Module] = []
    previous = in_features
    for h in hidden_sizes:
        layers += [nn.Linear(previous, h), nn.ReLU(), nn.Dropout(p_dropout)]
        previous = h
    layers.append(nn.Linear(previous, n_classes))
    return nn.Sequential(*layers)


def train(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    weight_decay: float = 0.0,
    step_size: int | None = None,
    gamma: float = 0.1,
    seed: int = 0,
) -> list[float]:
    """Train ``model`` in place with minibatch SGD on the cross-entropy loss; return the per-epoch mean losses.

    X: ``(N, D)`` float32, y: ``(N,)`` int64 class labels. Each epoch visits the samples in the order of
    ``torch.randperm(N, generator=g)``, with ``g = torch.Generator().manual_seed(seed)`` made once before the
    first epoch, in minibatches of ``batch_size`` (the last one may be smaller). Optimiser:
    ``torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)``; if ``step_size`` is given,
    ``torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma)`` steps once at the end of every epoch.
    The model is in train mode throughout (dropout active). ``losses[e]`` is the mean of the per-sample
    losses seen during epoch e (each batch's loss weighted by its size). Returns a list of ``epochs`` floats.
    """
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma) if step_size else None
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    n = X.shape[0]
    losses = []
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            loss = loss_fn(model(X[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / n)
        if scheduler is not None:
            scheduler.step()
    return losses


def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Predicted class labels ``(N,)`` int64 for X ``(N, D)`` float32: the argmax of the logits.

    Puts the model in eval mode itself (so dropout is off, whatever mode it was left in) and computes no
    gradients (``torch.no_grad()``).
    """
    model.eval()
    with torch.no_grad():
        return model(X).argmax(dim=1)


def fit_reference_model(X: torch.Tensor, y: torch.Tensor, seed: int = 0) -> nn.Module:
    """Build and train the reference model with ``REFERENCE_CONFIG`` (not a graded function: used by the
    accuracy test and benchmark). Initial weights come from ``torch.manual_seed(seed)``, batches from ``seed``."""
    config = dict(REFERENCE_CONFIG)
    torch.manual_seed(seed)
    model = build_mlp(X.shape[1], config.pop("hidden_sizes"), int(y.max()) + 1, config.pop("p_dropout"))
    train(model, X, y, seed=seed, **config)
    return model
