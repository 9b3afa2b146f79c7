"""Grader for 11 · The classic dropout MLP: one-hot labels, Dense/Dropout pairs with a softmax output, SGD with
momentum and categorical cross-entropy — and the grader's own training run of the learner's network.

Each function is graded on its own inputs: ``one_hot`` on the grader's labels, ``compile_sgd`` on the grader's
reference network. The learning check then trains the network ``build_dropout_mlp`` returned, compiled with
exactly the optimizer, loss and metrics ``compile_sgd`` chose, in the grader's process: from fresh weights
(a clone, so a network trained inside build_dropout_mlp earns nothing), seeded, 2 epochs, on
MNIST scaled with one-hot labels, shaped as the model's input asks. A model far larger than the recipe is
refused before any training, so the grader's time stays bounded.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hnml_tutor.graders.checks import check, learner_calls, runs
from hnml_tutor.graders.common import expect_accuracy, expect_ran, load_returned_model
from hnml_tutor.graders.models import (activation_name, compiled_loss, compiled_metrics, dense_layers,
                                       describe_layer, describe_layers, input_shape, layers_of, output_kind)
from hnml_tutor.graders.vocabulary import describe, describe_array, fail, is_real_array
from hnml_tutor.sandbox import Call
from hnml_tutor.transport import Reference

ONE_HOT, BUILD, COMPILE = "one_hot", "build_dropout_mlp", "compile_sgd"
CLASSES = 10
# A batch without a 9 in it: to_categorical without num_classes makes it 9 columns wide.
LABELS_WITHOUT_NINE = np.array([3, 0, 8, 1, 1, 5, 2, 7, 4, 6, 0, 8], dtype=np.uint8)
LABELS_SHOWN = 200  # of the MNIST test labels, every digit among them
INPUT_SHAPES = ((28, 28), (784,))
MIN_HIDDEN = 2
MAX_PARAMETERS = 2_000_000
"""The largest network the grader trains. The recipe with 512 units per layer has about 670,000 weights and 1024
units about 1.9 million; more adds nothing on MNIST but minutes of the grader's time."""
EPOCHS, BATCH_SIZE = 2, 128
TRAINING_SEED = 11
COMPILE_KEYS = ("optimizer", "loss", "metrics")  # what compile_sgd decides; run_eagerly and the like are the grader's
SAMPLE = 64  # images the dropout check feeds the model


@learner_calls(points={ONE_HOT: 2, BUILD: 2, COMPILE: 2}, loads_models=True)
def calls(reference_inputs):
    return [Call(ONE_HOT, (reference_inputs.data.y_test[:LABELS_SHOWN],)),
            Call(ONE_HOT, (LABELS_WITHOUT_NINE,)),
            Call(BUILD),
            Call(COMPILE, (Reference("mnist/dropout-mlp"),))]


# -- one_hot -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def encodings(run, filename, exercise, reference_inputs) -> list[tuple[np.ndarray, object]]:
    """(labels given, what one_hot returned) for each of the grader's label arrays."""
    given = [reference_inputs.data.y_test[:LABELS_SHOWN], LABELS_WITHOUT_NINE]
    return [(labels, expect_ran(run, ONE_HOT, filename, exercise.id, occurrence=i)) for i, labels in enumerate(given)]


@check(points=2, after=runs(ONE_HOT))
def test_one_hot_shape_and_type(encodings):
    """one_hot returns one floating-point row of 10 per label"""
    for labels, value in encodings:
        expected = f"a float array of shape ({len(labels)}, {CLASSES})"
        if not is_real_array(value):
            fail("one_hot() should return a NumPy array.", expected=expected, found=describe(value),
                 hint="`keras.utils.to_categorical(labels, num_classes=10)` returns one.")
        if value.ndim == 2 and value.shape[0] == len(labels) and value.shape[1] != CLASSES:
            fail(f"one_hot() made rows {value.shape[1]} wide.", expected=expected,
                 found=f"{describe_array(value)} for {len(labels)} labels whose largest is {int(labels.max())}",
                 hint="Without `num_classes`, to_categorical counts the classes from the largest label it sees, so "
                      "a batch without a 9 gets 9 columns. Pass `num_classes=10`: MNIST always has ten.")
        if value.shape != (len(labels), CLASSES):
            fail("one_hot() doesn't return one row of 10 per label.", expected=expected, found=describe_array(value),
                 hint="Each label becomes a row of ten numbers: `keras.utils.to_categorical(labels, num_classes=10)`.")
        if not np.issubdtype(value.dtype, np.floating):
            fail("one_hot() returns whole numbers, not floating point.", expected=expected, found=describe_array(value),
                 hint="The loss treats each row as a probability distribution and computes with floats. "
                      "`keras.utils.to_categorical` gives floats; with `np.eye`, write `np.eye(10, dtype=\"float32\")`.")


@check(points=2, after=test_one_hot_shape_and_type)
def test_one_hot_rows(encodings):
    """each row is all zeros but a 1 at its label's position"""
    for labels, value in encodings:
        expected_rows = np.eye(CLASSES)[labels.astype(int)]
        wrong = np.flatnonzero(~np.all(value == expected_rows, axis=1))
        if not wrong.size:
            continue
        row = int(wrong[0])
        found = (f"row {row} (label {int(labels[row])}) is {np.array2string(value[row], precision=3, separator=', ')}"
                 + (f", and {wrong.size - 1} more rows are wrong" if wrong.size > 1 else ""))
        is_one_hot = np.all((value == 0) | (value == 1), axis=1) & (value.sum(axis=1) == 1)
        hint = "Use `keras.utils.to_categorical(labels, num_classes=10)`: label 3 becomes [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]."
        if is_one_hot.all():
            hint = ("Every row has a single 1, but not at its label's position: the 1 of label k goes in column k "
                    "(counted from 0). Don't shift the labels before encoding them.")
        fail("one_hot() doesn't give one-hot rows.", expected="a 1 in the column of the row's label, 0 everywhere else",
             found=found, hint=hint)


# -- build_dropout_mlp ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model(returned):
    return load_returned_model(returned[BUILD], "build_dropout_mlp()'s result")


def _is_dropout(layer) -> bool:
    return "Dropout" in type(layer).__name__


def _is_activation(layer) -> bool:
    return type(layer).__name__ in {"Activation", "ReLU", "Softmax"}


def _images_for(model, images: np.ndarray) -> np.ndarray:
    """28×28 images shaped as the model's input declares: as they are, or flattened to 784 pixels."""
    return images.reshape(len(images), -1) if input_shape(model) == (784,) else images


@check(points=2, after=runs(BUILD))
def test_input_and_output(model):
    """takes a 28×28 image (or its 784 pixels) and gives 10 numbers per image"""
    shape = input_shape(model)
    if shape is None:
        fail("The model has no input shape.", expected="keras.Input(shape=(28, 28)) as the first entry",
             found="a model without an Input", hint="Start the Sequential list with `keras.Input(shape=(28, 28))`.")
    if shape not in INPUT_SHAPES:
        fail("The model's input shape doesn't fit MNIST images.", expected="(28, 28), or (784,) for flattened images",
             found=str(shape), hint="Use `keras.Input(shape=(28, 28))` followed by `keras.layers.Flatten()`.")
    output = tuple(model.outputs[0].shape[1:]) if getattr(model, "outputs", None) else None
    if output == (CLASSES,):
        return
    hint = "End with `keras.layers.Dense(10, activation=\"softmax\")`: one probability per digit."
    if shape == (28, 28) and output is not None and len(output) > 1:
        hint = ("Dense layers work on the last axis only, so each of the 28 rows got its own 10 numbers. Add "
                "`keras.layers.Flatten()` right after the input.")
    fail("The model doesn't give 10 numbers per image.", expected="output shape (None, 10)",
         found=f"output shape {(None, *output) if output is not None else 'unknown'}: {describe_layers(model)}",
         hint=hint)


@check(points=2, after=test_input_and_output)
def test_softmax_output(model):
    """ends in a Dense layer of 10 units with a softmax activation"""
    layers = layers_of(model)
    if layers and _is_dropout(layers[-1]):
        fail("Dropout comes after the output layer.", expected="Dense(10, softmax) as the last layer",
             found=describe_layers(model),
             hint="Dropout belongs after the hidden layers. After the output it zeroes some of the ten probabilities "
                  "at every training step, so the loss punishes answers the network got right. Remove the last "
                  "Dropout.")
    kind = output_kind(model)
    if kind == "softmax":
        return
    if kind == "logits":
        fail("The output layer has no softmax.", expected="Dense(10, activation=\"softmax\")",
             found=describe_layers(model),
             hint="In this recipe the network outputs probabilities and `categorical_crossentropy` (with its default "
                  "from_logits=False) reads them as such. Without softmax the ten outputs are raw scores, and the "
                  "loss computed on them is wrong. Add `activation=\"softmax\"` to the last Dense layer.")
    fail("The output layer's activation doesn't give probabilities.", expected="softmax", found=kind,
         hint="Use `activation=\"softmax\"` on the last Dense layer: its ten outputs then sum to 1.")


def _hidden_layers_without_dropout(model) -> list:
    """Hidden Dense layers whose next layer (past a separate activation) is not a Dropout."""
    layers, hidden = layers_of(model), dense_layers(model)[:-1]
    missing = []
    for layer in hidden:
        position = next(i for i, candidate in enumerate(layers) if candidate is layer)
        following = [later for later in layers[position + 1:] if not _is_activation(later)]
        if not following or not _is_dropout(following[0]):
            missing.append(layer)
    return missing


@check(points=3, after=runs(BUILD))
def test_dropout_after_each_hidden_layer(model):
    """has at least two hidden Dense relu layers, each followed by Dropout"""
    hidden = dense_layers(model)[:-1]
    if not any(_is_dropout(layer) for layer in layers_of(model)):
        fail("The model has no Dropout.", expected="Dense(relu) → Dropout, at least twice, before the output",
             found=describe_layers(model),
             hint="Add `keras.layers.Dropout(0.2)` after each hidden Dense layer: while training it switches off a "
                  "random 20% of that layer's outputs at every step, so the network can't rely on a few units.")
    if len(hidden) < MIN_HIDDEN:
        fail(f"The model has {len(hidden)} hidden Dense layer(s).", expected=f"at least {MIN_HIDDEN} hidden Dense layers",
             found=describe_layers(model), hint="The classic recipe has two: Dense(relu) → Dropout → Dense(relu) → Dropout.")
    not_relu = [layer for layer in hidden if activation_name(model, layer) != "relu"]
    if not_relu:
        fail("A hidden layer doesn't use relu.", expected="activation=\"relu\" on every hidden Dense layer",
             found=f"{describe_layer(not_relu[0])}: {describe_layers(model)}",
             hint="Give each hidden Dense layer `activation=\"relu\"`; without it, stacked Dense layers collapse into one.")
    missing = _hidden_layers_without_dropout(model)
    if missing:
        fail("Not every hidden layer is followed by Dropout.", expected="a Dropout right after each hidden Dense layer",
             found=f"{describe_layer(missing[0])} without one: {describe_layers(model)}",
             hint="Put `keras.layers.Dropout(0.2)` after each hidden Dense layer.")


@check(points=2, after=test_dropout_after_each_hidden_layer)
def test_dropout_only_while_training(model, reference_inputs):
    """dropout changes the outputs while training, and predictions are the same every time"""
    rates = [float(getattr(layer, "rate", 0.0)) for layer in layers_of(model) if _is_dropout(layer)]
    if not any(0 < rate < 1 for rate in rates):
        fail("The Dropout layers drop nothing.", expected="a rate between 0 and 1, e.g. Dropout(0.2)",
             found=", ".join(f"Dropout({rate:g})" for rate in rates),
             hint="The rate is the fraction of outputs switched off at each training step: 0.2 to 0.5 is usual.")
    images = _images_for(model, reference_inputs.get("mnist/scaled").x_test[:SAMPLE])
    training = [np.asarray(model(images, training=True)) for _ in range(2)]
    predicted = [model.predict(images, verbose=0) for _ in range(2)]
    if np.array_equal(*training):
        fail("Dropout changes nothing while training.", expected="two training passes on the same images to differ",
             found="the same outputs twice", hint="Use keras.layers.Dropout with a rate such as 0.2.")
    if not np.allclose(*predicted, atol=1e-6):
        fail("The model's predictions change from one call to the next.",
             expected="the same predictions every time: Dropout is off at inference",
             found="different outputs for the same images",
             hint="Don't force dropout on (training=True) outside training: predictions should use every unit.")


# -- compile_sgd ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compiled(returned):
    return load_returned_model(returned[COMPILE], "compile_sgd()'s result")


@check(points=1, after=runs(COMPILE))
def test_returns_compiled_model(returned):
    """compile_sgd returns the model, compiled"""
    if returned[COMPILE] is None:
        fail("compile_sgd() returned None.", expected="the model", found="None",
             hint="`model.compile(...)` changes the model in place and returns None: call it, then `return model`.")
    if not load_returned_model(returned[COMPILE], "compile_sgd()'s result").get_compile_config():
        fail("The returned model is not compiled.", expected="a model after model.compile(...)",
             found="a model that was never compiled",
             hint="Call `model.compile(optimizer=..., loss=..., metrics=[...])` and return the model.")


@check(points=2, after=test_returns_compiled_model)
def test_sgd_with_momentum(compiled):
    """uses SGD with momentum"""
    optimizer = compiled.optimizer
    name = type(optimizer).__name__
    if name != "SGD":
        fail("The optimizer isn't SGD.", expected="keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)",
             found=name, hint="This recipe trains with stochastic gradient descent and momentum. Adam would work too, "
                              "but the point here is SGD: `keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)`.")
    momentum = float(getattr(optimizer, "momentum", 0.0) or 0.0)
    if momentum > 0:
        return
    fail("SGD runs without momentum.", expected="momentum > 0, e.g. 0.9", found=f"momentum={momentum:g}",
         hint="Plain SGD follows each batch's gradient alone and crawls; momentum keeps part of the previous step, "
              "so it speeds up along steady directions. Write `keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)`.")


@check(points=2, after=test_returns_compiled_model)
def test_categorical_cross_entropy(compiled):
    """uses categorical cross-entropy, which fits one-hot labels and probabilities"""
    loss = compiled_loss(compiled)
    found = loss.name if loss else "no loss"
    if loss is not None and loss.name == "categorical_crossentropy":
        if not loss.from_logits:
            return
        fail("The loss expects logits, but this network outputs probabilities.", expected="from_logits=False",
             found="from_logits=True",
             hint="The last layer applies softmax, so its outputs already are probabilities: write "
                  "`loss=\"categorical_crossentropy\"` (from_logits defaults to False).")
    hint = "One-hot labels go with `loss=\"categorical_crossentropy\"`."
    if loss is not None and loss.name == "sparse_categorical_crossentropy":
        hint = ("`sparse_categorical_crossentropy` takes integer labels (3), but this recipe's labels are one-hot rows "
                "([0, 0, 0, 1, 0, …]) from one_hot. One-hot labels go with `loss=\"categorical_crossentropy\"`; "
                "training with the sparse loss on them fails with a shape error.")
    elif loss is not None and ("squared" in loss.name or "absolute" in loss.name):
        hint = "Mean squared/absolute error is for regression. " + hint
    fail("The loss doesn't fit one-hot labels.", expected="categorical_crossentropy", found=found, hint=hint)


@check(points=1, after=test_returns_compiled_model)
def test_accuracy_metric(compiled):
    """tracks the metric "accuracy\""""
    metrics = compiled_metrics(compiled)
    if {"accuracy", "categorical_accuracy"} & set(metrics):
        return
    if "acc" in metrics:
        fail("The metric is spelled 'acc'.", expected="metrics=[\"accuracy\"]", found="metrics=['acc']",
             hint="Keras 3 still accepts 'acc', but then the History records it as 'acc' and 'val_acc', so code "
                  "written for today's Keras (`history.history[\"accuracy\"]`, plots, EarlyStopping(monitor="
                  "\"val_accuracy\")) doesn't find it. Older tutorials spell it 'acc'; write \"accuracy\".")
    fail("The model doesn't track accuracy.", expected="metrics=[\"accuracy\"]", found=str(metrics or "no metrics"),
         hint="Add `metrics=[\"accuracy\"]` to compile: the loss alone doesn't tell you how many digits are right.")


# -- the grader trains the learner's network, compiled the learner's way -----------------------------------------

def _compiled_like(network, compiled) -> None:
    """Compile ``network`` with the optimizer, loss and metrics ``compile_sgd`` gave the reference network."""
    config = compiled.get_compile_config()
    try:
        network.compile_from_config({key: config[key] for key in COMPILE_KEYS if config.get(key) is not None})
    except Exception as error:  # settings the grader can't rebuild are the learner's to simplify
        fail("The grader can't compile your network the way compile_sgd compiles.",
             found=f"{type(error).__name__}: {str(error)[:300]}",
             hint="Use Keras' own optimizer, loss and metrics, e.g. `keras.optimizers.SGD(learning_rate=0.01, "
                  "momentum=0.9)`, `\"categorical_crossentropy\"` and `[\"accuracy\"]`.")


@check(points=5, after=(test_softmax_output, test_categorical_cross_entropy))
def test_learns_mnist(returned, compiled, reference_inputs, exercise, artifacts):
    """the grader trains your network afresh, compiled your way, for 2 epochs: it reaches the required test accuracy"""
    import keras

    network = load_returned_model(returned[BUILD], "build_dropout_mlp()'s result")
    parameters = network.count_params()
    if parameters > MAX_PARAMETERS:
        fail("The network is far larger than this recipe needs, so the grader won't train it.",
             expected=f"at most {MAX_PARAMETERS:,} weights (two Dense(512) layers have about 670,000)",
             found=f"{parameters:,} weights: {describe_layers(network)}",
             hint="Use 128 to 512 units per hidden layer: on MNIST more units only make training slower.")
    # Fresh weights: a network build_dropout_mlp trained already would pass whatever compile_sgd chose.
    keras.utils.set_random_seed(TRAINING_SEED)
    network = keras.models.clone_model(network)
    _compiled_like(network, compiled)
    scaled = reference_inputs.get("mnist/scaled")
    labels = np.eye(CLASSES, dtype="float32")[reference_inputs.data.y_train]
    try:
        history = network.fit(_images_for(network, scaled.x_train), labels, epochs=EPOCHS, batch_size=BATCH_SIZE,
                              verbose=0)
    except Exception as error:  # e.g. a loss or metric that doesn't fit one-hot labels
        fail("Training your network, compiled your way, failed.", found=f"{type(error).__name__} (details below)",
             details=str(error)[:1500], hint="Check that the loss fits one-hot labels: categorical_crossentropy.")
    outputs = network.predict(_images_for(network, scaled.x_test), verbose=0, batch_size=2048)
    accuracy = float((np.asarray(outputs).argmax(axis=1) == reference_inputs.data.y_test).mean())
    hint = ("Check the learning rate: about 0.01 with momentum 0.9 learns MNIST in two epochs; much smaller crawls, "
            "much larger jumps around. A Dropout rate above 0.5 also slows learning.")
    if any(not math.isfinite(value) for value in history.history.get("loss", [])):
        hint = "The loss became NaN or infinite: training diverged. Lower the learning rate (0.01 is classic)."
    expect_accuracy(accuracy, exercise, artifacts,
                    problem="Your network, compiled your way, doesn't learn MNIST well enough in 2 epochs.",
                    measured_on=f"10,000 test images after {EPOCHS} epochs", hint=hint)
