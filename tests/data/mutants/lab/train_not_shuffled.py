"""train visits the samples in index order every epoch: never shuffled."""

from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "train", "train_not_shuffled"


def train(model, X, y, *, epochs, lr, batch_size, weight_decay=0.0, step_size=None, gamma=0.1, seed=0):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)  # noqa: F405
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma) if step_size else None  # noqa: F405
    losses = []
    for _ in range(epochs):
        order, total = torch.arange(len(X)), 0.0  # noqa: F405
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            loss = nn.functional.cross_entropy(model(X[batch]), y[batch])  # noqa: F405
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / len(X))
        if scheduler is not None:
            scheduler.step()
    return losses
