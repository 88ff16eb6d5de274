"""Lab ``train`` checks on the separable problem (``lab_separable``): the losses it returns, and whether two runs
with one seed agree.

Why this way: a loss list or "the two runs agree" said by the worker proves nothing (a replaced procedure could
return ``[1.0, 0.9, ...]`` twice). On the separable problem the grader computes plain SGD's trajectory itself, so:

- losses: with ``batch_size`` dividing N, the losses of every epoch are fixed numbers whatever the shuffling;
  the returned ones must equal the grader's (and a known wrong way of averaging is named when they equal that);
- reproducible: two runs from the grader's weights with the same ``seed``, in two worker processes whose global
  generators (torch, numpy, Python) the procedure puts in different states: the first where the session stands,
  the second in a fresh process (``ctx.restart()``), so nothing the first left in its process can reach it, and
  a ``train`` whose result depends on what ran before it in its process (a generator made once, on the first
  call's seed) shows it. Each run must be a genuine SGD run (every column of the weights at the end of one of its
  possible paths, which depend on which epochs put a sample in the last, partial batch); only then does their
  agreement say something, and the grader compares the two in its own process.
- partial losses: with a last, smaller batch (``draw_two_level``'s problem), ``losses[0]`` is still a fixed number
  (every sample's loss in epoch 0 is taken at W0), which a plain mean of the batch means misses; each later loss
  must lie in the range the possible paths allow; and the returned weights must not show the samples taken in
  index order every epoch (``separable.in_index_order``).
"""

from __future__ import annotations

import numpy as np

from grader.checks.base import Context, Verdict
from grader.checks.judge import outcome_failure, stated
from grader.course.lab.kinds.training import weights_after
from grader.course.lab.rules import NOT_REPRODUCIBLE, NOT_SHUFFLED, named
from grader.course.lab.separable import (
    Separable,
    all_paths,
    between,
    close,
    draw_separable,
    draw_two_level,
    ends,
    epoch0_mistakes,
    epoch_rates,
    expected_losses,
    genuine,
    in_index_order,
    loss_bounds,
    near_any,
)
from grader.protocol.outcomes import Returned

NOT_SGD = ("the weights after training are not those of plain SGD (torch.optim.SGD with lr, no momentum) on the "
           "cross-entropy, every sample once per epoch in minibatches of batch_size")


def _should_be(epoch: str) -> str:
    """What ``losses[epoch]`` should be, in words."""
    return f"losses[{epoch}] should be the mean of the per-sample losses seen during epoch {epoch}, each batch's " \
        "loss weighted by its size"


def _train(ctx: Context, problem: Separable, kwargs: dict, seed: int, torch_seed: int
           ) -> tuple[np.ndarray, np.ndarray] | Verdict:
    """One run of the student's train on ``problem``: the weights (C, N) and losses, or the failing verdict."""
    outcome = ctx.procedure("lab_train", X=problem.X(), y=problem.y, spec=problem.spec(), weights=problem.weights(),
                            torch_seed=torch_seed, kwargs={**kwargs, "seed": seed})
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, "train")
    trained, losses, problem_text = weights_after(outcome.value, [problem.n, problem.W0.shape[0]], ctx.hidden)
    if trained is None or losses is None:
        return stated("train", problem_text)
    return trained[0][0], losses


def losses(ctx: Context, *, n: int, classes: int, scale: float, kwargs: dict) -> Verdict:
    """The returned losses equal the grader's per-epoch mean losses of plain SGD (``batch_size`` divides n)."""
    rates = epoch_rates(kwargs["epochs"], kwargs["lr"], kwargs.get("step_size"), kwargs.get("gamma", 0.1))
    if n % kwargs["batch_size"]:
        raise ValueError("the losses check needs batch_size to divide n")
    problem = draw_separable(ctx.rng, n, classes, scale)
    result = _train(ctx, problem, kwargs, int(ctx.rng.integers(2**31)), int(ctx.rng.integers(2**31)))
    if isinstance(result, Verdict):
        return result
    W, returned = result
    expected = expected_losses(problem, rates, kwargs["batch_size"])
    if close(returned, expected[""]):
        return Verdict.ok()
    if returned.shape != expected[""].shape:
        got = "" if ctx.hidden else f" (it returned {returned.size} for {kwargs['epochs']} epochs)"
        return stated("train", f"it should return one loss per epoch{got}")
    mistake = next((m for m, v in expected.items() if m and close(returned, v)), "")
    why = "" if genuine(problem, W, rates, kwargs["batch_size"]) else f"; besides, {NOT_SGD}"
    return stated("train", f"{_should_be('e')}{why}", named(mistake))


def reproducible(ctx: Context, *, n: int, classes: int, scale: float, kwargs: dict) -> Verdict:
    """Two runs with the same seed, in two processes (the second fresh) with other global generator states, are
    genuine SGD runs and give the same weights and losses."""
    rates = epoch_rates(kwargs["epochs"], kwargs["lr"], kwargs.get("step_size"), kwargs.get("gamma", 0.1))
    problem = draw_separable(ctx.rng, n, classes, scale)
    seed = int(ctx.rng.integers(2**31))
    runs = []
    for run, torch_seed in enumerate(int(s) for s in ctx.rng.choice(2**31, size=2, replace=False)):
        if run:
            ctx.restart()
        result = _train(ctx, problem, kwargs, seed, torch_seed)
        if isinstance(result, Verdict):
            return result
        if not genuine(problem, result[0], rates, kwargs["batch_size"]):
            return stated("train", f"{NOT_SGD}, so its runs cannot be compared")
        runs.append(result)
    (W1, losses1), (W2, losses2) = runs
    if np.allclose(W1, W2, rtol=1e-6, atol=1e-7) and losses1.shape == losses2.shape and \
            np.allclose(losses1, losses2, rtol=1e-6, atol=0):
        return Verdict.ok()
    return stated("train", "two runs with the same seed from the same weights differ", NOT_REPRODUCIBLE)


def partial_losses(ctx: Context, *, n: int, classes: int, scale: float, wrong: int, kwargs: dict) -> Verdict:
    """``batch_size`` not dividing n, on ``draw_two_level``'s problem: one loss per epoch; a genuine SGD run;
    ``losses[0]`` the mean loss at W0 and every later ``losses[e]`` within ``loss_bounds``; and the samples
    shuffled, that is, the weights not those of index order in every epoch (``in_index_order``)."""
    batch_size = kwargs["batch_size"]
    if n % batch_size == 0:
        raise ValueError("the partial losses check needs batch_size not to divide n")
    rates = epoch_rates(kwargs["epochs"], kwargs["lr"], kwargs.get("step_size"), kwargs.get("gamma", 0.1))
    problem = draw_two_level(ctx.rng, n, classes, scale, wrong)
    result = _train(ctx, problem, kwargs, int(ctx.rng.integers(2**31)), int(ctx.rng.integers(2**31)))
    if isinstance(result, Verdict):
        return result
    W, returned = result
    if returned.shape != rates.shape:
        return stated("train", "it should return one loss per epoch", problem="length")
    sizes, final, path_losses = ctx.expected("paths", lambda: all_paths(problem, rates, batch_size))
    matches = ends(final, W)
    if not np.all(matches.any(axis=0)):
        return stated("train", NOT_SGD)
    lo, hi = loss_bounds(path_losses)
    if not between(returned[:1], lo[:1], hi[:1]):
        known = ctx.expected("epoch0", lambda: epoch0_mistakes(problem, rates, batch_size))
        mistake = next((m for m, values in known.items() if near_any(returned[0], values)), "")
        return stated("train", f"{_should_be('0')} (the last batch is smaller)", named(mistake), problem="values")
    if not between(returned, lo, hi):
        return stated("train", _should_be("e"), problem="values")
    if in_index_order(sizes, matches, batch_size):
        return stated("train", "the samples were not shuffled: the same last samples made the last, smaller batch "
                      "in every epoch", NOT_SHUFFLED)
    return Verdict.ok()
