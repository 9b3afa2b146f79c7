"""
# 05 · Train the model

Training shows the model the training images again and again (each pass is an *epoch*), nudging the
weights to make the loss smaller.

## Your task
Complete `train(model, x_train, y_train)`: train the compiled model you are given on the scaled
training images and their labels, **keep 10% of them aside for validation**, and return the `History`
object that training returns.

The grader then measures your model on the test set itself: it needs at least 95% accuracy. Training
must also finish within the exercise's time limit, so keep it to a few epochs; a `batch_size` of 128
makes each epoch quick on a laptop.

## Why it matters
The validation split is a small exam the model never learns from. Watching its loss next to the training
loss is how you spot overfitting: training loss still falling while validation loss rises.

## Check your work
    hnml-tutor check 05
"""

import keras
import numpy as np


def train(model: keras.Model, x_train: np.ndarray, y_train: np.ndarray) -> keras.callbacks.History:
    """Fit ``model`` on the training data with a validation split and return the History."""
    # TODO: call model.fit(...) with a validation split and return what it returns.
    raise NotImplementedError("TODO: train the model with model.fit and return the History")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("05_train.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 05\n"
                     "Grade them:                                   hnml-tutor check 05")
