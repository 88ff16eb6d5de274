"""predict runs the model in whatever mode it arrives in: dropout stays active."""

from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "predict", "predict_forgot_eval"


def predict(model, X):
    with torch.no_grad():  # noqa: F405
        return model(X).argmax(dim=1)
