"""Grader for 03 · Build a network: (28, 28) input → Flatten → Dense relu → Dense 10."""

from __future__ import annotations

import numpy as np
import pytest

from hnml_tutor.graders.checks import check, learner_calls
from hnml_tutor.graders.common import load_returned_model
from hnml_tutor.graders.models import activation_name, dense_layers, describe_layers, output_kind
from hnml_tutor.graders.vocabulary import fail
from hnml_tutor.sandbox import Call

FUNCTION = "build_model"
MIN_HIDDEN_UNITS = 32


@learner_calls(points=2, loads_models=True)
def calls():
    return [Call(FUNCTION)]


@pytest.fixture(scope="module")
def model(returned):
    return load_returned_model(returned[FUNCTION], "build_model()'s result")


@check(points=2)
def test_returns_model(returned):
    """returns a Keras model that can be loaded safely"""
    load_returned_model(returned[FUNCTION], "build_model()'s result")


@check(points=2, after=test_returns_model)
def test_input_shape(model):
    """takes one 28×28 image per example"""
    inputs = getattr(model, "inputs", None)
    if not inputs:
        fail("The model has no input shape.", expected="keras.Input(shape=(28, 28)) as the first entry",
             found="a model without an Input", hint="Start the Sequential list with `keras.Input(shape=(28, 28))`.")
    shape = tuple(inputs[0].shape)[1:]
    if shape == (28, 28):
        return
    hint = "Use `keras.Input(shape=(28, 28))`: one image, without the batch size."
    if shape == (784,):
        hint = ("This model expects flattened images, but the data is 28×28. Take (28, 28) as input "
                "and let a Flatten layer do the rest.")
    fail("The model's input shape is wrong.", expected="(None, 28, 28)", found=str((None, *shape)), hint=hint)


@check(points=2, after=test_returns_model)
def test_flatten(model):
    """flattens each image before the first Dense layer"""
    names = [type(layer).__name__ for layer in model.layers]
    if "Flatten" in names and (not dense_layers(model) or names.index("Flatten") < names.index("Dense")):
        return
    fail("The image must be flattened before the Dense layers.", expected="a Flatten layer before the first Dense",
         found=describe_layers(model),
         hint="Add `keras.layers.Flatten()` right after the input: Dense layers take a vector, not a grid.")


@check(points=3, after=test_returns_model)
def test_hidden_layer(model):
    """has a hidden Dense layer with a relu activation and at least 32 units"""
    hidden = dense_layers(model)[:-1]
    if not hidden:
        fail("The model has no hidden layer.", expected="Dense(128, activation=\"relu\") before the output",
             found=describe_layers(model),
             hint="Without a hidden layer the network is plain logistic regression. Add a Dense layer with relu.")
    if any(activation_name(model, layer) == "relu" and layer.units >= MIN_HIDDEN_UNITS for layer in hidden):
        return
    hint = None
    if all(activation_name(model, layer) == "linear" for layer in hidden):
        hint = ("The hidden layer has no activation. Without relu, two Dense layers collapse into one linear "
                "map and the network can't learn curved boundaries: use activation=\"relu\".")
    elif all(layer.units < MIN_HIDDEN_UNITS for layer in hidden):
        hint = f"The hidden layer is too small to learn the digits well: give it at least {MIN_HIDDEN_UNITS} units (128 is classic)."
    else:
        hint = "Use activation=\"relu\" on the hidden Dense layer."
    fail("The hidden layer isn't a Dense layer with relu and enough units.",
         expected=f"Dense(units ≥ {MIN_HIDDEN_UNITS}, activation=\"relu\")", found=describe_layers(model), hint=hint)


@check(points=2, after=test_returns_model)
def test_output_layer(model):
    """ends in a Dense layer of 10 units, one score per digit (logits or softmax)"""
    dense = dense_layers(model)
    if not dense or model.layers[-1] is not dense[-1] and type(model.layers[-1]).__name__ not in {"Softmax", "Activation"}:
        fail("The last layer should be the Dense output layer.", expected="Dense(10) at the end",
             found=describe_layers(model))
    last = dense[-1]
    if last.units != 10:
        fail(f"The output layer has {last.units} unit(s).", expected="10 units, one per digit",
             found=f"Dense({last.units})", hint="MNIST has 10 classes, so the output layer needs 10 units.")
    if output_kind(model) not in {"logits", "softmax"}:
        fail("The output layer's activation turns the scores into something that is not logits or probabilities.",
             expected="no activation (logits) or softmax", found=activation_name(model, last),
             hint="Leave the output layer without an activation; the loss in step 04 handles logits.")


@check(points=2, after=test_returns_model)
def test_predicts_ten_scores(model):
    """maps a batch of images to 10 scores each"""
    try:
        output = model(np.zeros((4, 28, 28), dtype="float32"))
    except Exception as error:  # a model built for other inputs is the learner's to fix, in their terms
        fail("The model can't take a batch of 28×28 images.", expected="(4, 10) scores for 4 images",
             found=f"the model raised {type(error).__name__} (details below)", details=str(error)[:1500],
             hint="Start the model with `keras.Input(shape=(28, 28))` and let a Flatten layer turn each image "
                  "into a vector.")
    if isinstance(output, (list, tuple, dict)):
        fail(f"The model returns {len(output)} outputs.", expected="one array of 10 scores per image",
             found=f"{len(output)} outputs", hint="Give the model a single output: the Dense(10) layer.")
    output = np.asarray(output)
    if output.shape != (4, 10):
        fail("The model's output has the wrong shape.", expected="(4, 10) for 4 images", found=str(output.shape))
