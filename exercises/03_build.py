"""
# 03 · Build a network

A neural network in Keras is a stack of layers. For MNIST, a small multi-layer perceptron (MLP) is
enough to recognise 97% of the digits:

1. an input of one 28×28 image,
2. a `Flatten` layer that lays the 28×28 grid out as 784 numbers,
3. a hidden `Dense` layer with a `relu` activation (at least 32 units; 128 is a classic choice),
4. an output `Dense` layer with **10 units**, one score per digit.

## Your task
Complete `build_model()` so it returns that network as a `keras.Model` (for example a
`keras.Sequential`). Leave the output layer without an activation: its 10 raw scores are called
*logits*, and the loss in the next step turns them into probabilities. Don't compile it yet.

## Why it matters
The hidden layer's activation is what makes the network more than a linear model: without `relu`, two
Dense layers collapse into one straight-line map. The output size must match the number of classes.

## Check your work
    hnml-tutor check 03
"""

import keras


def build_model() -> keras.Model:
    """Return an uncompiled MLP: (28, 28) input → Flatten → Dense relu → Dense 10 (logits)."""
    # TODO: build and return the network.
    raise NotImplementedError("TODO: build the network with keras.Sequential")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("03_build.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 03\n"
                     "Grade them:                                   hnml-tutor check 03")
