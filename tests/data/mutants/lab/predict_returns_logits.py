"""predict returns the logits instead of the labels."""

from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "predict", "predict_returns_scores"


def predict(model, X):
    model.eval()
    with torch.no_grad():  # noqa: F405
        return model(X)
