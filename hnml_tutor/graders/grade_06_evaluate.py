"""Grader for 06 · Measure test accuracy: the accuracy (not the loss) on exactly the data given."""

from __future__ import annotations

import numpy as np
import pytest

from hnml_tutor.graders.checks import check, learner_calls
from hnml_tutor.graders.numeric import sparse_cross_entropy
from hnml_tutor.graders.vocabulary import describe, fail
from hnml_tutor.sandbox import Call

FUNCTION = "evaluate"
SUBSET_SIZE = 3000
TOLERANCE = 2e-3


@pytest.fixture(scope="module")
def subset(reference_inputs):
    """A fixed random part of the test set, so an answer measured on other data shows up."""
    return np.sort(np.random.default_rng(6).choice(len(reference_inputs.data.y_test), SUBSET_SIZE, replace=False))


@pytest.fixture(scope="module")
def expected(reference_inputs, subset):
    trained = reference_inputs.get("mnist/trained-mlp")
    labels = reference_inputs.data.y_test
    probabilities = trained.probabilities(subset)
    return {
        "accuracy": float((probabilities.argmax(axis=1) == labels[subset]).mean()),
        "loss": sparse_cross_entropy(probabilities, labels[subset]),
        "full_accuracy": float((trained.test_logits.argmax(axis=1) == labels).mean()),
    }


@learner_calls(points=2)
def calls(reference_inputs, subset):
    trained = reference_inputs.get("mnist/trained-mlp")
    images = reference_inputs.get("mnist/scaled").x_test[subset]
    return [Call(FUNCTION, (trained.model, images, reference_inputs.data.y_test[subset]))]


def _as_number(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and np.issubdtype(value.dtype, np.number):
        return float(value.reshape(-1)[0])
    return None


@pytest.fixture(scope="module")
def number(returned):
    return _as_number(returned[FUNCTION])


@check(points=2)
def test_returns_one_number(returned, expected):
    """returns a single number"""
    value = returned[FUNCTION]
    if _as_number(value) is not None:
        return
    hint = "Return only the accuracy, as a float."
    if isinstance(value, (list, tuple)) and len(value) == 2:
        hint = ("`model.evaluate` returns a list, [loss, accuracy]. Return only the accuracy: "
                "`loss, accuracy = model.evaluate(...)`, then `return float(accuracy)`.")
    elif isinstance(value, dict):
        hint = "With return_dict=True, return `result[\"accuracy\"]`."
    fail("evaluate() should return one number, the accuracy.", expected=f"≈ {expected['accuracy']:.4f}",
         found=describe(value), hint=hint)


@check(points=2, after=test_returns_one_number)
def test_is_a_fraction(number):
    """is a fraction between 0 and 1"""
    if 0.0 <= number <= 1.0:
        return
    hint = None
    if 1.0 < number <= 100.0:
        hint = "This looks like a percentage. Return a fraction between 0 and 1 (keep Keras' value as is)."
    fail("Accuracy is a fraction between 0 and 1.", expected="0 ≤ accuracy ≤ 1", found=f"{number:.4g}", hint=hint)


@check(points=2, after=test_returns_one_number)
def test_is_accuracy_not_loss(number, expected):
    """is the accuracy, not the loss"""
    if abs(number - expected["loss"]) <= 1e-3 and abs(number - expected["accuracy"]) > TOLERANCE:
        fail("This is the loss, not the accuracy.", expected=f"accuracy ≈ {expected['accuracy']:.4f}",
             found=f"{number:.4f} (the loss is {expected['loss']:.4f})",
             hint="`model.evaluate` returns [loss, accuracy]: the loss comes first. Return the second value.")


@check(points=2, after=test_returns_one_number)
def test_matches_grader(number, expected):
    """matches the accuracy the grader measures on the same data"""
    if abs(number - expected["accuracy"]) <= TOLERANCE:
        return
    hint = "Evaluate the model you were given on the x_test and y_test you were given."
    if abs(number - expected["full_accuracy"]) <= TOLERANCE:
        hint = ("That's the accuracy on the whole test set, but you were given a part of it. Evaluate on the "
                "arguments `x_test` and `y_test`, not on data loaded elsewhere.")
    elif abs(number - expected["loss"]) <= 1e-3:
        hint = "That's the loss: `model.evaluate` returns [loss, accuracy]."
    fail("The accuracy doesn't match the grader's measurement.", expected=f"{expected['accuracy']:.4f} ± {TOLERANCE}",
         found=f"{number:.4f}", hint=hint)
