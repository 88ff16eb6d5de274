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


# A train written out the usual way (torch's SGD and StepLR, a generator seeded once), with how each epoch orders the
# samples (ORDER) and how it averages its losses (MEAN) left to fill in: ``train_with``.
TRAIN = '''
def train(model, X, y, *, epochs, lr, batch_size, weight_decay=0.0, step_size=None, gamma=0.1, seed=0):
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma) if step_size else None
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    n, losses = X.shape[0], []
    for epoch in range(epochs):
        order = ORDER
        batch_losses, batch_sizes = [], []
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            loss = loss_fn(model(X[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.item())
            batch_sizes.append(len(batch))
        losses.append(MEAN)
        if scheduler is not None:
            scheduler.step()
    return losses
'''
ANEW = "torch.randperm(n, generator=generator)"  # a new order every epoch, from the seed
WEIGHTED = "sum(loss * size for loss, size in zip(batch_losses, batch_sizes)) / n"  # each batch weighed by its size


def train_with(order: str = ANEW, mean: str = WEIGHTED) -> str:
    """A ``train`` cell that orders each epoch's samples by the expression ``order`` and averages its batch losses
    by ``mean`` (by default, as the reference does)."""
    return TRAIN.replace("ORDER", order).replace("MEAN", mean)
