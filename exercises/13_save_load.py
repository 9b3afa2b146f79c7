"""
# 13 · Save and load a model

Training takes minutes or hours; a trained model should outlive the Python session that trained it. Keras
saves a whole model in **one `.keras` file**: its layers, its weights, the optimizer with everything it has
learned about the weights so far, and the loss and metrics it was compiled with.

## Your task
Complete two functions.

- `save_model(model, path)` saves the trained, compiled model it is given to `path`, a file name ending in
  `.keras`. It returns nothing.
- `load_model(path)` loads the model saved at `path` (also a `.keras` file) and returns it, **compiled**
  exactly as it was saved, ready to predict, evaluate or train on.

The grader opens the file your `save_model` wrote and loads it itself, and compares what your `load_model`
returns with the model it saved: the same predictions, the same loss and the same optimizer, with its
training state.

## Why it matters
Many tutorials still save to `.h5` or keep only the weights with `save_weights`. In Keras 3, `.h5` is a
legacy format, and a weights-only file needs the exact code that built the model before it can be used,
and loses the optimizer: training can't resume where it stopped. One `.keras` file is what you share,
deploy, or reload next week to continue training.

## Check your work
    hnml-tutor check 13
"""

import keras


def save_model(model: keras.Model, path: str) -> None:
    """Save the whole ``model`` (architecture, weights, optimizer, compile settings) to ``path``."""
    # TODO: save the model to the .keras path you are given.
    raise NotImplementedError("TODO: save the whole model to path")


def load_model(path: str) -> keras.Model:
    """Load the model saved at ``path`` and return it, compiled as it was saved."""
    # TODO: load the model from path and return it.
    raise NotImplementedError("TODO: load the model from path and return it")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("13_save_load.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 13\n"
                     "Grade them:                                   hnml-tutor check 13")
