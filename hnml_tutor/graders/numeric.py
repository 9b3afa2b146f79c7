"""The few numbers graders compute themselves with NumPy alone, so a grader re-measures without Keras."""

from __future__ import annotations

import math

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by each row's maximum so large logits cannot overflow."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def sparse_cross_entropy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood of integer labels, clipped as Keras clips it."""
    return float(sparse_cross_entropies(probabilities, labels).mean())


def held_out_size(count: int, fraction: float) -> int:
    """How many of ``count`` examples ``model.fit(..., validation_split=fraction)`` keeps for validation.

    Keras holds out the last ones, splitting at ``floor(count * (1 - fraction))``; the same expression gives
    the same split, float rounding included.
    """
    return count - int(math.floor(count * (1.0 - fraction)))


def suffix_means(values: np.ndarray) -> np.ndarray:
    """``result[k - 1]`` is the mean of the last ``k`` values: every held-out tail's average at once."""
    totals = np.cumsum(np.asarray(values, dtype=np.float64)[::-1])
    return totals / np.arange(1, len(totals) + 1)


def sparse_cross_entropies(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each example's negative log-likelihood of its integer label, clipped as Keras clips it."""
    picked = probabilities[np.arange(len(labels)), labels.astype(int)]
    return -np.log(np.clip(picked, 1e-7, 1.0))
