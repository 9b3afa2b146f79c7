"""Grader for 06 · Measure test accuracy: the accuracy (not the loss) on exactly the model and data given.

The learner's function is called twice: on the trained reference model with part of the test set, then on
an untrained one (near-chance accuracy) with another part. Only a function that really measures what it is
given gets both right, so a number copied from somewhere never passes; and the feedback never prints a
number that would pass if copied, only how far off the learner's is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from hnml_tutor.graders.checks import check, learner_calls
from hnml_tutor.graders.common import expect_ran
from hnml_tutor.graders.numeric import sparse_cross_entropy
from hnml_tutor.graders.vocabulary import describe, fail
from hnml_tutor.sandbox import Call

FUNCTION = "evaluate"
TOLERANCE = 2e-3


@dataclass(frozen=True)
class Case:
    """One call of the learner's function: which reference model, on which part of the test set."""

    model: str
    description: str
    size: int
    seed: int


CASES = (
    Case("mnist/trained-mlp", "the trained model", 3000, 6),
    Case("mnist/untrained-mlp", "an untrained model", 2000, 60),
)


@dataclass(frozen=True)
class Expected:
    """What the grader measures itself for one case."""

    accuracy: float
    loss: float
    full_accuracy: float  # on the whole test set: what a function that loads its own data reports


def _subset(case: Case, count: int) -> np.ndarray:
    """A fixed random part of the test set, so an answer measured on other data shows up."""
    return np.sort(np.random.default_rng(case.seed).choice(count, case.size, replace=False))


@pytest.fixture(scope="module")
def subsets(reference_inputs) -> list[np.ndarray]:
    return [_subset(case, len(reference_inputs.data.y_test)) for case in CASES]


@pytest.fixture(scope="module")
def expected(reference_inputs, subsets) -> list[Expected]:
    labels = reference_inputs.data.y_test
    measured = []
    for case, subset in zip(CASES, subsets):
        classifier = reference_inputs.get(case.model)
        probabilities = classifier.probabilities(subset)
        measured.append(Expected(float((probabilities.argmax(axis=1) == labels[subset]).mean()),
                                 sparse_cross_entropy(probabilities, labels[subset]),
                                 float((classifier.test_logits.argmax(axis=1) == labels).mean())))
    return measured


@learner_calls(points=2)
def calls(reference_inputs, subsets):
    images, labels = reference_inputs.get("mnist/scaled").x_test, reference_inputs.data.y_test
    return [Call(FUNCTION, (reference_inputs.get(case.model).model, images[subset], labels[subset]))
            for case, subset in zip(CASES, subsets)]


def _as_number(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if (isinstance(value, np.ndarray) and value.size == 1
            and (np.issubdtype(value.dtype, np.integer) or np.issubdtype(value.dtype, np.floating))):
        return float(value.reshape(-1)[0])
    return None


@pytest.fixture(scope="module")
def numbers(run) -> list[float]:
    return [_as_number(call.value) for call in run.calls if call.function == FUNCTION]


def _off_by(found: float, wanted: float) -> str:
    """How far ``found`` is from ``wanted``, too coarse to recover ``wanted`` within the tolerance."""
    gap = abs(found - wanted)
    direction = "higher" if found > wanted else "lower"
    if gap < 0.01:
        return f"slightly {direction} (by less than 0.01)"
    return f"about {gap:.1g} {direction}" if gap < 0.1 else f"far {direction} (by more than a tenth)"


@check(points=2)
def test_returns_one_number(run, filename, exercise):
    """returns a single number, for every model and data set"""
    for index, case in enumerate(CASES):
        value = expect_ran(run, FUNCTION, filename, exercise.id, occurrence=index)
        if _as_number(value) is not None:
            continue
        hint = "Return only the accuracy, as a float."
        if isinstance(value, (list, tuple)) and len(value) == 2:
            hint = ("`model.evaluate` returns a list, [loss, accuracy]. Return only the accuracy: "
                    "`loss, accuracy = model.evaluate(...)`, then `return float(accuracy)`.")
        elif isinstance(value, dict):
            hint = "With return_dict=True, return `result[\"accuracy\"]`."
        fail(f"evaluate() should return one number, the accuracy (given {case.description}).",
             expected="one float between 0 and 1", found=describe(value), hint=hint)


@check(points=2, after=test_returns_one_number)
def test_is_a_fraction(numbers):
    """is a fraction between 0 and 1"""
    for number in numbers:
        if 0.0 <= number <= 1.0:
            continue
        hint = None
        if 1.0 < number <= 100.0:
            hint = "This looks like a percentage. Return a fraction between 0 and 1 (keep Keras' value as is)."
        fail("Accuracy is a fraction between 0 and 1.", expected="0 ≤ accuracy ≤ 1", found=f"{number:.4g}",
             hint=hint)


@check(points=2, after=test_returns_one_number)
def test_is_accuracy_not_loss(numbers, expected):
    """is the accuracy, not the loss"""
    for number, measured in zip(numbers, expected):
        if abs(number - measured.loss) <= 1e-3 and abs(number - measured.accuracy) > TOLERANCE:
            fail("This is the loss, not the accuracy.", expected="the accuracy: the share of images classified "
                 "right", found=f"{number:.4f}, which is the loss the grader measures on the same data",
                 hint="`model.evaluate` returns [loss, accuracy]: the loss comes first. Return the second value.")


@check(points=2, after=test_returns_one_number)
def test_matches_grader(numbers, expected):
    """matches the accuracy the grader measures, on each model and data set it was given"""
    for case, number, measured in zip(CASES, numbers, expected):
        if abs(number - measured.accuracy) <= TOLERANCE:
            continue
        hint = "Evaluate the model you were given on the x_test and y_test you were given."
        if len(set(numbers)) == 1:
            hint = ("Your function returned the same number for two different models on different data: it "
                    "must measure the model and data it is given (`model.evaluate(x_test, y_test)`), not return "
                    "a fixed number.")
        elif abs(number - measured.full_accuracy) <= TOLERANCE:
            hint = ("That's the accuracy on the whole test set, but you were given a part of it. Evaluate on the "
                    "arguments `x_test` and `y_test`, not on data loaded elsewhere.")
        elif abs(number - measured.loss) <= 1e-3:
            hint = "That's the loss: `model.evaluate` returns [loss, accuracy]."
        fail(f"The accuracy of {case.description} doesn't match the grader's measurement on the same data.",
             expected=f"the accuracy the grader measures, within ± {TOLERANCE}",
             found=f"{number:.4f}, {_off_by(number, measured.accuracy)} than the grader's measurement", hint=hint)
