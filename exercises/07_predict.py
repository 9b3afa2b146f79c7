"""
# 07 · Predict digits

A trained model is only useful when it answers questions: *which digit is this?* and *how sure are you?*

## Your task
Complete two functions. Both get a trained model and a batch of scaled images of shape `(N, 28, 28)`.

- `predict_proba(model, images)` returns an array of shape `(N, 10)`: for each image, the probability of
  each digit. Every row must sum to 1.
- `predict(model, images)` returns an integer array of shape `(N,)`: the most likely digit per image.

The model ends in `Dense(10)` without an activation, so `model.predict` gives **logits**. Turn them into
probabilities yourself.

## Why it matters
Logits are scores, not probabilities: they can be negative and don't sum to 1. A confidence you show a
user has to be a probability, and the predicted class is the one with the highest score in each row.

## Check your work
    hnml-tutor check 07
"""

import keras
import numpy as np


def predict_proba(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Return class probabilities of shape (N, 10); each row sums to 1."""
    # TODO: get the logits with model.predict and turn them into probabilities.
    raise NotImplementedError("TODO: return the class probabilities")


def predict(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Return the predicted digit for each image, an integer array of shape (N,)."""
    # TODO: pick the most likely class for every image.
    raise NotImplementedError("TODO: return the predicted digits")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("07_predict.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 07\n"
                     "Grade them:                                   hnml-tutor check 07")
