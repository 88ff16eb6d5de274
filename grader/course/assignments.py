"""The course's assignments: where each lives, which file a student hands in, which functions it grades.

The target lists are the student-facing API of SPEC §2; stubs, references and check suites are all
held to them by the parity tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class Assignment:
    key: str  # "hw1", "hw2", "hw3", "lab"
    folder: str  # folder under assignments/
    filename: str  # the file a student hands in
    targets: tuple[str, ...]  # the graded functions, in SPEC order
    uses_torch: bool  # graded in a torch-preloaded worker

    @property
    def module(self) -> str:
        """Import name of the student's module (``backprop`` for ``backprop.py``)."""
        return self.filename.split(".")[0]

    @property
    def is_notebook(self) -> bool:
        return self.filename.endswith(".ipynb")

    @property
    def stub_path(self) -> Path:
        return REPO_ROOT / "assignments" / self.folder / self.filename


ASSIGNMENTS: dict[str, Assignment] = {
    a.key: a
    for a in (
        Assignment(
            "hw1",
            "hw1_gradient_descent",
            "gradient_descent.py",
            (
                "gd_step",
                "dataset_loss",
                "linear_regression_loss",
                "linear_regression_grad",
                "batch_gd",
                "sgd",
            ),
            uses_torch=False,
        ),
        Assignment(
            "hw2",
            "hw2_backprop",
            "backprop.py",
            (
                "linear_forward",
                "linear_backward",
                "relu_forward",
                "relu_backward",
                "sigmoid_forward",
                "sigmoid_backward",
                "tanh_forward",
                "tanh_backward",
                "weighted_sum_forward",
                "weighted_sum_backward",
                "duplicate_forward",
                "duplicate_backward",
                "add_forward",
                "add_backward",
                "max_forward",
                "max_backward",
                "numerical_jacobian",
                "linear_jacobians",
                "chain_rule",
                "mse_forward",
                "mse_backward",
                "softmax_cross_entropy_forward",
                "softmax_cross_entropy_backward",
                "mlp_forward",
                "mlp_backward",
            ),
            uses_torch=False,
        ),
        Assignment(
            "hw3",
            "hw3_practice",
            "practice.py",
            (
                "fit_standardizer",
                "standardize",
                "minibatches",
                "step_decay",
                "exponential_decay",
                "cosine_decay",
                "l1_penalty",
                "l1_grad",
                "l2_penalty",
                "l2_grad",
                "elastic_net_grad",
                "dropout_forward",
                "dropout_backward",
                "xavier_uniform",
                "he_normal",
                "train_classifier",
                "predict",
            ),
            uses_torch=False,
        ),
        Assignment(
            "lab",
            "lab_mlp",
            "mlp_lab.ipynb",
            ("build_mlp", "train", "predict"),
            uses_torch=True,
        ),
    )
}

SUBMISSION_FILES: dict[str, str] = {a.filename: a.key for a in ASSIGNMENTS.values()}


def get_assignment(key: str) -> Assignment:
    """Look up an assignment by key, with an error that lists the valid keys."""
    try:
        return ASSIGNMENTS[key]
    except KeyError:
        raise KeyError(f"unknown assignment {key!r}; choose one of {', '.join(ASSIGNMENTS)}") from None
