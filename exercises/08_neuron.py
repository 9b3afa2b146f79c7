"""
# 08 · One neuron learns a formula

Before networks of thousands of neurons, one: a single `Dense(1)` unit computes `output = w × input + b`,
a straight line. Show it seven temperatures in Celsius with their Fahrenheit values and it *finds* `w`
and `b` by itself, without ever being told the formula `F = 1.8 × C + 32`.

## Your task
Complete two functions.

- `build_neuron()` returns a model of **one Dense unit on one input**: `keras.Input(shape=(1,))` then
  `keras.layers.Dense(1)`. Leave it **uncompiled**: compiling is the next function's job.
- `train_neuron(model, celsius, fahrenheit)` compiles the model it is given and trains it on the seven
  pairs, then returns the `History` that `fit` returns. This is **regression**, predicting a number, so
  the loss is the mean squared error; Adam with a learning rate of 0.1 works well here.

The grader trains a neuron of its own with your `train_neuron`, reads the weight and bias it learned and
asks it about 100 °C itself: the answer should be close to 212 °F.

## Why it matters
Every layer of every network you will build is made of these units: multiply, add, and let training nudge
`w` and `b` to make the loss smaller. With one neuron you can watch it happen, and see the two classic ways
training goes wrong: stopping while the loss is still falling, and a learning rate so large that the loss
explodes instead of shrinking.

## Check your work
    hnml-tutor check 08
"""

import keras
import numpy as np


def build_neuron() -> keras.Model:
    """Return an uncompiled model of one Dense unit that takes one number."""
    # TODO: return keras.Sequential([...]) with an Input of shape (1,) and one Dense unit.
    raise NotImplementedError("TODO: build a model of one Dense unit on one input")


def train_neuron(model: keras.Model, celsius: np.ndarray, fahrenheit: np.ndarray) -> keras.callbacks.History:
    """Compile ``model`` for regression, fit it on the pairs and return the History."""
    # TODO: compile with an optimizer and the mean squared error, then return model.fit(...).
    raise NotImplementedError("TODO: compile and train the neuron, and return the History")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("08_neuron.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 08\n"
                     "Grade them:                                   hnml-tutor check 08")
