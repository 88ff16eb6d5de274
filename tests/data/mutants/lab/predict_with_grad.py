"""predict switches to eval mode but builds the autograd graph."""

from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "predict", "predict_grad_enabled"


def predict(model, X):
    model.eval()
    return model(X).argmax(dim=1)
