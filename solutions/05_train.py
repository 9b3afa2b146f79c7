"""Reference solution for 05 · Train the model."""

import keras
import numpy as np


def train(model: keras.Model, x_train: np.ndarray, y_train: np.ndarray) -> keras.callbacks.History:
    """Five epochs at batch 128 reach about 97% on MNIST in seconds on a laptop CPU."""
    return model.fit(x_train, y_train, epochs=5, batch_size=128, validation_split=0.1, verbose=2)
