"""train shuffles from torch's global generator instead of its seed: two runs with one seed differ."""

from reference import mlp_lab as _ref
from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "train", "train_not_reproducible"


def train(model, X, y, *, seed=0, **kwargs):
    return _ref.train(model, X, y, seed=int(torch.randint(0, 2**31, ())), **kwargs)  # noqa: F405
