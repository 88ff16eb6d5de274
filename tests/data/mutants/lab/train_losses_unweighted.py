"""train reports each epoch's loss as the plain mean of its batch means, the last, smaller batch counted as much as
a full one."""

from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "train", "losses_unweighted"


def train(model, X, y, *, epochs, lr, batch_size, weight_decay=0.0, step_size=None, gamma=0.1, seed=0):
    generator = torch.Generator().manual_seed(seed)  # noqa: F405
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)  # noqa: F405
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma) if step_size else None  # noqa: F405
    losses = []
    for _ in range(epochs):
        order, batch_losses = torch.randperm(len(X), generator=generator), []  # noqa: F405
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            loss = nn.functional.cross_entropy(model(X[batch]), y[batch])  # noqa: F405
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.item())
        losses.append(sum(batch_losses) / len(batch_losses))
        if scheduler is not None:
            scheduler.step()
    return losses
