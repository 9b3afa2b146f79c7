"""
# 09 · Fashion-MNIST, end to end

Fashion-MNIST is MNIST's harder sibling: 70,000 grey 28×28 photos of clothes in 10 classes, with the same
shapes and dtypes as the digits. A network that reaches 97% on digits gets about 87% here, and the classes
it mixes up tell you why.

## Your task
Run the whole workflow once more, on your own, and look at the mistakes the model makes.

- `CLASS_NAMES`: the 10 class names **in label order**, so `CLASS_NAMES[label]` names a label:
  T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.
- `load_fashion()` returns Fashion-MNIST exactly as Keras gives it: `(x_train, y_train), (x_test, y_test)`.
- `train_fashion(x_train, y_train)` gets the **raw** training images (uint8, 0–255) and returns a trained
  model that takes raw images too: the scaling happens **inside the model**, in a
  `keras.layers.Rescaling(1/255)` layer right after the input. The grader measures its accuracy on the raw
  test images: at least 84%. It trains on all 60,000 images, so keep it to a few epochs.
- `confusion_matrix(model, x_test, y_test)` returns a `(10, 10)` array of **integer counts**:
  `matrix[true, predicted]` is how many test images of class `true` the model took for class `predicted`.
  Rows are the true labels, columns the predictions; the diagonal holds the correct answers.

## Why it matters
A model that expects scaled pixels but meets raw ones doesn't crash: it quietly gets worse. A network
trained on images divided by 255 still scores 83–86% on raw ones, so one accuracy figure hides the
mistake. With the scaling inside the model, whoever uses it (an app, a colleague, you next month) hands it
pictures as they come and can't get it wrong.

Accuracy says how often the model is right; the confusion matrix says *how* it is wrong. Here it shows
shirts taken for T-shirts, pullovers and coats, and trousers almost never confused with anything: the
classes a better model (a CNN, exercise 12) has to learn to tell apart.

## Check your work
    hnml-tutor check 09
"""

import keras
import numpy as np

CLASS_NAMES = []  # TODO: the 10 class names, in label order (label 0 is "T-shirt/top")


def load_fashion():
    """Return Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``, unchanged."""
    # TODO: load Fashion-MNIST with Keras and return it as it comes.
    raise NotImplementedError("TODO: load Fashion-MNIST and return its two (images, labels) pairs")


def train_fashion(x_train: np.ndarray, y_train: np.ndarray) -> keras.Model:
    """Build, compile and train a model that takes raw uint8 images; return the trained model."""
    # TODO: build a model that scales its input itself (Rescaling), compile it, fit it on the raw images.
    raise NotImplementedError("TODO: build, compile and train a model on the raw images, and return the model")


def confusion_matrix(model: keras.Model, x_test: np.ndarray, y_test: np.ndarray) -> np.ndarray:
    """Count the model's (true, predicted) pairs on the test images: a (10, 10) integer array."""
    # TODO: predict every test image's class and count matrix[true, predicted].
    raise NotImplementedError("TODO: return the (10, 10) confusion matrix of counts")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("09_fashion.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 09\n"
                     "Grade them:                                   hnml-tutor check 09")
