"""Reference solution for 13 · Save and load a model."""

import keras


def save_model(model: keras.Model, path: str) -> None:
    """A ``.keras`` path makes ``model.save`` write the native archive: layers, weights, optimizer, compile settings."""
    model.save(path)


def load_model(path: str) -> keras.Model:
    """``load_model`` compiles the model again from the saved settings and restores the optimizer's state."""
    return keras.models.load_model(path)
