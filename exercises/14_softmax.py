"""
# 14 · Softmax and cross-entropy

Every classifier you trained so far ended in the same two pieces: a **softmax** that turns the last
layer's scores (*logits*) into probabilities, and a **cross-entropy** loss that says how wrong those
probabilities are. Now write both yourself, in NumPy alone.

For one row of logits `z` with `C` classes:

    softmax(z)_j = exp(z_j) / (exp(z_1) + ... + exp(z_C))

For `N` examples with probabilities `p` of shape `(N, C)` and **integer** labels `y` (like `[3, 0, 7]`):

    loss = -(log p[0, y_0] + log p[1, y_1] + ... + log p[N-1, y_(N-1)]) / N

## Your task
1. Complete `softmax(logits)`: `logits` has shape `(N, C)`, one example per row. Return probabilities
   of the same shape; **each row** sums to 1. A single example arrives as one row, shape `(1, C)`.
   It must work for logits as large as 1000: `np.exp(1000)` is `inf` in float64. Softmax doesn't change
   when you subtract the same number from every logit of a row, so subtract each row's maximum first:
   the largest exponent is then `exp(0) = 1`.
2. Complete `cross_entropy(probs, labels)`: the **mean** over the `N` examples of `-log` of the
   probability each one gives its true class. `labels` are integers, not one-hot rows. A probability of
   exactly 0 must give a large but finite loss, not `inf`: keep `log` away from 0 (clip the probabilities
   to a small epsilon such as 1e-12 first).

Use NumPy only (`import numpy as np`); no Keras here.

## Why it matters
This is what `Dense(10, activation="softmax")` and `sparse_categorical_crossentropy` compute for you.
Written naively, softmax overflows to NaN as soon as one logit passes about 710, and a single confident
wrong answer makes the loss infinite; either one ruins training without an error message.

## Check your work
    hnml-tutor check 14
"""

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities of shape (N, C) from logits of shape (N, C); each row sums to 1."""
    # TODO: subtract each row's maximum, take np.exp, divide by each row's sum.
    raise NotImplementedError("TODO: return the row-wise softmax of the logits")


def cross_entropy(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-probability of the true classes: probs (N, C), integer labels (N,)."""
    # TODO: pick each row's probability of its true class, keep it away from 0, average -log of it.
    raise NotImplementedError("TODO: return the mean cross-entropy")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("14_softmax.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 14\n"
                     "Grade them:                                   hnml-tutor check 14")
