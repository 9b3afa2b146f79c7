"""
# 02 · Scale the pixels

The images arrive as whole numbers from 0 to 255. Networks learn far better from small floating-point
numbers, so the first thing we do is scale every pixel into the range **[0, 1]**.

## Your task
Complete `preprocess(images)`:

- return a **new** floating-point array with the same shape as `images`
- a pixel of 0 becomes 0.0 and a pixel of 255 becomes exactly 1.0
- leave the array you were given unchanged

## Why it matters
With inputs in the hundreds, the first layer's weighted sums are huge, gradients are huge, and training
jumps around or stalls. Scaling is one line, and it is the difference between a model that learns in one
epoch and one that barely learns at all.

## Check your work
    hnml-tutor check 02
"""

import numpy as np


def preprocess(images: np.ndarray) -> np.ndarray:
    """Return ``images`` as floating point scaled into [0, 1]."""
    # TODO: convert to floating point and scale into [0, 1].
    raise NotImplementedError("TODO: scale the pixels into [0, 1]")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("02_preprocess.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 02\n"
                     "Grade them:                                   hnml-tutor check 02")
