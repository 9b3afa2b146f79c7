"""Grader for 02 · Scale the pixels: a new floating-point array, exactly images / 255."""

from __future__ import annotations

import numpy as np
import pytest

from hnml_tutor.graders.checks import check, learner_calls
from hnml_tutor.graders.common import arguments_after
from hnml_tutor.graders.vocabulary import describe_array, expect_array, fail
from hnml_tutor.sandbox import Call

FUNCTION = "preprocess"


@pytest.fixture(scope="module")
def images(reference_inputs):
    return reference_inputs.data.x_test


@learner_calls(points=2)
def calls(images):
    return [Call(FUNCTION, (images,), return_arguments=True)]


@pytest.fixture(scope="module")
def scaled(returned):
    return returned[FUNCTION]


@check(points=1)
def test_returns_array(returned):
    """returns a NumPy array"""
    expect_array(returned[FUNCTION], "preprocess()'s result")


@check(points=1, after=test_returns_array)
def test_same_shape(scaled, images):
    """keeps the shape of the images"""
    if scaled.shape == images.shape:
        return
    hint = None
    if scaled.ndim == 2 and scaled.shape == (len(images), 28 * 28):
        hint = "The images were flattened. Keep them 28×28: the model's Flatten layer does that."
    fail("The result should have the same shape as the input.", expected=f"shape {images.shape}",
         found=describe_array(scaled), hint=hint)


@check(points=2, after=test_returns_array)
def test_floating_point(scaled):
    """is floating point"""
    if np.issubdtype(scaled.dtype, np.floating):
        return
    hint = "Convert first: `images.astype(\"float32\") / 255.0`."
    if np.isin(np.unique(scaled), [0, 1]).all():
        hint = ("`//` is floor division: it rounds every pixel down to 0 or 1. Use `/`, "
                "after converting with `.astype(\"float32\")`.")
    fail("The pixels should be floating-point numbers.", expected="a float32 (or float64) array",
         found=describe_array(scaled), hint=hint)


@check(points=2, after=test_returns_array)
def test_range_zero_to_one(scaled):
    """scales pixels into [0, 1], with 255 becoming exactly 1.0"""
    low, high = float(np.min(scaled)), float(np.max(scaled))
    if abs(low) <= 1e-6 and abs(high - 1.0) <= 1e-6:
        return
    hint = "Divide by 255, the largest pixel value."
    if high > 1.5:
        hint = "The pixels were not scaled. Divide by 255 so training is stable."
    elif abs(high - 255 / 256) <= 1e-4:
        hint = "You divided by 256. The brightest pixel is 255, so divide by 255 to reach exactly 1.0."
    elif low < -1e-6:
        hint = ("The pixels were standardized (mean 0, standard deviation 1). This step asks for a plain "
                "scale into [0, 1]: divide by 255.")
    fail(f"Pixel values go from {low:.4g} to {high:.4g}.", expected="from 0.0 to exactly 1.0",
         found=describe_array(scaled), hint=hint)


@check(points=1, after=test_same_shape)
def test_values_are_pixels_over_255(scaled, images):
    """every pixel is its original value divided by 255"""
    difference = np.abs(scaled.astype(np.float64) - images.astype(np.float64) / 255.0)
    if float(difference.max()) <= 1e-5:
        return
    wrong = int((difference > 1e-5).sum())
    hint = "Scale each pixel by the same number, 255, and do nothing else to the images."
    if abs(float(scaled.mean())) < 0.05 and 0.8 < float(scaled.std()) < 1.2:
        hint = "The images were standardized (x - mean) / std. Plain scaling (x / 255) is what this step asks for."
    fail(f"{wrong:,} pixels are not their original value / 255.",
         expected="scaled[i] == images[i] / 255 for every pixel",
         found=f"largest difference {float(difference.max()):.4g}", hint=hint)


@check(points=1)
def test_input_unchanged(run, images):
    """leaves the input array unchanged"""
    after = arguments_after(run, FUNCTION)
    if after and isinstance(after[0], np.ndarray) and np.array_equal(after[0], images):
        return
    fail("preprocess() changed the array it was given.",
         expected="the caller's images untouched", found=describe_array(after[0]) if after else "unknown",
         hint="Build a new array (`images.astype(\"float32\") / 255.0`) instead of writing into `images`; "
              "the caller may still need the original.")
