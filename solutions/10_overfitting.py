"""Reference solution for 10 · Stop before it overfits."""

import keras
import numpy as np


def best_epoch(history: dict) -> int:
    """``list.index`` finds the first of equal minima; Keras' log counts epochs from 1."""
    losses = list(history["val_loss"])
    return losses.index(min(losses)) + 1


def train_with_early_stopping(model: keras.Model, x_train: np.ndarray, y_train: np.ndarray) -> keras.callbacks.History:
    """Patience 0 (the default) stops at the first epoch that doesn't improve: the quickest honest run."""
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", restore_best_weights=True)
    return model.fit(x_train, y_train, epochs=50, validation_split=0.2, callbacks=[stop], verbose=2)
