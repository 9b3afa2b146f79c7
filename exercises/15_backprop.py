"""
# 15 · Backpropagation by hand

When you call `model.fit`, Keras runs every layer forwards, then works out how the loss changes with
each weight by going back through the layers: *backpropagation*. Here you write it for the two layers
of the network you trained in exercise 05, a Dense layer and a ReLU, with NumPy alone.

A Dense layer takes a batch `x` of shape `(N, in)`, weights `W` of shape `(in, out)` and a bias `b`
of shape `(out,)`, and computes

    y[n, j] = Σ_i x[n, i] · W[i, j] + b[j]        that is   y = x @ W + b,  shape (N, out)

Going backwards, the layer receives `grad_out`, the gradient of the loss with respect to its output y
(shape `(N, out)`). The chain rule gives its three gradients:

    ∂L/∂x[n, i] = Σ_j grad_out[n, j] · W[i, j]     what the layer before it receives as its grad_out
    ∂L/∂W[i, j] = Σ_n x[n, i] · grad_out[n, j]     one sum over the whole batch
    ∂L/∂b[j]    = Σ_n grad_out[n, j]

Each sum is one matrix product, or a sum along one axis. A gradient always has the shape of what it is
the gradient of: `grad_x` the shape of x, `grad_W` of W, `grad_b` of b.

ReLU is `relu(x) = max(0, x)`, element by element. Its slope is 1 where `x > 0` and 0 where `x < 0`,
so going back it lets `grad_out` through where its *input* x was positive and blocks it everywhere else.

## Your task
Complete four functions, NumPy only (no Keras here: this is the part Keras does for you):

1. `dense_forward(x, W, b)` returns y, shape `(N, out)`.
2. `dense_backward(x, W, grad_out)` returns the tuple `(grad_x, grad_W, grad_b)`, in that order.
   Sum over the batch; don't divide by N: if the loss is a mean over the batch, its `grad_out` already
   carries the 1/N.
3. `relu(x)` returns `max(0, x)` element by element, the shape of x.
4. `relu_backward(x, grad_out)` returns the gradient of the loss with respect to relu's input x.

## Why it matters
Every framework's `fit` is this, repeated layer by layer: each layer turns the gradient it receives
into gradients for its own weights and one for the layer before it. Once you have written it, a
"shapes don't match" error in a training loop stops being a mystery, and so does a gradient that is
silently N times too small.

## Check your work
The grader checks your gradients the way people debug backpropagation: it nudges every input and
weight by a tiny step h, measures how the loss changes, `(L(w + h) − L(w − h)) / 2h`, and compares
that with your gradient.

    hnml-tutor check 15
"""

import numpy as np


def dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The Dense layer's output for a batch: shape (N, out)."""
    # TODO: multiply the batch by the weights and add the bias.
    raise NotImplementedError("TODO: return the layer's output x @ W + b")


def dense_backward(x: np.ndarray, W: np.ndarray, grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of the loss with respect to x, W and b, given grad_out = ∂L/∂y: (grad_x, grad_W, grad_b)."""
    # TODO: write each of the three sums above as a matrix product or a sum along one axis.
    raise NotImplementedError("TODO: return (grad_x, grad_W, grad_b)")


def relu(x: np.ndarray) -> np.ndarray:
    """max(0, x) element by element."""
    # TODO: keep the positive values, replace the negative ones by 0.
    raise NotImplementedError("TODO: return max(0, x) element by element")


def relu_backward(x: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """The gradient of the loss with respect to relu's input x, given grad_out = ∂L/∂relu(x)."""
    # TODO: let grad_out through where x was positive, 0 elsewhere.
    raise NotImplementedError("TODO: return the gradient with respect to relu's input")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("15_backprop.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 15\n"
                     "Grade them:                                   hnml-tutor check 15")
