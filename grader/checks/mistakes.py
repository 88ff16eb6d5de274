"""Known mistakes: a catalogue of hints, and a matcher that recognises one from a wrong answer.

A check computes, in the grader, what each mistake would have returned on the same inputs (a
"variant" of the expected answer) and asks ``match`` which variant the student's answer equals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grader.checks.compare import ANY, DEFAULT_RTOL, compare

HINTS: dict[str, str] = {
    # both homeworks
    "mutated_input": "compute into a new array instead of changing an input in place (`w = w - lr * g`, not `w -= ...`)",  # noqa: E501
    "wrong_sign": "the sign is flipped",
    "not_stable": "not numerically stable for inputs of large magnitude (e^1000 overflows, log(0) is −inf): "
    "shift by the row max and use log-softmax = shifted − log Σ exp(shifted); for sigmoid, exp(−logaddexp(0, −S))",
    # hw1
    "gd_step_ascent": "the step goes uphill: gradient descent subtracts lr · grad",
    "loss_sum_not_mean": "this is the sum over samples; the loss of a data set is the mean (divide by m)",
    "missing_half": "the ½ in ½ (x·w − y)² is missing",
    "missing_1_over_m": "the 1/m is missing: the gradient of a mean loss is averaged over the m samples",
    "batch_gd_losses_after_step": "losses[t] must be the loss at the weights *before* step t (losses[0] at w0)",
    "sgd_full_batch": "each SGD step must use the gradient of one sample X[k:k+1], not of the whole batch",
    # hw2: linear
    "transposed_dW": "dW looks transposed: W is (out, in), so dW = dYᵀ·X has W's shape",
    "db_not_summed": "db is not summed over the batch: db = Σ_n dY[n], shape (out,)",
    "db_averaged": "db is averaged over the batch; it is the sum Σ_n dY[n] (the 1/N belongs to the cost)",
    "linear_no_bias": "the bias b is missing: Y = X·Wᵀ + b",
    # hw2: activations
    "relu_strict_at_zero": "the gradient is blocked at S == 0 (a mask S > 0, or relu(S) > 0 taken from the output); "
    "in this course it passes there: mask S >= 0",
    "relu_mask_from_upstream": "the ReLU mask must come from S (S >= 0), not from the sign of dZ",
    "forgot_dY": "this is only the local derivative h'(S): multiply by the upstream gradient dZ",
    "sigmoid_of_S_missing": "use sigmoid(S)·(1 − sigmoid(S)), not S·(1 − S): S is the input, not the output",
    "tanh_of_S_missing": "use 1 − tanh(S)², not 1 − S²: S is the input, not the output",
    # hw2: graph rules
    "weighted_sum_transposed": "the output of the fan-out is (N, K): s[n, i] = w_i · z_n",
    "weighted_sum_no_w": "each branch's gradient is weighted by its w_i: dz = Σ_i w_i dS[:, i]",
    "duplicate_one_branch": "both branches' gradients add up: dX = dY1 + dY2",
    "add_not_summed": "sum dY over the axes that broadcasting stretched or added, so dX has its input's shape",
    "max_ties_to_X2": "on a tie (X1 == X2) the whole gradient goes to X1 (X1 >= X2)",
    "max_ties_split": "on a tie the gradient is not split: all of it goes to X1",
    # hw2: Jacobians
    "jacobian_transposed": "the Jacobian of f: Rⁿ→Rᵐ is (m, n): row i holds the derivatives of output i",
    "forward_difference": "use central differences (f(x+eps) − f(x−eps)) / (2 eps), not one-sided ones",
    "J_W_column_major": "flatten W row-major: column k·n + j of J_W is the derivative by W[k, j]",
    "chain_rule_order": "the chain rule in row form is dC/dz = dC/dznext · J_z ([1×dg]·[dg×df])",
    # hw2: costs
    "mse_missing_1_over_N": "the 1/N is missing: the cost is averaged over the batch",
    "mse_1_over_N_not_2N": "the cost is 1/(2N) Σ ‖ŷ−y‖²: the ½ is missing",
    "mse_backward_factor_2": "with the ½ in the cost, dC/dŷ = (ŷ − y)/N (no factor 2)",
    "mse_mean_over_elements": "average over the N samples only, not over all N·D elements",
    "ce_missing_1_over_N": "the 1/N is missing: the cost is the mean over the batch",
    "ce_forgot_one_hot": "subtract 1 at each sample's label: dlogits = (softmax − onehot)/N",
    # hw2: mlp
    "mlp_activation_on_logits": "no activation after the last layer: the logits are the last linear output",
    "mlp_grads_reversed": "return the gradients in the order of params (first layer first)",
}


def register_hints(mapping: Mapping[str, str]) -> None:
    """Add hints to ``HINTS`` (what a check module does at import). Raises ValueError for an id the catalogue
    already holds with another text, so one module cannot silently change another's hint; registering the
    same text again (a module imported twice) changes nothing."""
    clashes = sorted(i for i, text in mapping.items() if i in HINTS and HINTS[i] != text)
    if clashes:
        raise ValueError(f"hint ids already in the catalogue with another text: {', '.join(clashes)}; "
                         "rename the new mistake ids")
    HINTS.update(mapping)


def hint(mistake: str) -> str:
    return HINTS.get(mistake, mistake.replace("_", " "))


def _distinguishing(variant: Any, expected: Any, rtol: float) -> Any:
    """``variant`` with the parts that equal the expected answer replaced by ANY; None if nothing differs."""
    if isinstance(variant, (list, tuple)) and isinstance(expected, (list, tuple)) and len(variant) == len(expected):
        parts = [_distinguishing(v, e, rtol) for v, e in zip(variant, expected, strict=True)]
        if all(p is None for p in parts):
            return None
        return [ANY if p is None else p for p in parts]
    return None if compare(variant, expected, rtol=rtol) is None else variant


def match(actual: Any, expected: Any, variants: Mapping[str, Any], rtol: float = DEFAULT_RTOL) -> str:
    """The id of the first mistake whose answer ``actual`` equals, "" if none.

    Only the parts where a mistake changes the answer are compared, so a mistake in ``dW`` is still
    named when ``db`` is wrong too; a mistake that changes nothing on these inputs never matches.
    """
    for mistake, variant in variants.items():
        distinct = _distinguishing(variant, expected, rtol)
        if distinct is not None and compare(actual, distinct, rtol=rtol) is None:
            return mistake
    return ""


def unknown(ids: Sequence[str]) -> list[str]:
    """The ids that the catalogue lacks (for a test that keeps suites and catalogue in step)."""
    return [i for i in ids if i not in HINTS]
