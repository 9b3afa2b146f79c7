"""
# 12 · A convolutional network

The networks so far flattened each image into 784 numbers before learning anything, so they never knew
which pixels were neighbours. A *convolutional* network (CNN) keeps the image as a grid. A `Conv2D`
layer slides small filters (3×3 pixels, say) over it: each filter learns one local pattern, an edge, a
collar, a sole, and answers "where in the image is it?". A *pooling* layer then keeps the strongest
answer of every 2×2 patch, halving the grid: the next filters see a wider area, and there is less to
compute.

Convolution layers read images with a **channel axis**: one 28×28 grey image is `(28, 28, 1)` (a
colour photo would be `(height, width, 3)`). The images here are Fashion-MNIST's clothes, scaled to
[0, 1] and already shaped `(N, 28, 28, 1)`.

## Your task
1. Complete `build_cnn()`: return an **uncompiled** model that takes `keras.Input(shape=(28, 28, 1))`,
   has a `Conv2D` layer (with relu) followed by a `MaxPooling2D` layer, then `Flatten`, a hidden `Dense`
   layer, and ends in `Dense(10)`: one score per class.
2. Complete `train_cnn(model, x_train, y_train)`: compile the model you are **given** (adam, sparse
   categorical cross-entropy from logits, accuracy), fit it on the data you are given, and return the
   `History` that `fit` returns.

The grader hands your `train_cnn` a small CNN of its own, then measures it on the 10,000 test images
itself: it needs at least 88% accuracy, more than the Dense network of steps 03–05 reaches on the same
clothes, within the exercise's time limit. Convolutions cost more than Dense layers, so keep training
short: three epochs with a `batch_size` of 128 (and Adam's `learning_rate=0.002`) are enough.

## Why it matters
A filter that has learned to spot a collar spots it anywhere in the image with the same nine weights,
where a Dense layer would have to learn the collar again at every place it might appear. That is why
convolutional networks see images better than Dense ones, and why every modern image model, from phone
cameras to medical scans, is built on them.

## Check your work
    hnml-tutor check 12
"""

import keras
import numpy as np


def build_cnn() -> keras.Model:
    """An uncompiled CNN for 28×28×1 images: Conv2D and pooling layers, then Dense layers to 10 scores."""
    # TODO: return keras.Sequential([...]) starting with keras.Input(shape=(28, 28, 1)).
    raise NotImplementedError("TODO: build the convolutional network and return it (uncompiled)")


def train_cnn(model: keras.Model, x_train: np.ndarray, y_train: np.ndarray) -> keras.callbacks.History:
    """Compile the model it is given, fit it on the (N, 28, 28, 1) images, and return the History."""
    # TODO: model.compile(...), then return model.fit(...).
    raise NotImplementedError("TODO: compile the model you were given, train it with model.fit and return the History")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("12_cnn.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 12\n"
                     "Grade them:                                   hnml-tutor check 12")
