"""
# 10 · Stop before it overfits

Train a large network on a small data set and watch two curves: the **training loss** keeps falling,
epoch after epoch, while the **validation loss** falls for a while, then turns back up. From that
point on, the model is memorising its training images instead of learning what clothes look like: it
is *overfitting*. The best model is the one at the lowest point of the validation curve.

## Your task
1. Complete `best_epoch(history)`: given a dict like `History.history` (`{"loss": [...],
   "val_loss": [...], ...}`, one value per epoch), return the epoch with the lowest `val_loss`,
   **counted from 1** as Keras' log counts it ("Epoch 1/50"). If several epochs share the lowest
   value, return the first of them.
2. Complete `train_with_early_stopping(model, x_train, y_train)`: train the **compiled** model you
   are given for at most 50 epochs, with `validation_split=0.2`, and let a
   `keras.callbacks.EarlyStopping(monitor="val_loss", restore_best_weights=True)` stop it. Return the
   `History`.

The grader hands you a network far larger than 1,000 Fashion-MNIST images need, so it overfits within
a few epochs. It then measures the model you return on your validation images itself.

## Why it matters
Picking the number of epochs by hand means training too little or too long. EarlyStopping watches the
validation loss after every epoch and stops once it no longer improves. Without
`restore_best_weights=True` you would get the weights of the *last* epoch, already past the best one;
with it, Keras puts back the weights of the best epoch. It must watch `val_loss`: the training loss
keeps improving while the model overfits, so it can't tell you when to stop.

## Check your work
    hnml-tutor check 10
"""

import keras
import numpy as np


def best_epoch(history: dict) -> int:
    """The epoch (counted from 1) with the lowest validation loss; the first one if several tie."""
    # TODO: find the position of the smallest value in history["val_loss"] and count it from 1.
    raise NotImplementedError("TODO: return the 1-based epoch with the lowest val_loss")


def train_with_early_stopping(model: keras.Model, x_train: np.ndarray, y_train: np.ndarray) -> keras.callbacks.History:
    """Fit ``model`` with a validation split, stopped early at its best epoch, and return the History."""
    # TODO: make an EarlyStopping callback and pass it to model.fit(...) with validation_split=0.2.
    raise NotImplementedError("TODO: train with EarlyStopping(monitor=\"val_loss\", restore_best_weights=True)")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("10_overfitting.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 10\n"
                     "Grade them:                                   hnml-tutor check 10")
