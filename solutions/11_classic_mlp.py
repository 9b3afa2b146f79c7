"""Reference solution for 11 · The classic dropout MLP."""

import keras
import numpy as np


def one_hot(labels: np.ndarray) -> np.ndarray:
    """``num_classes=10`` keeps all ten columns even when a batch of labels has no 9 in it."""
    return keras.utils.to_categorical(labels, num_classes=10)


def build_dropout_mlp() -> keras.Model:
    """The classic recipe at 256 units instead of 512: as accurate after 2 epochs (about 95%), half the time."""
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])


def compile_sgd(model: keras.Model) -> keras.Model:
    """SGD at 0.01 with momentum 0.9: the classic setting, stable on scaled MNIST."""
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model
