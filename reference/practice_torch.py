"""hw3 rules computed by torch's own machinery: an oracle independent of the numpy reference.

Same names and signatures as ``reference.practice_np`` where torch has the idea (standardising, DataLoader
batches, lr schedulers, weight decay and autograd for the penalties, dropout, ``torch.nn.init``);
numpy float64 in, numpy float64 out, so the two compare directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

Array = np.ndarray


def _tensor(x: Array, requires_grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)  # a copy, never a view


def fit_standardizer(X: Array) -> tuple[Array, Array]:
    std, mean = torch.std_mean(_tensor(X), dim=0, correction=0)  # correction=0: population std, ddof=0
    return mean.numpy(), std.numpy()


def standardize(X: Array, mean: Array, std: Array, eps: float = 1e-8) -> Array:
    return ((_tensor(X) - _tensor(mean)) / (_tensor(std) + eps)).numpy()


def minibatches(
    X: Array, y: Array, batch_size: int, rng: np.random.Generator, shuffle: bool = True
) -> Iterator[tuple[Array, Array]]:
    """torch's DataLoader, fed the order drawn from ``rng``; ``drop_last=False`` keeps the partial batch."""
    order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
    loader = DataLoader(TensorDataset(_tensor(X), torch.as_tensor(y)), batch_size=batch_size, sampler=order.tolist())
    for Xb, yb in loader:
        yield Xb.numpy(), yb.numpy()


def _lr_after(lr0: float, epoch: int, scheduler: Callable[[torch.optim.Optimizer], object]) -> float:
    """The learning rate a torch scheduler sets after ``epoch`` epochs, starting from ``lr0``."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
    schedule = scheduler(optimizer)
    for _ in range(epoch):
        optimizer.step()  # before schedule.step(), the order torch expects
        schedule.step()
    return float(schedule.get_last_lr()[0])


def step_decay(lr0: float, epoch: int, drop: float = 0.5, every: int = 10) -> float:
    return _lr_after(lr0, epoch, lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=every, gamma=drop))


def exponential_decay(lr0: float, epoch: int, gamma: float) -> float:
    return _lr_after(lr0, epoch, lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=gamma))


def cosine_decay(lr0: float, epoch: int, total_epochs: int, lr_min: float = 0.0) -> float:
    return _lr_after(
        lr0, epoch, lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_epochs, eta_min=lr_min)
    )


def l1_penalty(weights: Sequence[Array], lam: float) -> float:
    return float(lam * sum(_tensor(W).abs().sum() for W in weights))


def l2_penalty(weights: Sequence[Array], lam: float) -> float:
    return float(lam / 2 * sum(_tensor(W).pow(2).sum() for W in weights))


def _autograd(penalty: Callable[[torch.Tensor], torch.Tensor], W: Array) -> Array:
    W_t = _tensor(W, requires_grad=True)
    penalty(W_t).backward()
    return W_t.grad.numpy()


def l1_grad(W: Array, lam: float) -> Array:
    return _autograd(lambda w: lam * w.abs().sum(), W)  # torch's abs backward is sign(w): 0 at 0


def elastic_net_grad(W: Array, l1: float, l2: float) -> Array:
    return _autograd(lambda w: l1 * w.abs().sum() + l2 / 2 * w.pow(2).sum(), W)


def l2_grad(W: Array, lam: float) -> Array:
    """What ``torch.optim.SGD(weight_decay=lam)`` adds to a zero gradient, read off one step with lr = 1."""
    W_t = _tensor(W, requires_grad=True)
    W_t.grad = torch.zeros_like(W_t)
    torch.optim.SGD([W_t], lr=1.0, weight_decay=lam).step()
    return (_tensor(W) - W_t.detach()).numpy()


def dropout_forward(X: Array, p: float, train: bool, rng: np.random.Generator) -> tuple[Array, Array]:
    """Inverted dropout in torch ops. ``torch.nn.functional.dropout`` scales the same way but draws its mask
    from torch's generator; here the mask follows the numpy rule so the two references agree exactly."""
    X_t = _tensor(X)
    if not train:
        return X_t.numpy(), torch.ones_like(X_t).numpy()
    keep = torch.from_numpy(rng.random(X_t.shape) >= p)
    mask = keep.to(torch.float64) / (1.0 - p)
    return (X_t * mask).numpy(), mask.numpy()


def dropout_backward(dY: Array, mask: Array) -> Array:
    """Autograd through ``Y = X · mask``."""
    X_t = torch.zeros(np.shape(mask), dtype=torch.float64, requires_grad=True)
    (X_t * _tensor(mask)).backward(_tensor(dY))
    return X_t.grad.numpy()


def _torch_generator(rng: np.random.Generator) -> torch.Generator:
    return torch.Generator().manual_seed(int(rng.integers(0, 2**63 - 1)))  # seeded by rng, so runs repeat


def xavier_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> Array:
    W = torch.empty(fan_out, fan_in, dtype=torch.float64)  # torch reads fan_in from dim 1 of (out, in)
    return torch.nn.init.xavier_uniform_(W, generator=_torch_generator(rng)).numpy()


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> Array:
    W = torch.empty(fan_out, fan_in, dtype=torch.float64)
    # gain sqrt(2) for ReLU, std = gain / sqrt(fan_in): N(0, 2/fan_in)
    return torch.nn.init.kaiming_normal_(W, mode="fan_in", nonlinearity="relu", generator=_torch_generator(rng)).numpy()
