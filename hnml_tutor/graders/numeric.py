"""The few numbers graders compute themselves with NumPy alone, so a grader re-measures without Keras."""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by each row's maximum so large logits cannot overflow."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def sparse_cross_entropy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood of integer labels, clipped as Keras clips it."""
    picked = probabilities[np.arange(len(labels)), labels.astype(int)]
    return float(-np.log(np.clip(picked, 1e-7, 1.0)).mean())
