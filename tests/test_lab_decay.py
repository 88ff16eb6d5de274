"""Weight decay and StepLR judged on the separable problem (``grader.course.lab.decay``): plain SGD run by torch ends
every column on one of the paths the grader computes, whatever the shuffling, and each known mistake ends on its
own paths, not on the right ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.course.lab import decay
from grader.course.lab.separable import draw_separable
from grader.suites import load_checks

torch = pytest.importorskip("torch")


def sgd(problem, *, epochs, lr, batch_size, weight_decay=0.0, step_size=None, gamma=0.1, seed=0,
        mistake: str = "") -> np.ndarray:
    """torch's SGD on the separable problem, shuffled each epoch, as ``train`` runs it (or with ``mistake``).
    Returns W (C, N)."""
    model = torch.nn.Linear(problem.n, problem.W0.shape[0], bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.as_tensor(problem.W0))
    decayed = 0.0 if mistake == "weight_decay_ignored" else weight_decay
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=decayed)
    scheduled = step_size and mistake != "scheduler_ignored"
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma) if scheduled else None
    X, y = torch.as_tensor(problem.X()), torch.as_tensor(problem.y)
    generator = torch.Generator().manual_seed(seed)
    stop = problem.n // batch_size * batch_size if mistake == "train_drops_last_batch" else problem.n
    for _ in range(epochs):
        order = torch.randperm(problem.n, generator=generator)
        for start in range(0, stop, batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
            optimizer.step()
            if scheduler is not None and mistake == "scheduler_per_batch":
                scheduler.step()
        if scheduler is not None and mistake != "scheduler_per_batch":
            scheduler.step()
    return model.weight.detach().double().numpy()


CHECKS = [c for c in load_checks("lab", include_hidden=True) if c.kind == "lab_weight_decay"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_plain_sgd_with_decay_follows_one_of_the_paths_and_each_mistake_its_own(check) -> None:
    n, kwargs = check.params["n"], check.params["kwargs"]
    steppings = decay.steppings(n, kwargs)
    for seed in range(8):
        problem = draw_separable(np.random.default_rng(seed), n, check.params["classes"], check.params["scale"])
        finals = {m: decay.decayed_finals(problem, s) for m, s in steppings.items()}
        assert decay.follows(sgd(problem, **kwargs, seed=seed), finals[""]), seed
        for mistake in (m for m in steppings if m):
            W = sgd(problem, **kwargs, seed=seed, mistake=mistake)
            assert decay.follows(W, finals[mistake]) and not decay.follows(W, finals[""]), (seed, mistake)


def test_the_suites_name_every_mistake_somewhere() -> None:
    named = {m for c in CHECKS for m in decay.steppings(c.params["n"], c.params["kwargs"]) if m}
    assert named == {"weight_decay_ignored", "scheduler_ignored", "scheduler_per_batch", "train_drops_last_batch"}


def test_a_check_with_too_many_paths_is_refused() -> None:
    with pytest.raises(ValueError, match="paths"):
        decay.steppings(32, {"epochs": 5, "lr": 0.5, "batch_size": 8, "weight_decay": 0.2})
    assert math.ceil(32 / 8) ** 5 > decay.MAX_PATHS
