"""
# 11 · The classic dropout MLP

Many older tutorials teach one recipe for MNIST: labels turned into **one-hot** rows, a network of
Dense layers with **Dropout** between them, a **softmax** output, and plain **SGD with momentum**.
It still works. This exercise writes it in Keras 3.

## Your task
1. `one_hot(labels)`: turn N integer labels 0-9 into an (N, 10) floating-point array, each row all
   zeros except a 1 at the label's position (`3` → `[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]`).
2. `build_dropout_mlp()`: return an **uncompiled** model that takes a 28×28 image (or its 784 pixels),
   has at least two hidden `Dense` layers with `relu`, each followed by a `Dropout` layer, and ends in
   a `Dense(10)` layer with a `softmax` activation.
3. `compile_sgd(model)`: compile the model it is given with `keras.optimizers.SGD(learning_rate=...,
   momentum=...)`, the categorical cross-entropy loss and the `"accuracy"` metric, and return it.

The grader then trains your network itself, compiled your way, for 2 epochs on MNIST (scaled, one-hot
labels) and measures it on the test set.

## Why it matters
One-hot labels and integer labels carry the same information, but each loss expects one of them:
`categorical_crossentropy` takes one-hot rows, `sparse_categorical_crossentropy` integers. Dropout
switches off a random part of the units at every training step, so the network can't lean on a few
of them and overfits less; at prediction time it is off and every unit counts. Momentum lets SGD keep
going in the direction it has been going, which makes it much faster than plain SGD. Older code spells
some of this differently (`lr=`, `metrics=['acc']`, `from tensorflow.python.keras import ...`): the
grader tells you the Keras 3 spelling when it meets them.

## Check your work
    hnml-tutor check 11
"""

import keras
import numpy as np


def one_hot(labels: np.ndarray) -> np.ndarray:
    """The (N, 10) one-hot rows of N integer labels 0-9, as floating point."""
    # TODO: use keras.utils.to_categorical, with the number of classes.
    raise NotImplementedError("TODO: one-hot encode the labels into an (N, 10) float array")


def build_dropout_mlp() -> keras.Model:
    """Two or more hidden Dense relu layers, each followed by Dropout, and a softmax output of 10 units."""
    # TODO: return a keras.Sequential([...]) of Input, Flatten, Dense/Dropout pairs and a softmax Dense(10).
    raise NotImplementedError("TODO: build the dropout MLP")


def compile_sgd(model: keras.Model) -> keras.Model:
    """Compile ``model`` with SGD and momentum, categorical cross-entropy and accuracy; return it."""
    # TODO: model.compile(optimizer=keras.optimizers.SGD(...), loss=..., metrics=[...]), then return model.
    raise NotImplementedError("TODO: compile the model with SGD and momentum")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("11_classic_mlp.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 11\n"
                     "Grade them:                                   hnml-tutor check 11")
