"""Reference solution for 15 · Backpropagation by hand."""

import numpy as np


def dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """b of shape (out,) broadcasts over the N rows of x @ W."""
    return x @ W + b


def dense_backward(x: np.ndarray, W: np.ndarray, grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each sum of the chain rule as one product: the shapes alone say which side each transpose goes on."""
    grad_x = grad_out @ W.T  # (N, out) @ (out, in) -> (N, in)
    grad_W = x.T @ grad_out  # (in, N) @ (N, out) -> (in, out)
    grad_b = grad_out.sum(axis=0)  # summed over the batch -> (out,)
    return grad_x, grad_W, grad_b


def relu(x: np.ndarray) -> np.ndarray:
    """np.maximum compares element by element (np.max would reduce along an axis)."""
    return np.maximum(x, 0.0)


def relu_backward(x: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """The mask comes from relu's input x, not from the gradient flowing back."""
    return grad_out * (x > 0)
