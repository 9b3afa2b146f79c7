"""Grader for 04 · Compile the model: optimizer, a loss that fits logits and integer labels, accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from hnml_tutor.graders.checks import check, learner_calls
from hnml_tutor.graders.common import load_returned_model
from hnml_tutor.graders.models import (compiled_loss, compiled_metrics, compiled_optimizer, describe_layers,
                                       same_architecture)
from hnml_tutor.graders.numeric import softmax, sparse_cross_entropy
from hnml_tutor.graders.vocabulary import describe, fail
from hnml_tutor.sandbox import Call

FUNCTION = "compile_model"
OPTIMIZERS = {"Adam", "AdamW", "SGD", "RMSprop", "Nadam", "Adamax", "Adagrad", "Adadelta", "Ftrl", "Lion", "Lamb", "Adafactor"}
ACCURACY_NAMES = {"accuracy", "acc", "sparse_categorical_accuracy"}
SPARSE_LOSS = "sparse_categorical_crossentropy"


@learner_calls(points=2, loads_models=True)
def calls(reference_inputs):
    return [Call(FUNCTION, (reference_inputs.get("mlp/initial"),))]


@pytest.fixture(scope="module")
def model(returned):
    return load_returned_model(returned[FUNCTION], "compile_model()'s result")


@check(points=1)
def test_returns_compiled_model(returned):
    """returns the compiled model"""
    value = returned[FUNCTION]
    if value is None:
        fail("compile_model() returned None.", expected="the model", found="None",
             hint="`model.compile(...)` changes the model in place and returns None: call it, then `return model`.")
    model = load_returned_model(value, "compile_model()'s result")
    if not model.get_compile_config():
        fail("The returned model is not compiled.", expected="a model after model.compile(...)",
             found="a model that was never compiled", hint="Call `model.compile(optimizer=..., loss=..., metrics=[...])`.")


@check(points=2, after=test_returns_compiled_model)
def test_returns_the_given_model(model, reference_inputs):
    """returns the model it was given (same layers, same weights), not a new one"""
    given = reference_inputs.get("mlp/initial").load()
    weights, given_weights = model.get_weights(), given.get_weights()
    same_layers = same_architecture(model, given)
    if same_layers and all(np.array_equal(a, b) for a, b in zip(weights, given_weights)):
        return
    found = (f"a model with other layers: {describe_layers(model)}" if not same_layers else
             "a model with the same layers but other weights: a new model, not the one passed in")
    fail("compile_model() should compile and return the model it was given.",
         expected=f"the model passed in ({describe_layers(given)}), with its weights", found=found,
         hint="`model.compile(...)` changes the model in place: compile the `model` argument and `return model`. "
              "Building a new model (or cloning it) throws away the caller's model, its layers and its weights.")


@check(points=1, after=test_returns_compiled_model)
def test_optimizer(model):
    """uses a real optimizer such as Adam"""
    name = compiled_optimizer(model)
    if name in OPTIMIZERS:
        return
    fail("The optimizer isn't one Keras trains with.", expected="e.g. \"adam\" or keras.optimizers.Adam()",
         found=str(name), hint="`optimizer=\"adam\"` is a robust default.")


@check(points=3, after=test_returns_compiled_model)
def test_sparse_cross_entropy(model):
    """uses sparse categorical cross-entropy, which fits integer labels"""
    loss = compiled_loss(model)
    if loss is not None and loss.name == SPARSE_LOSS:
        return
    found = loss.name if loss else "no loss"
    hint = "Integer labels 0-9 call for `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`."
    if loss is not None and loss.name == "categorical_crossentropy":
        hint = ("`categorical_crossentropy` expects one-hot labels like [0, 0, 1, 0, …], but these labels are "
                "integers 0-9. Use the sparse version: `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`.")
    elif loss is not None and ("squared" in loss.name or "absolute" in loss.name):
        hint = "Mean squared/absolute error is for regression. Classification uses cross-entropy: " + hint
    fail("The loss doesn't fit integer class labels.", expected=SPARSE_LOSS, found=found, hint=hint)


@check(points=3, after=test_sparse_cross_entropy)
def test_from_logits_matches_output(model):
    """tells the loss that the model outputs logits (from_logits=True)"""
    if compiled_loss(model).from_logits:
        return
    fail("The loss expects probabilities, but this model outputs logits.",
         expected="from_logits=True", found="from_logits=False (the default, also of the string "
         "'sparse_categorical_crossentropy')",
         hint="The last layer is Dense(10) without softmax, so its outputs are logits. Write "
              "`loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)`. With the default, training "
              "runs without an error but learns worse.")


@check(points=2, after=test_returns_compiled_model)
def test_accuracy_metric(model):
    """tracks accuracy as a metric"""
    metrics = compiled_metrics(model)
    if ACCURACY_NAMES & set(metrics):
        return
    fail("The model doesn't track accuracy.", expected="metrics=[\"accuracy\"]", found=str(metrics or "no metrics"),
         hint="Add `metrics=[\"accuracy\"]` to compile: the loss alone doesn't tell you how many digits are right.")


@check(points=1, after=test_returns_compiled_model)
def test_loss_measures_the_logits(model, reference_inputs):
    """computes the right loss on real data"""
    images, labels = reference_inputs.get("mnist/scaled").x_test[:256], reference_inputs.data.y_test[:256]
    try:
        values = model.evaluate(images, labels, verbose=0, return_dict=True)
    except Exception as error:  # e.g. categorical cross-entropy on integer labels
        fail("Evaluating the compiled model on MNIST failed.", found=f"{type(error).__name__}: {str(error)[:300]}",
             hint="Check that the loss fits integer labels: sparse_categorical_crossentropy.")
    logits = np.asarray(model.predict(images, verbose=0))
    expected = sparse_cross_entropy(softmax(logits), labels)
    found = float(values.get("loss", np.nan))
    if abs(found - expected) > 1e-3 * max(1.0, expected):
        fail("The compiled loss doesn't measure cross-entropy on this model's logits.",
             expected=f"loss ≈ {expected:.4f}", found=f"loss {found:.4f} ({describe(values)})",
             hint="Use SparseCategoricalCrossentropy(from_logits=True) so the loss reads the logits correctly.")
