"""Reference solution for 16 · Gradient descent from scratch."""

import numpy as np

HIDDEN = 128
EPOCHS = 5
BATCH_SIZE = 128
LEARNING_RATE = 0.3


def train_numpy_mlp(x_train: np.ndarray, y_train: np.ndarray) -> dict:
    """784 → 128 ReLU → 10, trained by mini-batch SGD on the softmax cross-entropy.

    He initialisation (scale sqrt(2 / fan_in)) keeps the ReLU layer's outputs about as large as its inputs;
    random weights make each hidden unit start different, so each learns a different feature. NumPy's
    global generator is used because the grader seeds it, so a run is reproducible.
    """
    count, inputs = x_train.shape
    W1 = (np.random.randn(inputs, HIDDEN) * np.sqrt(2.0 / inputs)).astype(np.float32)
    b1 = np.zeros(HIDDEN, dtype=np.float32)
    W2 = (np.random.randn(HIDDEN, 10) * np.sqrt(2.0 / HIDDEN)).astype(np.float32)
    b2 = np.zeros(10, dtype=np.float32)
    losses = []
    for _ in range(EPOCHS):
        order = np.random.permutation(count)
        total = 0.0
        for start in range(0, count, BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            x, y = x_train[batch], y_train[batch]
            # Forward pass: dense, ReLU, dense, softmax.
            h_in = x @ W1 + b1
            h = np.maximum(h_in, 0)
            logits = h @ W2 + b2
            shifted = logits - logits.max(axis=1, keepdims=True)
            probs = np.exp(shifted)
            probs /= probs.sum(axis=1, keepdims=True)
            total += float(-np.log(probs[np.arange(len(y)), y] + 1e-12).sum())
            # Backward pass: softmax + cross-entropy gives (probs - one_hot) / N at the logits.
            grad_logits = probs
            grad_logits[np.arange(len(y)), y] -= 1
            grad_logits /= len(y)
            grad_W2 = h.T @ grad_logits
            grad_b2 = grad_logits.sum(axis=0)
            grad_h = (grad_logits @ W2.T) * (h_in > 0)
            grad_W1 = x.T @ grad_h
            grad_b1 = grad_h.sum(axis=0)
            # Gradient descent step: each parameter moves against its gradient.
            W1 -= LEARNING_RATE * grad_W1
            b1 -= LEARNING_RATE * grad_b1
            W2 -= LEARNING_RATE * grad_W2
            b2 -= LEARNING_RATE * grad_b2
        losses.append(total / count)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "loss": losses}
