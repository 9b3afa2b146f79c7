"""
# 01 · Load MNIST

MNIST is 70,000 photos of handwritten digits, 28×28 pixels each, in shades of grey from 0 (black) to
255 (white), with the digit each one shows. It is the "hello world" of deep learning, and Keras ships it.

## Your task
Complete `load_data()` so it returns the data **exactly as Keras gives it**:

    (x_train, y_train), (x_test, y_test)

- `x_train`: 60,000 images, shape `(60000, 28, 28)`, dtype `uint8`
- `y_train`: their 60,000 labels, the digits 0–9
- `x_test`, `y_test`: 10,000 more images and labels, kept apart to measure the finished model honestly

Don't scale, flatten or shuffle anything here: each of those is a later step's job.

## Why it matters
Every later step trusts these four arrays. The test set must stay separate from the training set, or the
accuracy you report at the end measures memory, not learning.

## Check your work
    hnml-tutor check 01
"""

import keras


def load_data():
    """Return MNIST as ``(x_train, y_train), (x_test, y_test)``, unchanged."""
    # TODO: load MNIST with Keras and return the two (images, labels) pairs.
    raise NotImplementedError("TODO: load MNIST and return (x_train, y_train), (x_test, y_test)")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("01_load.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 01\n"
                     "Grade them:                                   hnml-tutor check 01")
