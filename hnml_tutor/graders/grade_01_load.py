"""Grader for 01 · Load MNIST: the four arrays, exactly as Keras gives them."""

from __future__ import annotations

import numpy as np
import pytest

from hnml_tutor import plots
from hnml_tutor.graders.checks import check, learner_calls
from hnml_tutor.graders.vocabulary import describe, describe_array, fail
from hnml_tutor.sandbox import Call

FUNCTION = "load_data"
FASHION_FIRST_LABELS = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]


@learner_calls(points=2)
def calls():
    return [Call(FUNCTION)]


def _unpack(value):
    """``(x_train, y_train), (x_test, y_test)`` as four arrays, or None when the structure is different.

    Each pair must hold one set's images and its labels, so the two arrays of a pair have as many entries;
    anything else (arrays grouped by kind, a flat 4-tuple, a scalar) is a structure the checks can't read.
    """
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        return None
    if not all(isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in value):
        return None
    arrays = [*value[0], *value[1]]
    if not all(isinstance(a, np.ndarray) and a.ndim >= 1 for a in arrays):
        return None
    if len(arrays[0]) != len(arrays[1]) or len(arrays[2]) != len(arrays[3]):
        return None
    return arrays


def _is_label_array(array: np.ndarray) -> bool:
    return array.ndim == 1 and np.issubdtype(array.dtype, np.integer)


def _grouping_hint(value) -> str:
    """Why ``value`` is not two (images, labels) pairs, in the words of the mistake it most likely is."""
    expected = "`return (x_train, y_train), (x_test, y_test)`"
    if isinstance(value, (tuple, list)) and len(value) == 4:
        return f"You returned four arrays side by side. Group them by set: {expected}."
    pairs = value if isinstance(value, (tuple, list)) and len(value) == 2 else ()
    if all(isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in pairs) and pairs:
        arrays = [*pairs[0], *pairs[1]]
        if all(isinstance(a, np.ndarray) and a.ndim >= 1 for a in arrays):
            if len(arrays[0]) != len(arrays[1]):
                return (f"Each pair must be one set's images and its labels; these pairs mix the sets (images "
                        f"with images, labels with labels). Group them by set: {expected}.")
    return f"Return exactly what `keras.datasets.mnist.load_data()` returns: {expected}."


@pytest.fixture(scope="module")
def arrays(returned):
    return _unpack(returned[FUNCTION])


@pytest.fixture(scope="module", autouse=True)
def sample_plot(run, artifacts):
    yield
    arrays = _unpack(run.call(FUNCTION).value) if run.ok and run.call(FUNCTION) else None
    if arrays is None:
        return
    images, labels = arrays[0], arrays[1]
    if (images.dtype == np.uint8 and images.ndim == 3 and images.shape[1:] == (28, 28) and _is_label_array(labels)
            and len(images) >= 16):
        artifacts.plot(plots.digit_grid, images=images[:16], labels=[str(int(v)) for v in labels[:16]],
                       title="The first 16 training images and their labels", filename="01_samples.png")
        artifacts.preview("The first training images", images[:8], [f"label {int(v)}" for v in labels[:8]])


@check(points=1)
def test_returns_two_pairs(returned):
    """returns (x_train, y_train), (x_test, y_test)"""
    value = returned[FUNCTION]
    arrays = _unpack(value)
    if arrays is None:
        fail("load_data() should return two (images, labels) pairs: training first, then test.",
             expected="((x_train, y_train), (x_test, y_test)), all NumPy arrays", found=describe(value),
             hint=_grouping_hint(value))
    if _is_label_array(arrays[0]) and not _is_label_array(arrays[1]):
        fail("Each pair should hold the images first, then the labels.",
             expected="(images, labels) in each pair", found=describe(value),
             hint="Keep Keras' order, images first: `return (x_train, y_train), (x_test, y_test)`.")


@check(points=2, after=test_returns_two_pairs)
def test_image_shapes(arrays):
    """training images are (60000, 28, 28) and test images (10000, 28, 28)"""
    x_train, _, x_test, _ = arrays
    if x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28):
        return
    hint = None
    if x_train.shape[:1] == (10000,) and x_test.shape[:1] == (60000,):
        hint = "Train and test are swapped: Keras returns the 60,000 training images first."
    elif x_train.ndim == 2 and x_train.shape[1:] == (784,):
        hint = ("The images were flattened at load. Keep them 28×28 here: the model's Flatten layer "
                "does that job in step 03.")
    fail("The images don't have MNIST's shapes.", expected="x_train (60000, 28, 28), x_test (10000, 28, 28)",
         found=f"x_train {describe_array(x_train)}; x_test {describe_array(x_test)}", hint=hint)


@check(points=2, after=test_returns_two_pairs)
def test_labels(arrays):
    """labels are 60,000 and 10,000 digits from 0 to 9"""
    _, y_train, _, y_test = arrays
    for name, labels, count in (("y_train", y_train, 60000), ("y_test", y_test, 10000)):
        if (labels.shape == (count,) and np.issubdtype(labels.dtype, np.integer)
                and labels.min() >= 0 and labels.max() <= 9):
            continue
        hint = None
        if labels.ndim == 2 and labels.shape[1:] == (10,):
            hint = "The labels are one-hot encoded. Keep them as plain digits 0-9 here."
        elif labels.shape == (70000 - count,):
            hint = "Train and test are swapped: Keras returns the training labels first."
        fail(f"{name} should hold {count:,} integer labels from 0 to 9.",
             expected=f"an integer array of shape ({count},), values 0 to 9",
             found=describe_array(labels), hint=hint)


@check(points=1, after=test_returns_two_pairs)
def test_pixels_unscaled(arrays):
    """images are uint8 pixels from 0 to 255, not yet scaled"""
    x_train, _, x_test, _ = arrays
    for name, images in (("x_train", x_train), ("x_test", x_test)):
        if images.dtype != np.uint8:
            hint = None
            if np.issubdtype(images.dtype, np.floating) and images.size and np.nanmax(images) <= 1.0:
                hint = "You scaled the pixels already. Scaling is step 02's job: return the data unchanged here."
            fail(f"{name} should be raw pixels as Keras gives them.", expected="uint8 values 0 to 255",
                 found=describe_array(images), hint=hint)


@check(points=2, after=test_returns_two_pairs)
def test_is_mnist(arrays, reference_inputs):
    """the data is MNIST, in Keras' order"""
    expected = reference_inputs.data
    x_train, y_train, x_test, y_test = arrays
    if (np.array_equal(x_train, expected.x_train) and np.array_equal(y_train, expected.y_train)
            and np.array_equal(x_test, expected.x_test) and np.array_equal(y_test, expected.y_test)):
        return
    hint = "Return the arrays exactly as Keras gives them: no shuffling, sorting or editing."
    first = _first_labels(y_train)
    if first == FASHION_FIRST_LABELS:
        hint = "This is Fashion-MNIST. This exercise is about the digits: `keras.datasets.mnist`."
    fail("These arrays are not MNIST as Keras returns it.",
         expected=f"first training labels {list(map(int, expected.y_train[:10]))}",
         found=f"first training labels {first}" if first is not None else describe_array(y_train), hint=hint)


def _first_labels(labels: np.ndarray) -> list[int] | None:
    """The first ten labels as plain digits, or None when these are not integer labels at all."""
    return [int(v) for v in labels[:10]] if _is_label_array(labels) else None
