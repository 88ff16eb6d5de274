"""dropout_backward passes the gradient through kept units without the mask's scale."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "dropout_backward", "dropout_backward_not_rescaled"


def dropout_backward(dY, mask):
    return dY * (mask > 0)
