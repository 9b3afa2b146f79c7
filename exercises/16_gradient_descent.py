"""
# 16 · Gradient descent from scratch

In step 05 one line, `model.fit(...)`, trained a network. Here you write what it does, in NumPy: a
network of 784 inputs → a hidden layer of ReLU units → 10 outputs, trained on MNIST by **mini-batch
gradient descent**. Everything you need you built in 14 (softmax, cross-entropy) and 15 (dense and ReLU,
forward and backward); copy those functions into this file if you like.

For a batch `x` of shape (N, 784) with integer labels `y`:

    forward    h_in = x @ W1 + b1        h = relu(h_in)
               logits = h @ W2 + b2      p = softmax(logits)
               loss = mean over the batch of -log p[i, y[i]]
    backward   g = (p - one_hot(y)) / N         the gradient at the logits
               dW2 = h.T @ g     db2 = g.sum(axis=0)
               dh = (g @ W2.T) * (h_in > 0)
               dW1 = x.T @ dh    db1 = dh.sum(axis=0)
    update     W1 -= learning_rate * dW1        and so for b1, W2 and b2

An **epoch** shuffles the training images (`np.random.permutation`) and takes one such step per batch of
them. Start the weights small and **random**, e.g. `np.random.randn(784, H) * np.sqrt(2 / 784)` (He
initialisation, made for ReLU), and the biases at zero. The grader seeds `np.random`, so use its
functions and your run is reproducible.

## Your task
Complete `train_numpy_mlp(x_train, y_train)`. You get the 60,000 scaled training images flattened to
float32 (60000, 784), values 0 to 1, and their integer labels 0–9. Return a dict of the trained
parameters, each a NumPy array, with W of shape (inputs, outputs) as in exercise 15:

    {"W1": (784, H), "b1": (H,), "W2": (H, 10), "b2": (10,)}

H, the number of hidden units, is yours to choose (128 works well). You may add a key `"loss"`: your
training loss, one number per epoch (a list), or one per batch (then as a NumPy array); the grader plots it.

The grader runs its own forward pass with your parameters on the 10,000 test images: at least 95% must
be classified correctly, and training must finish within the time limit. A few epochs with batches of 128
and a learning rate of about 0.1–0.5 get there in seconds. NumPy only: importing TensorFlow or Keras
fails the check.

## Why it matters
This loop is what every optimizer in Keras runs: forward, loss, backward, a step against the gradient.
Adam or momentum change only the update line. Writing it once shows what the learning rate, the batch
size and the initialisation actually do, and why training goes wrong when they are off.

## Check your work
    hnml-tutor check 16
"""

import numpy as np


def train_numpy_mlp(x_train: np.ndarray, y_train: np.ndarray) -> dict:
    """Train a 784 → H (ReLU) → 10 network by mini-batch gradient descent; return its parameters."""
    # TODO: initialise W1, b1, W2, b2; for a few epochs, shuffle and step through mini-batches
    # (forward, gradients, update); return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}.
    raise NotImplementedError("TODO: train the network with your own gradient descent and return its parameters")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("16_gradient_descent.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 16\n"
                     "Grade them:                                   hnml-tutor check 16")
