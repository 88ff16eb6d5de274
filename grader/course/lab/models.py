"""Lab models as data, made in the grader's process: layer specs, and weights the grader draws itself.

A spec lists layers in forward order: ``["linear", n_in, n_out]`` (a fourth item False: without bias),
``["relu"]``, ``["dropout", p]``; ``grader.worker.lab_procedures.sequential`` turns it into an ``nn.Sequential``
in the worker. Weights are ``[[W, b], ...]`` per Linear layer, ``W`` ``(out, in)`` and ``b`` ``(out,)``, float32
(what a torch model holds), drawn from a check's generator so that no submission can predict them.
``sizes`` is ``[D, h1, ..., C]``: input features, hidden sizes, classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Spec = list[list[Any]]
Weights = list[list[np.ndarray]]


def plain_spec(sizes: Sequence[int], p_dropout: float = 0.0) -> Spec:
    """The grader's model for ``sizes``: a Linear per consecutive pair, each but the last followed by a ReLU
    and, when ``p_dropout > 0``, a Dropout(p_dropout)."""
    sizes = [int(s) for s in sizes]
    hidden = [["relu"]] + ([["dropout", float(p_dropout)]] if p_dropout > 0 else [])
    spec: Spec = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        spec += [["linear", n_in, n_out]] + (hidden if k < len(sizes) - 2 else [])
    return spec


def param_shapes(sizes: Sequence[int]) -> list[list[int]]:
    """The parameter shapes of ``build_mlp``'s model in forward order: ``[(h1, D), (h1,), ..., (C, h_last), (C,)]``."""
    shapes: list[list[int]] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        shapes += [[int(n_out), int(n_in)], [int(n_out)]]
    return shapes


def flat(weights: Weights) -> list[np.ndarray]:
    """``[[W1, b1], [W2, b2], ...]`` as ``[W1, b1, W2, b2, ...]`` (the order of ``param_shapes``)."""
    return [array for layer in weights for array in layer]


def paired(params: Sequence[np.ndarray]) -> Weights:
    """The inverse of ``flat``."""
    return [[np.asarray(params[k]), np.asarray(params[k + 1])] for k in range(0, len(params), 2)]


def default_init(sizes: Sequence[int], rng: np.random.Generator) -> Weights:
    """Weights distributed as ``nn.Linear`` initialises them: W and b i.i.d. U(-1/√fan_in, 1/√fan_in)."""
    weights: Weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1.0 / np.sqrt(n_in)
        weights.append([rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32),
                        rng.uniform(-bound, bound, n_out).astype(np.float32)])
    return weights


def mixed_weights(sizes: Sequence[int], rng: np.random.Generator) -> Weights:
    """Weights that make every part of the architecture show in the output on N(0, 1) inputs: pre-activations of
    either sign (so a missing or extra ReLU changes the output), W ~ N(0, 2/fan_in), b ~ N(0, 0.5²)."""
    return [[rng.normal(0.0, np.sqrt(2.0 / n_in), (n_out, n_in)).astype(np.float32),
             rng.normal(0.0, 0.5, n_out).astype(np.float32)] for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]


def unit_revealing_weights(D: int, H: int, rng: np.random.Generator, blocks: int = 1) -> Weights:
    """Weights of ``Linear(D, H) -> ReLU -> Dropout [-> Linear(H, H) -> ReLU -> Dropout]... -> Linear(H, H)``
    (``blocks`` hidden blocks) under which each output entry IS one hidden unit: first layer W ~ U(0, 1)/D,
    b ~ U(0.5, 1.5), so on inputs in [0, 1) every pre-activation is at least 0.5 (ReLU passes it), and every later
    layer is the identity. A unit dropped by any block then reads exactly 0 in the output and a kept one
    ``h / (1 - p)^blocks``."""
    identity = [np.eye(H, dtype=np.float32), np.zeros(H, np.float32)]
    return [[(rng.uniform(0.0, 1.0, (H, D)) / D).astype(np.float32), rng.uniform(0.5, 1.5, H).astype(np.float32)],
            *([a.copy() for a in identity] for _ in range(blocks))]
