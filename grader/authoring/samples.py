"""Sample submissions made from the references: a correct hand-in, and typical mistakes to mutate it with.

Used for the sample class in ``submissions/`` (``alice`` is the references laid out as a hand-in, ``bob``
the same with a few classic bugs) and by the benchmark, which mixes correct and mutated students.
Regenerate the two sample students after a reference changes::

    python -m grader.authoring.samples submissions
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NamedTuple

from grader.course.assignments import ASSIGNMENTS, REPO_ROOT

# A submission cannot import the reference package: practice.py imports the student's own backprop.py.
_IMPORT_REWRITES = {"from reference.backprop_np import": "from backprop import"}


class Mutation(NamedTuple):
    """A typical student mistake as an edit of the reference: ``old`` becomes ``new`` in ``file``; it costs
    ``target`` its points, and the grader names it as the catalogued ``mistake`` ("": none fits). ``also``: the
    hand-in's other functions that call the mistaken one where the grader cannot excuse them (no catalogued
    mistake to recompute with, or a check that has no own-helpers recipe)."""

    name: str
    file: str
    old: str
    new: str
    target: str
    mistake: str
    also: tuple[str, ...] = ()


MUTATIONS: tuple[Mutation, ...] = (
    Mutation("gd_step_sign", "gradient_descent.py", "return w - lr * grad", "return w + lr * grad", "gd_step",
             "gd_step_ascent"),
    Mutation("grad_missing_mean", "gradient_descent.py", "X.T @ (X @ w - Y) / len(X)", "X.T @ (X @ w - Y)",
             "linear_regression_grad", "missing_1_over_m"),
    Mutation("dW_transposed", "backprop.py", "dY @ W, dY.T @ X, dY.sum(axis=0)", "dY @ W, X.T @ dY, dY.sum(axis=0)",
             "linear_backward", "transposed_dW"),
    Mutation("db_not_summed", "backprop.py", "dY @ W, dY.T @ X, dY.sum(axis=0)", "dY @ W, dY.T @ X, dY.copy()",
             "linear_backward", "db_not_summed"),
    Mutation("relu_kink", "backprop.py", "np.where(S >= 0, dZ, 0.0)", "np.where(S > 0, dZ, 0.0)", "relu_backward",
             "relu_strict_at_zero"),
    Mutation("max_ties", "backprop.py", "first_wins = X1 >= X2", "first_wins = X1 > X2", "max_backward",
             "max_ties_to_X2"),
    Mutation("mse_missing_1_over_n", "backprop.py", "return (Y_hat - Y) / Y_hat.shape[0]", "return Y_hat - Y",
             "mse_backward", "mse_missing_1_over_N"),
    Mutation("std_ddof_1", "practice.py", "X.std(axis=0)", "X.std(axis=0, ddof=1)", "fit_standardizer", "std_ddof_1",
             also=("train_classifier",)),  # its model stores the statistics its own fit_standardizer computes
    Mutation("dropout_not_inverted", "practice.py", "mask = keep / (1.0 - p)", "mask = keep.astype(float)",
             "dropout_forward", "dropout_not_rescaled"),
    Mutation("l1_forgets_lambda", "practice.py", "return lam * np.sign(W)", "return np.sign(W)", "l1_grad", "",
             also=("elastic_net_grad",)),  # which calls l1_grad
    Mutation("predict_train_mode", "mlp_lab.ipynb", "model.eval()\n", "model.train()\n", "predict",
             "predict_forgot_eval"),
    Mutation("no_dropout_layer", "mlp_lab.ipynb", "nn.ReLU(), nn.Dropout(p_dropout)]", "nn.ReLU()]", "build_mlp",
             "dropout_p_ignored"),
)
BOB = ("gd_step_sign", "dW_transposed", "relu_kink", "mse_missing_1_over_n", "std_ddof_1", "predict_train_mode")


def reference_submission() -> dict[str, bytes]:
    """The references as a student would hand them in, by submission file name."""
    files = {}
    for a in ASSIGNMENTS.values():
        name, text = a.filename, (REPO_ROOT / a.solution).read_text(encoding="utf-8")
        for old, new in _IMPORT_REWRITES.items():
            text = text.replace(old, new)
        files[name] = text.encode()
    return files


def mutate(files: dict[str, bytes], names: tuple[str, ...]) -> dict[str, bytes]:
    """``files`` with the named mistakes applied; a mutation whose code is gone from the reference is an error."""
    out = dict(files)
    for name, filename, old, new, *_ in MUTATIONS:
        if name not in names:
            continue
        if filename.endswith(".ipynb"):
            out[filename] = _mutate_notebook(out[filename], old, new, name)
            continue
        text = out[filename].decode()
        if text.count(old) != 1:
            raise ValueError(f"mutation {name}: {old!r} occurs {text.count(old)} times in {filename}, not once")
        out[filename] = text.replace(old, new).encode()
    return out


def _mutate_notebook(data: bytes, old: str, new: str, name: str) -> bytes:
    notebook = json.loads(data)
    hits = 0
    for cell in notebook["cells"]:
        if "graded" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = "".join(cell["source"])
        hits += source.count(old)
        cell["source"] = source.replace(old, new).splitlines(keepends=True)
    if hits != 1:
        raise ValueError(f"mutation {name}: {old!r} occurs {hits} times in the notebook's graded cells, not once")
    return (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode()


def write_submission(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else REPO_ROOT / "submissions"
    correct = reference_submission()
    write_submission(out / "alice", correct)
    write_submission(out / "bob", mutate(correct, BOB))
    print(f"wrote {out / 'alice'} and {out / 'bob'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
