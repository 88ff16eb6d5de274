"""train makes the StepLR scheduler but never steps it."""

from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "train", "scheduler_ignored"


def train(model, X, y, *, epochs, lr, batch_size, weight_decay=0.0, step_size=None, gamma=0.1, seed=0):
    generator = torch.Generator().manual_seed(seed)  # noqa: F405
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)  # noqa: F405
    losses = []
    for _ in range(epochs):
        order, total = torch.randperm(len(X), generator=generator), 0.0  # noqa: F405
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            loss = nn.functional.cross_entropy(model(X[batch]), y[batch])  # noqa: F405
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / len(X))
    return losses
