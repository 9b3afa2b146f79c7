"""Grader for 02 · Scale the pixels: a new floating-point array, exactly images / 255.

The learner's function also scales a second, darker batch whose pixels only reach 200: dividing by the
batch's own largest value (or min-max scaling) gives the same result as / 255 on the MNIST test set, which
holds both a 0 and a 255, and differs only there.
"""

from __future__ import annotations

import numpy as np
import pytest

from hnml_tutor.graders.checks import check, learner_calls
from hnml_tutor.graders.common import arguments_after, expect_ran
from hnml_tutor.graders.vocabulary import describe, describe_array, expect_array, fail
from hnml_tutor.sandbox import Call

FUNCTION = "preprocess"
DIM_LOW, DIM_HIGH = 20, 200  # the darker batch's darkest and brightest pixel
DIM_COUNT = 64


@pytest.fixture(scope="module")
def images(reference_inputs):
    return reference_inputs.data.x_test


@pytest.fixture(scope="module")
def dim_images(images):
    """MNIST digits squeezed into pixels 20 to 200: a dim, low-contrast batch without a single 255."""
    squeezed = DIM_LOW + images[:DIM_COUNT].astype(np.float64) * (DIM_HIGH - DIM_LOW) / 255
    return np.rint(squeezed).astype(np.uint8)


@learner_calls(points=2)
def calls(images, dim_images):
    return [Call(FUNCTION, (images,), return_arguments=True), Call(FUNCTION, (dim_images,))]


@pytest.fixture(scope="module")
def scaled(run, filename, exercise):
    """What preprocess returned for the MNIST test images (the first call)."""
    return expect_ran(run, FUNCTION, filename, exercise.id)


@check(points=1)
def test_returns_array(scaled):
    """returns a NumPy array"""
    expect_array(scaled, "preprocess()'s result")


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


@check(points=1, after=test_returns_array)
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


@check(points=1, after=(test_same_shape, test_floating_point))
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


@check(points=1, after=(test_same_shape, test_floating_point))
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


@check(points=2, after=(test_same_shape, test_floating_point))
def test_divides_by_255_in_every_batch(run, filename, exercise, dim_images):
    """divides by 255 in every batch, also one whose brightest pixel is below 255"""
    value = expect_ran(run, FUNCTION, filename, exercise.id, occurrence=1)
    expected = dim_images / 255.0
    if (isinstance(value, np.ndarray) and value.shape == expected.shape and np.issubdtype(value.dtype, np.floating)
            and np.allclose(value, expected, rtol=0, atol=1e-5)):
        return
    hint = ("Divide by 255 every time: a pixel's scaled value must not depend on the other images in the batch, "
            "or the model sees new data scaled differently from its training data.")
    if isinstance(value, np.ndarray) and value.size and np.issubdtype(value.dtype, np.floating):
        low, high = float(np.nanmin(value)), float(np.nanmax(value))
        if abs(high - 1.0) <= 1e-3:
            stretched = " and by subtracting the smallest one (min-max scaling)" if abs(low) <= 1e-3 else ""
            hint = ("Divide by 255, not by the largest value in the batch. Here the brightest pixel is "
                    f"{DIM_HIGH}, so it must become {DIM_HIGH}/255, not 1.0: scaling by the batch's own "
                    f"largest value{stretched} scales every batch differently.")
    fail(f"A darker batch (pixels {DIM_LOW} to {DIM_HIGH}) was not scaled by 255.",
         expected=f"pixels / 255: from {DIM_LOW}/255 to {DIM_HIGH}/255, shape {expected.shape}",
         found=describe(value), hint=hint)


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
