"""Reference solution for 03 · Build a network."""

import keras


def build_model() -> keras.Model:
    """The classic MNIST MLP; the last layer has no activation, so it outputs logits."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
