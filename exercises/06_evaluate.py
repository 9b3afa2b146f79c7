"""
# 06 · Measure test accuracy

The test set has been kept apart since step 01. Now it does its job: an honest measure of how well the
trained model does on digits it has never seen.

## Your task
Complete `evaluate(model, x_test, y_test)`: return the model's **accuracy** on the data you are given,
as a plain Python `float` between 0 and 1.

The model is compiled with a loss and the `accuracy` metric, and already trained.

## Why it matters
A number like "97.8%" is what you report, compare and act on. Returning the loss by mistake, or
measuring on the wrong data, quietly turns every later decision into a guess.

## Check your work
    hnml-tutor check 06
"""

import keras
import numpy as np


def evaluate(model: keras.Model, x_test: np.ndarray, y_test: np.ndarray) -> float:
    """Return the accuracy of ``model`` on ``x_test``/``y_test`` as a float in [0, 1]."""
    # TODO: evaluate the model and return only the accuracy.
    raise NotImplementedError("TODO: evaluate the model and return its accuracy")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("06_evaluate.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 06\n"
                     "Grade them:                                   hnml-tutor check 06")
