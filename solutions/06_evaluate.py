"""Reference solution for 06 · Measure test accuracy."""

import keras
import numpy as np


def evaluate(model: keras.Model, x_test: np.ndarray, y_test: np.ndarray) -> float:
    """``evaluate`` returns ``[loss, accuracy]`` for a model compiled with the accuracy metric."""
    _loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    return float(accuracy)
