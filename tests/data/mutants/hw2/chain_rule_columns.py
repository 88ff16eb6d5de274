"""chain_rule follows the slides' column form: Jᵀ gᵀ, columns instead of rows."""

from reference.backprop_np import *  # noqa: F403

TARGET = "chain_rule"
MISTAKE = "chain_rule_columns"


def chain_rule(dC_dznext, J_z, J_w):
    return J_z.T @ dC_dznext.T, J_w.T @ dC_dznext.T
