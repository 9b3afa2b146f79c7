"""Grader for 07 · Predict digits: probabilities that sum to 1 (softmax over logits) and argmax classes."""

from __future__ import annotations

import numpy as np
import pytest

from hnml_tutor import plots
from hnml_tutor.graders.checks import check, learner_calls, runs
from hnml_tutor.graders.vocabulary import describe, describe_array, fail, is_real_array
from hnml_tutor.sandbox import Call

PROBA, PREDICT = "predict_proba", "predict"
SUBSET_SIZE = 500
PREVIEW_COUNT = 10


@pytest.fixture(scope="module")
def subset(reference_inputs):
    return np.sort(np.random.default_rng(7).choice(len(reference_inputs.data.y_test), SUBSET_SIZE, replace=False))


@pytest.fixture(scope="module")
def expected_probabilities(reference_inputs, subset):
    return reference_inputs.get("mnist/trained-mlp").probabilities(subset)


@learner_calls(points={PROBA: 2, PREDICT: 2})
def calls(reference_inputs, subset):
    model = reference_inputs.get("mnist/trained-mlp").model
    images = reference_inputs.get("mnist/scaled").x_test[subset]
    return [Call(PROBA, (model, images)), Call(PREDICT, (model, images))]


@pytest.fixture(scope="module")
def probabilities(returned):
    return returned[PROBA].astype(np.float64)


@pytest.fixture(scope="module")
def predictions(returned):
    return returned[PREDICT]


@pytest.fixture(scope="module", autouse=True)
def predictions_plot(run, artifacts, reference_inputs, subset):
    yield
    if not run.ok:
        return
    proba, guesses = run.call(PROBA), run.call(PREDICT)
    if not (proba and guesses and is_real_array(proba.value) and is_real_array(guesses.value)):
        return
    if proba.value.shape != (SUBSET_SIZE, 10) or guesses.value.shape != (SUBSET_SIZE,):
        return
    images = reference_inputs.data.x_test[subset][:PREVIEW_COUNT]
    true = reference_inputs.data.y_test[subset][:PREVIEW_COUNT]
    guessed = guesses.value[:PREVIEW_COUNT].astype(int) % 10
    confidence = proba.value[np.arange(PREVIEW_COUNT), guessed]
    names = reference_inputs.data.class_names
    artifacts.plot(plots.prediction_row, images=images, predicted=guessed, true=true, confidence=confidence,
                   class_names=names, title="Predicted (confidence) vs true label", filename="07_predictions.png")
    artifacts.preview("Your predictions", images[:8],
                      [f"{names[g]} {c:.0%}{'' if g == t else ' ✗'}" for g, c, t in zip(guessed[:8], confidence[:8], true[:8])])


@check(points=2, after=runs(PROBA))
def test_proba_shape(returned):
    """predict_proba returns one row of 10 numbers per image"""
    value = returned[PROBA]
    if is_real_array(value) and value.shape == (SUBSET_SIZE, 10):
        return
    hint = None
    if isinstance(value, np.ndarray) and value.shape == (SUBSET_SIZE, 10):
        hint = "Return the probabilities as real numbers: `keras.ops.convert_to_numpy(...)` of the softmax."
    elif isinstance(value, np.ndarray) and value.shape == (SUBSET_SIZE,):
        hint = "This is one number per image. predict_proba returns all 10 probabilities per image."
    fail("predict_proba() should return an array of probabilities, one row of 10 per image.",
         expected=f"a float array of shape ({SUBSET_SIZE}, 10)",
         found=describe(value), hint=hint)


@check(points=4, after=test_proba_shape)
def test_rows_are_probabilities(probabilities):
    """each row holds probabilities: between 0 and 1, summing to 1"""
    sums = probabilities.sum(axis=1)
    if probabilities.min() >= -1e-6 and probabilities.max() <= 1 + 1e-6 and np.allclose(sums, 1.0, atol=1e-4):
        return
    fail("These are not probabilities: rows should be between 0 and 1 and sum to 1.",
         expected="rows summing to 1.0", found=f"{describe_array(probabilities)}; row sums {sums.min():.3g} to {sums.max():.3g}",
         hint="These look like logits, the raw scores of the last Dense layer. Apply softmax: "
              "`keras.activations.softmax(logits)` (or `keras.ops.softmax`), then convert to NumPy.")


@check(points=3, after=test_proba_shape)
def test_proba_matches_model(probabilities, expected_probabilities):
    """the probabilities are the model's softmax outputs"""
    difference = float(np.abs(probabilities - expected_probabilities).max())
    if difference <= 1e-3:
        return
    fail("The probabilities don't match the model's own.", expected="softmax(model.predict(images))",
         found=f"largest difference {difference:.3g}",
         hint="Use the model and images you were given, and apply softmax along the class axis (axis=-1).")


@check(points=2, after=runs(PREDICT))
def test_predict_shape(returned):
    """predict returns one class per image"""
    value = returned[PREDICT]
    if is_real_array(value) and value.shape == (SUBSET_SIZE,):
        return
    hint = None
    if isinstance(value, np.ndarray) and value.shape == (SUBSET_SIZE,):
        hint = "Return the classes as integers: `.argmax(axis=1)` of the probabilities gives them."
    elif isinstance(value, np.ndarray) and value.shape == (10,):
        hint = ("argmax ran over the wrong axis. axis=0 picks, for each class, the image with the highest score; "
                "axis=1 picks, for each image, the class: `.argmax(axis=1)`.")
    elif isinstance(value, np.ndarray) and value.shape == (SUBSET_SIZE, 10):
        hint = "These are scores for every class. Take the most likely one: `.argmax(axis=1)`."
    elif isinstance(value, np.ndarray) and value.ndim == 0:
        hint = "argmax without an axis flattens everything and returns one number. Use `.argmax(axis=1)`."
    fail("predict() should return an array of classes, one per image.",
         expected=f"an integer array of shape ({SUBSET_SIZE},)",
         found=describe(value), hint=hint)


@check(points=2, after=test_predict_shape)
def test_predict_integers(predictions):
    """the predicted classes are integers"""
    if np.issubdtype(predictions.dtype, np.integer):
        return
    fail("Predicted classes should be integers.", expected="an integer array", found=describe_array(predictions),
         hint="`argmax` returns integers; if you rounded probabilities instead, use `.argmax(axis=1)`.")


@check(points=3, after=test_predict_shape)
def test_predict_is_argmax(predictions, expected_probabilities):
    """the predicted class is the most likely one for every image"""
    agreement = float((predictions == expected_probabilities.argmax(axis=1)).mean())
    if agreement >= 0.995:
        return
    fail("The predicted classes aren't the model's most likely ones.", expected="argmax over each row",
         found=f"{agreement:.1%} agree with the model's argmax", hint="Take `.argmax(axis=1)` of the probabilities.")
