"""Worker-side procedures: drive student code through steps that cannot cross as data, and report data.

This module runs INSIDE the sandbox, next to untrusted code: it imports nothing from ``reference/`` or
the hidden suites, and computes no expected answer. Each procedure takes the student's module and a
payload of plain data and returns plain data (numbers, numeric arrays, lists and str-keyed dicts of
those); the grader judges it in its own process. Errors raised by student code propagate: the worker
reports them like any other call. The lab's procedures live in ``grader.worker.lab_procedures``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from grader.worker import lab_procedures

Payload = dict[str, Any]


def _numeric(value: Any, what: str) -> np.ndarray:
    """``value`` (an ndarray, a tensor, a number or a nested list) as a numeric ndarray, or TypeError."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{what} should be numbers or a numeric array; got {type(value).__name__}") from exc
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what} should be numbers or a numeric array; got {type(value).__name__} of {array.dtype}")
    return np.array(array)  # a copy that owns its data


def collect_minibatches(module: ModuleType, payload: Payload) -> Payload:
    """Run ``minibatches`` for ``epochs`` epochs with one generator ``default_rng(seed)`` and list the batches.

    Payload: ``X``, ``y``, ``batch_size``, ``seed``, ``epochs`` (default 1) and ``shuffle`` (omitted: the
    student's default). Returns ``{"epochs": [{"X": [Xb, ...], "y": [yb, ...]}, ...], "too_many": bool}``;
    an epoch stops after ``N + 1`` batches (no correct epoch has that many). ``X`` and ``y`` are handed over
    as they came (in memory the grader reads back after the call, to see whether they were changed).
    """
    X, y = payload["X"], payload["y"]
    rng = np.random.default_rng(payload["seed"])
    kwargs = {} if payload.get("shuffle") is None else {"shuffle": bool(payload["shuffle"])}
    epochs, too_many = [], False
    for _ in range(int(payload.get("epochs", 1))):
        Xs, ys = [], []
        for k, item in enumerate(module.minibatches(X, y, int(payload["batch_size"]), rng, **kwargs)):
            if k > len(X):
                too_many = True
                break
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise TypeError(f"minibatches should yield pairs (Xb, yb); batch {k} is a {type(item).__name__}")
            Xs.append(_numeric(item[0], f"Xb of batch {k}"))
            ys.append(_numeric(item[1], f"yb of batch {k}"))
        epochs.append({"X": Xs, "y": ys})
    return {"epochs": epochs, "too_many": too_many}


PROCEDURES: dict[str, Callable[[ModuleType, Payload], Any]] = {
    "collect_minibatches": collect_minibatches,
    "lab_build": lab_procedures.build,
    "lab_train": lab_procedures.train,
    "lab_predict": lab_procedures.predict,
}
