"""Lab models as data: the layer specs the grader sends to the worker, which
``grader.worker.procedures.sequential`` turns into an ``nn.Sequential``.

A spec lists layers in forward order: ``["linear", n_in, n_out]`` (a fourth item False: without bias),
``["relu"]``, ``["dropout", p]``. The grader makes its own models from a spec (the ``lab_train`` and
``lab_predict`` procedures), and re-makes the model that ``build_mlp`` made from that model's layer
report, to train it with the reference ``train`` in the grader's process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Spec = list[list[Any]]
NO_OPS = ("Identity", "Flatten")  # on (N, D) inputs they change nothing


def plain_spec(sizes: Sequence[int], p_dropout: float = 0.0) -> Spec:
    """The grader's model for ``sizes`` ``[D, h1, ..., C]``: a Linear per consecutive pair, each but the last
    followed by a ReLU and, when ``p_dropout > 0``, a Dropout(p_dropout)."""
    sizes = [int(s) for s in sizes]
    hidden = [["relu"]] + ([["dropout", float(p_dropout)]] if p_dropout > 0 else [])
    spec: Spec = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        spec += [["linear", n_in, n_out]] + (hidden if k < len(sizes) - 2 else [])
    return spec


def spec_from_report(layers: Sequence[dict[str, Any]]) -> Spec:
    """The spec of the leaf layers a ``lab_build`` report lists in call order (``kind``, and ``in_features``,
    ``out_features``, ``bias`` of a Linear or ``p`` of a Dropout). Raises ValueError for another kind of layer."""
    spec: Spec = []
    for layer in layers:
        kind = layer["kind"]
        if kind == "Linear":
            spec.append(["linear", int(layer["in_features"]), int(layer["out_features"])]
                        + ([] if layer.get("bias", True) else [False]))
        elif kind == "ReLU":
            spec.append(["relu"])
        elif kind == "Dropout":
            spec.append(["dropout", float(layer["p"])])
        elif kind not in NO_OPS:
            raise ValueError(f"a layer of kind {kind!r} has no spec: only Linear, ReLU and Dropout models are re-made")
    return spec
