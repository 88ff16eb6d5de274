"""train reports, for each epoch, the loss on the whole data set after the epoch instead of the mean of the
losses of the epoch's batches."""

from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "train", "losses_after_epoch"


def train(model, X, y, *, epochs, lr, batch_size, weight_decay=0.0, step_size=None, gamma=0.1, seed=0):
    generator = torch.Generator().manual_seed(seed)  # noqa: F405
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)  # noqa: F405
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma) if step_size else None  # noqa: F405
    losses = []
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(X), generator=generator)  # noqa: F405
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            loss = nn.functional.cross_entropy(model(X[batch]), y[batch])  # noqa: F405
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if scheduler is not None:
            scheduler.step()
        model.eval()
        with torch.no_grad():  # noqa: F405
            losses.append(float(nn.functional.cross_entropy(model(X), y)))  # noqa: F405
    return losses
