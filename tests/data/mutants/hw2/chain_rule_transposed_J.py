"""chain_rule multiplies by J_z transposed."""

from reference.backprop_np import *  # noqa: F403

TARGET = "chain_rule"
MISTAKE = "chain_rule_order"


def chain_rule(dC_dznext, J_z, J_w):
    return (J_z @ dC_dznext.T).T, dC_dznext @ J_w
