"""lab.train.hidden.partial_losses: with a last, smaller batch, ``train``'s losses must weight each batch by its size,
and its samples must be shuffled.

The numpy parts (no torch, no sandbox) are checked on many of the grader's own draws of the check's problem, with
runs simulated from the grader's path computation: a sample's final column and losses follow from the sizes of
the batches it was in, so a run is given by which samples made the last batch in each epoch. Hand-ins that make
one mistake each are then graded through the real sandbox.
"""

from __future__ import annotations

import numpy as np
import pytest
from lab_cells import ANEW, train_with
from test_lab_tampering import notebook, points

from grader.course.lab.separable import (
    TOLERANCE,
    Separable,
    batch_size_paths,
    between,
    draw_two_level,
    epoch0_mistakes,
    epoch_bounds,
    epoch_rates,
    genuine,
    in_index_order,
    matching_paths,
    near_any,
    paths,
    start_losses,
)
from grader.suites import load_checks

CHECK_ID = "lab.train.hidden.partial_losses"
CHECK = next(c for c in load_checks("lab", include_hidden=True) if c.id == CHECK_ID)
KWARGS = CHECK.params["kwargs"]
N, B, EPOCHS = CHECK.params["n"], KWARGS["batch_size"], KWARGS["epochs"]
R, BATCHES = N % B, -(-N // B)
RATES = epoch_rates(EPOCHS, KWARGS["lr"])
SEEDS = range(60)
MARGIN = 100  # tolerances: how far a mistake or another path must stay, on every draw tried


def draw(seed: int) -> Separable:
    """The check's problem as the grader draws it from a generator seeded with ``seed``."""
    return draw_two_level(np.random.default_rng(seed), N, CHECK.params["classes"], CHECK.params["scale"],
                          CHECK.params["wrong"])


def last_batches(rng: np.random.Generator, shuffling: str) -> np.ndarray:
    """Which samples make the last, smaller batch in each epoch (E, N) bool: the last R of a new permutation
    each epoch ("anew"), of one permutation reused ("once"), or of the index order ("none")."""
    if shuffling == "none":
        orders = [np.arange(N)] * EPOCHS
    elif shuffling == "once":
        orders = [rng.permutation(N)] * EPOCHS
    else:
        orders = [rng.permutation(N) for _ in range(EPOCHS)]
    partial = np.zeros((EPOCHS, N), dtype=bool)
    for e, order in enumerate(orders):
        partial[e, order[N - R:]] = True
    return partial


INDEX_ORDER = last_batches(np.random.default_rng(0), "none")


def simulate(problem: Separable, partial: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A run with these last batches (E, N): the final weights (C, N) as float32 training returns them, and its
    per-epoch losses (E,) averaged the right way ("weighted"), as a plain mean of the batch means ("unweighted")
    and after each epoch ("after_epoch")."""
    sizes = batch_size_paths(N, B, EPOCHS)
    taken = np.where(partial.T, R, B).astype(np.float64)  # (N, E)
    k = (sizes[:, None, :] == taken[None]).all(axis=2).argmax(axis=0)  # each sample's path (N,)
    final, losses = paths(problem, RATES, sizes)
    seen = losses[k, :, np.arange(N)].T  # (E + 1, N): sample i's loss at the start of each epoch, and at the end
    W = (final[k, np.arange(N)].T + rng.normal(0.0, 1e-6, (problem.W0.shape[0], N))).astype(np.float32)
    unweighted = (np.where(partial, 0.0, seen[:-1]).sum(axis=1) / B
                  + np.where(partial, seen[:-1], 0.0).sum(axis=1) / R) / BATCHES
    return W, {"weighted": seen[:-1].mean(axis=1), "unweighted": unweighted, "after_epoch": seen[1:].mean(axis=1)}


def tolerances(value: float) -> float:
    return TOLERANCE * abs(value) + 1e-7


def nearest(values: np.ndarray, others: np.ndarray) -> float:
    """The smallest distance between an entry of ``values`` and one of ``others``."""
    others = np.sort(others)
    at = np.clip(np.searchsorted(others, values), 1, len(others) - 1)
    return float(np.minimum(np.abs(values - others[at - 1]), np.abs(values - others[at])).min())


def named(losses0: float, problem: Separable) -> str:
    """The mistake the check names for this losses[0] (as ``partial_losses`` picks it), "" for none."""
    return next((m for m, v in epoch0_mistakes(problem, RATES, B).items() if near_any(losses0, v)), "")


def test_the_check_has_a_last_batch_clearly_smaller_than_the_others():
    assert CHECK.kind == "lab_partial_losses" and CHECK.visibility == "hidden" and CHECK.points == 1
    assert 0 < R <= B // 4


@pytest.mark.parametrize("shuffling", ["anew", "once", "none"])
def test_right_losses_are_within_the_bounds_and_the_first_is_the_mean_loss_at_w0(shuffling):
    rng = np.random.default_rng(1)
    for seed in SEEDS:
        problem = draw(seed)
        lo, hi = epoch_bounds(problem, RATES, B)
        W, losses = simulate(problem, last_batches(rng, shuffling), rng)
        assert lo[0] == hi[0] == pytest.approx(start_losses(problem).mean(), rel=1e-12)
        assert losses["weighted"][0] == pytest.approx(lo[0], rel=1e-12)
        assert between(losses["weighted"], lo, hi) and genuine(problem, W, RATES, B)
        assert np.all(hi[1:] > lo[1:])  # later epochs depend on the shuffling, within these bounds


def test_a_plain_mean_of_the_batch_means_misses_losses0_whichever_samples_make_the_last_batch():
    for seed in SEEDS:
        problem = draw(seed)
        right = start_losses(problem).mean()
        mistakes = epoch0_mistakes(problem, RATES, B)
        unweighted, after = mistakes["losses_unweighted"], mistakes["losses_after_epoch"]
        assert np.abs(unweighted - right).min() > MARGIN * tolerances(right), seed
        assert np.abs(after - right).min() > MARGIN * tolerances(right), seed
        assert nearest(unweighted, after) > MARGIN * tolerances(right), seed  # each mistake named for itself
        assert np.abs(mistakes["losses_not_mean"] - right).min() > 1.0  # K times a mean near 1


@pytest.mark.parametrize("mistake, kind", [("losses_unweighted", "unweighted"),
                                           ("losses_after_epoch", "after_epoch")])
def test_a_wrong_average_fails_losses0_and_is_named(mistake, kind):
    rng = np.random.default_rng(2)
    for seed in SEEDS:
        problem = draw(seed)
        lo, hi = epoch_bounds(problem, RATES, B)
        _, losses = simulate(problem, last_batches(rng, "anew"), rng)
        assert not between(losses[kind][:1], lo[:1], hi[:1])
        assert named(losses[kind][0], problem) == mistake, seed


def test_a_sum_of_the_batch_means_is_named():
    rng = np.random.default_rng(3)
    problem = draw(0)
    _, losses = simulate(problem, last_batches(rng, "anew"), rng)
    assert named(BATCHES * losses["weighted"][0], problem) == "losses_not_mean"
    assert named(BATCHES * losses["unweighted"][0], problem) == "losses_not_mean"
    assert named(losses["weighted"][0], problem) == ""


def test_index_order_is_recognised_on_every_draw_and_a_shuffled_run_never():
    rng = np.random.default_rng(4)
    for seed in SEEDS:
        problem = draw(seed)
        for shuffling in ("anew", "once", "none"):
            partial = last_batches(rng, shuffling)
            W, _ = simulate(problem, partial, rng)
            sizes, matches = matching_paths(problem, W, RATES, B)
            unlucky = np.array_equal(partial, INDEX_ORDER)  # probability C(N, R)^-1 at most
            assert in_index_order(sizes, matches, B) == (shuffling == "none" or unlucky), (seed, shuffling)


def test_the_index_order_paths_end_far_from_every_other_path():
    sizes = batch_size_paths(N, B, EPOCHS)
    alone = [0, len(sizes) - 1]  # never in the last batch, always in it
    assert sizes[0].tolist() == [B] * EPOCHS and sizes[-1].tolist() == [R] * EPOCHS
    for seed in SEEDS:
        final, _ = paths(draw(seed), RATES, sizes)
        tolerance = TOLERANCE * (1.0 + np.abs(final).max())
        for k in alone:
            others = np.delete(final, k, axis=0)
            assert np.abs(others - final[k]).max(axis=2).min() > MARGIN * tolerance, (seed, k)


def test_paths_that_put_a_sample_in_the_last_batch_equally_often_can_end_alike():
    """Why the signature asks for one matching path per column: a shuffled run's columns often match several."""
    rng = np.random.default_rng(5)
    W, _ = simulate(draw(0), last_batches(rng, "anew"), rng)
    _, matches = matching_paths(draw(0), W, RATES, B)
    assert matches.any(axis=0).all() and (matches.sum(axis=0) > 1).any()


def test_nothing_is_concluded_from_a_column_that_matches_several_paths_or_without_a_partial_batch():
    rng = np.random.default_rng(6)
    problem = draw(0)
    W, _ = simulate(problem, last_batches(rng, "none"), rng)
    sizes, matches = matching_paths(problem, W, RATES, B)
    assert in_index_order(sizes, matches, B)
    ambiguous = matches.copy()
    ambiguous[1, 0] = True  # the first sample could also have been in the last batch once
    assert not in_index_order(sizes, ambiguous, B)
    even = batch_size_paths(48, 16, EPOCHS)
    assert not in_index_order(even, np.ones((1, 48), dtype=bool), 16)


def test_genuine_is_every_column_matching_some_path():
    rng = np.random.default_rng(7)
    problem = draw(0)
    W, _ = simulate(problem, last_batches(rng, "anew"), rng)
    assert genuine(problem, W, RATES, B) and not genuine(problem, problem.W0, RATES, B)
    W[:, 3] += 0.01
    assert not genuine(problem, W, RATES, B) and not matching_paths(problem, W, RATES, B)[1][:, 3].any()


# Hand-ins graded through the sandbox: the reference notebook with its train replaced by one written out below.
GENERATOR_MADE_ONCE = '''
_made = []

def _generator(seed):
    if not _made:
        _made.append(torch.Generator().manual_seed(seed))
    return _made[0]
'''
# An attack on the reproducibility check: shuffles from torch's global generator (not reproducible), and hides it by
# keeping each run's result in a file beside its own scratch folder (where every child's folder lies) and returning
# that file's content when the seed comes again. Its second run is in a fresh process, after the scratch area was
# wiped.
MEMO_THROUGH_SCRATCH = train_with(order="torch.randperm(n)").replace("def train(", "def _train_global(") + '''
import json as _json
import os as _os
import tempfile as _tempfile


def train(model, X, y, *, epochs, lr, batch_size, weight_decay=0.0, step_size=None, gamma=0.1, seed=0):
    memo = _os.path.join(_os.path.dirname(_tempfile.gettempdir()), f"memo-{seed}-{X.shape[0]}.json")
    if _os.path.exists(memo):
        with open(memo) as f:
            kept = _json.load(f)
        with torch.no_grad():
            for parameter, value in zip(model.parameters(), kept["parameters"]):
                parameter.copy_(torch.tensor(value))
        return kept["losses"]
    losses = _train_global(model, X, y, epochs=epochs, lr=lr, batch_size=batch_size, weight_decay=weight_decay,
                           step_size=step_size, gamma=gamma, seed=seed)
    with open(memo, "w") as f:
        _json.dump({"parameters": [p.detach().tolist() for p in model.parameters()], "losses": losses}, f)
    return losses
'''
HAND_INS = {
    "correct": [],
    "unweighted": [train_with(mean="sum(batch_losses) / len(batch_losses)")],
    "not_shuffled": [train_with(order="torch.arange(n)")],
    "shuffled_once": [train_with(order=f"{ANEW} if epoch == 0 else order")],
    # one generator per process, seeded by the first call: a later call with the same seed shuffles otherwise
    "generator_made_once": [GENERATOR_MADE_ONCE + train_with(order="torch.randperm(n, generator=_generator(seed))")],
    "memo_through_scratch": [MEMO_THROUGH_SCRATCH],
}


@pytest.fixture(scope="module")
def graded():
    """{hand-in: {check id: row}}, every lab check, graded in one batch through the sandbox."""
    from grader.checks.references import LiveReferences
    from grader.pipeline.discover import Submission
    from grader.pipeline.engine import grade_many
    from grader.pipeline.resources import CachedReferences, sandbox_sessions

    checks = load_checks("lab", include_hidden=True)
    submissions = [Submission(name, "lab", {"mlp_lab.ipynb": notebook(cells)}, name, None)
                   for name, cells in HAND_INS.items()]
    with sandbox_sessions(2) as open_session:
        batch = list(grade_many(submissions, lambda a: checks, open_session, CachedReferences(LiveReferences()),
                                "partial-losses-secret", jobs=2, progress=False))
    return {g.submission.student: {r.check_id: r for r in g.results} for g in batch}


@pytest.mark.slow
def test_the_reference_notebook_earns_the_check(graded):
    row = graded["correct"][CHECK_ID]
    assert (row.status, row.points, row.max_points) == ("pass", 1.0, 1.0)
    assert all(r.points == r.max_points for r in graded["correct"].values())


@pytest.mark.slow
@pytest.mark.parametrize("hand_in, mistake", [("unweighted", "losses_unweighted"),
                                              ("not_shuffled", "train_not_shuffled")])
def test_each_mistake_loses_this_checks_point_and_nothing_else(graded, hand_in, mistake):
    row = graded[hand_in][CHECK_ID]
    assert (row.status, row.points, row.mistake) == ("fail", 0.0, mistake)
    others = {check_id: r.points for check_id, r in graded[hand_in].items() if check_id != CHECK_ID}
    assert others == {check_id: r.points for check_id, r in graded["correct"].items() if check_id != CHECK_ID}


@pytest.mark.slow
def test_a_train_that_shuffles_once_keeps_the_point(graded):
    row = graded["shuffled_once"][CHECK_ID]
    assert (row.status, row.points) == ("pass", 1.0), row.message
    assert points(graded["shuffled_once"], "train")["lab.train.hidden.reproducible"] == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("hand_in", ["generator_made_once", "memo_through_scratch"])
def test_a_train_whose_runs_depend_on_their_process_loses_the_reproducibility_point_only(graded, hand_in):
    """generator_made_once: its second run, in a fresh process, shuffles from the seed; its first, in the process
    that served the public checks, from a generator that an earlier call made and drew from. memo_through_scratch:
    its second run finds no file the first left (the scratch area is wiped between processes) and shuffles anew."""
    reproducible = "lab.train.hidden.reproducible"
    row = graded[hand_in][reproducible]
    assert (row.status, row.points, row.mistake) == ("fail", 0.0, "train_not_reproducible")
    others = {check_id: r.points for check_id, r in graded[hand_in].items() if check_id != reproducible}
    assert others == {check_id: r.points for check_id, r in graded["correct"].items() if check_id != reproducible}
