"""Plain SGD with weight decay and StepLR on the separable problem (``grader.course.lab.separable``), computed by the
grader: what ``train`` must do to every weight, not only to weights that get no gradient.

Weight decay touches every column of W (C, N) at every step, and sample i's loss gradient touches column i only in
the step of its own batch. So column i's path through an epoch of ``nb`` steps depends on which step its batch is
(its position): at step s, ``U_i ← U_i - lr_s · (wd · U_i + [s = position] · scale / B_s · (softmax(scale · U_i) -
onehot(y_i)))``, with ``B_s`` that batch's size and ``lr_s`` StepLR's rate. Over E epochs a column follows one of
``nb^E`` paths, whatever the shuffling, and the grader computes them all (``decayed_finals``): the weights a
``train`` returns must end each column on one of them (``follows``). A ``train`` that decays only the weights that
get no gradient, or only when it spots a probe, does not: on this problem every weight gets a gradient.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np

from grader.course.lab.rules import DROPS_LAST_BATCH, SCHEDULER_IGNORED, SCHEDULER_PER_BATCH, WEIGHT_DECAY_IGNORED
from grader.course.lab.separable import Separable, cross_entropy, ends, epoch_rates

MAX_PATHS = 256  # nb^E: a check's batches and epochs are chosen to keep the grader's work small


class Stepping(NamedTuple):
    """How a run steps: ``rates`` (E, nb), the learning rate of every step (0: no step); ``sizes`` (nb,), each
    step's batch size (0: a batch that takes no sample's gradient); ``weight_decay``."""

    rates: np.ndarray
    sizes: np.ndarray
    weight_decay: float


def step_rates(epochs: int, batches: int, lr: float, step_size: int | None, gamma: float, *,
               per_batch: bool = False) -> np.ndarray:
    """(E, nb) StepLR rates ``lr · gamma^(t // step_size)``, t the epoch (or, ``per_batch``, the step); lr
    throughout without ``step_size``."""
    if not (per_batch and step_size):
        return np.repeat(epoch_rates(epochs, lr, step_size, gamma)[:, None], batches, axis=1)
    return lr * gamma ** (np.arange(epochs * batches).reshape(epochs, batches) // step_size)


def steppings(n: int, kwargs: dict) -> dict[str, Stepping]:
    """The right stepping ("") for ``train(**kwargs)`` on N = ``n`` samples, and those of the known mistakes that differ
    from it: weight decay ignored, the schedule ignored or stepped per batch, the last partial batch dropped."""
    batch_size, epochs, lr = kwargs["batch_size"], kwargs["epochs"], kwargs["lr"]
    step_size, gamma, wd = kwargs.get("step_size"), kwargs.get("gamma", 0.1), kwargs.get("weight_decay", 0.0)
    nb, last = math.ceil(n / batch_size), n % batch_size
    if nb**epochs > MAX_PATHS:
        raise ValueError(f"{nb} batches over {epochs} epochs make over {MAX_PATHS} paths: fewer of either")
    sizes = np.array([batch_size] * (nb - 1) + [last or batch_size], dtype=np.float64)
    rates = step_rates(epochs, nb, lr, step_size, gamma)
    found = {"": Stepping(rates, sizes, wd)}
    if wd:
        found[WEIGHT_DECAY_IGNORED.id] = Stepping(rates, sizes, 0.0)
    if step_size:
        found[SCHEDULER_IGNORED.id] = Stepping(step_rates(epochs, nb, lr, None, gamma), sizes, wd)
        per_batch = step_rates(epochs, nb, lr, step_size, gamma, per_batch=True)
        if not np.array_equal(per_batch, rates):
            found[SCHEDULER_PER_BATCH.id] = Stepping(per_batch, sizes, wd)
    if last:
        dropped = rates.copy()
        dropped[:, -1] = 0.0
        found[DROPS_LAST_BATCH.id] = Stepping(dropped, np.append(sizes[:-1], 0.0), wd)
    return found


def decayed_finals(problem: Separable, stepping: Stepping) -> np.ndarray:
    """Every path's final columns (K, N, C), K = nb^E: path k puts each sample's batch at step ``positions[k, e]``
    of epoch e (see the module docstring), in float64."""
    epochs, nb = stepping.rates.shape
    positions = np.array(list(itertools.product(range(nb), repeat=epochs)))  # (K, E)
    U = np.broadcast_to(problem.W0.T.astype(np.float64), (len(positions), problem.n, problem.W0.shape[0])).copy()
    for e in range(epochs):
        for s in range(nb):
            if not stepping.rates[e, s]:
                continue
            _, grad = cross_entropy(problem.scale * U, problem.y)
            size = stepping.sizes[s]
            taken = (positions[:, e] == s)[:, None, None] * (problem.scale / size if size else 0.0)
            U -= stepping.rates[e, s] * (stepping.weight_decay * U + taken * grad)
    return U


def follows(W: np.ndarray, finals: np.ndarray) -> bool:
    """Whether every column of the returned weights ``W`` (C, N) ends one of the paths ``finals`` (K, N, C)."""
    return bool(np.all(ends(finals, W).any(axis=0)))
