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


def fit_layers(layers: list, weights: list, X, y, *, seed: int = 0, budget_seconds: float | None = None,
               **config) -> list:
    """Train a given model as ``train`` does and return its trained Linear weights ``[[W, b], ...]`` (float64 arrays,
    W (out, in)). Not a graded function: the grader's check that build_mlp's initial weights can learn.

    ``layers`` is a layer spec of ``grader.course.lab.models`` (the expected architecture), ``weights`` its initial
    Linear weights in order; X ``(N, D)`` becomes float32, y ``(N,)`` int64; ``seed`` and ``config`` go to
    ``train_without_optim`` (``torch.manual_seed(seed)`` first, for any dropout masks). Denormal floats are flushed
    to 0 while it trains, and with ``budget_seconds`` a forward pass that starts after that many seconds raises
    TimeoutError.
    """
    import time

    from grader.worker.lab_procedures import linear_weights, sequential

    # The grader trains in one of its own threads while sandboxes keep every core busy: torch's other threads
    # would only spin against them (a 1 s training took over 30 s on a loaded 2-core machine).
    torch.set_num_threads(1)
    model = sequential(layers, weights)
    if budget_seconds is not None:
        deadline = time.monotonic() + budget_seconds

        def within_budget(module: nn.Module, inputs: tuple) -> None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"training took longer than its budget of {budget_seconds:g} s")

        model.register_forward_pre_hook(within_budget)
    torch.set_flush_denormal(True)
    try:
        torch.manual_seed(seed)
        train_without_optim(model, torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.int64),
                            seed=seed, **config)
    finally:
        torch.set_flush_denormal(False)
    return linear_weights(model)


def train_without_optim(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, epochs: int, lr: float,
                        batch_size: int, weight_decay: float = 0.0, step_size: int | None = None, gamma: float = 0.1,
                        seed: int = 0) -> list[float]:
    """``train``, bit for bit (the same batches, losses, updates and learning rates), with the SGD update and the
    StepLR decay written out instead of taken from ``torch.optim``: an optimizer's first use imports torch's compiler
    (about a second of CPU) and each step runs its hooks, in a grader that never compiles. Not a graded function:
    ``fit_layers`` trains with it; ``tests/test_lab_content.py`` compares it with ``train``.

    Per batch: ``p -= lr * (grad + weight_decay * p)`` for each parameter with a gradient (SGD without momentum);
    after every ``step_size``-th epoch, ``lr *= gamma``.
    """
    generator = torch.Generator().manual_seed(seed)
    parameters = list(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    n = X.shape[0]
    losses = []
    for epoch in range(1, epochs + 1):
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            loss = loss_fn(model(X[batch]), y[batch])
            for p in parameters:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                for p in parameters:
                    if p.grad is not None:
                        step = p.grad if weight_decay == 0 else p.grad.add(p, alpha=weight_decay)
                        p.add_(step, alpha=-lr)
            total += loss.item() * len(batch)
        losses.append(total / n)
        if step_size and epoch % step_size == 0:
            lr = lr * gamma  # StepLR's chained form: the same float products as torch.optim's
    return losses
