"""Grader for 08 · One neuron learns a formula: an uncompiled Dense(1) on one input, then trained until it
has found F = 1.8 × C + 32 from the Udacity course's seven pairs.

train_neuron is graded on a fresh neuron of the grader's ("neuron/initial"), so a mistake in build_neuron
never fails it. The weight and bias are read from the model the History carries, and 100 °C is predicted by
the grader itself: nothing the learner reports is taken on trust.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hnml_tutor import plots
from hnml_tutor.graders.checks import check, learner_calls, runs
from hnml_tutor.graders.common import expect_history, expect_uncompiled, load_returned_model, trained_model_of
from hnml_tutor.graders.models import activation_name, compiled_loss, dense_layers, describe_layers, input_shape
from hnml_tutor.graders.vocabulary import fail
from hnml_tutor.sandbox import Call
from hnml_tutor.transport import HistoryRecord

BUILD, TRAIN = "build_neuron", "train_neuron"
CELSIUS = np.array([-40, -10, 0, 8, 15, 22, 38], dtype="float32")
FAHRENHEIT = np.array([-40, 14, 32, 46, 59, 72, 100], dtype="float32")
WEIGHT, BIAS = 1.8, 32.0
WEIGHT_TOLERANCE, BIAS_TOLERANCE = 0.1, 4.0
BOILING_C, BOILING_F, BOILING_TOLERANCE = 100.0, 212.0, 3.0
HISTORY_SLACK = 5.0  # a History's first and last loss may differ this much from the grader's (batches, one more step)
STILL_FALLING = 0.99  # the last loss below 99% of the loss a tenth of the epochs earlier: training had not settled
CLASSIFICATION_MARKERS = ("crossentropy", "hinge")
TRAIN_FIX = ("Compile with `loss=\"mean_squared_error\"` and an optimizer, then "
             "`return model.fit(celsius, fahrenheit, epochs=..., verbose=0)`.")


@learner_calls(points={BUILD: 2, TRAIN: 2}, loads_models=True)
def calls(reference_inputs):
    return [Call(BUILD), Call(TRAIN, (reference_inputs.get("neuron/initial"), CELSIUS, FAHRENHEIT))]


# -- build_neuron -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def neuron(returned):
    return load_returned_model(returned[BUILD], "build_neuron()'s result")


@check(points=1, after=runs(BUILD))
def test_build_returns_model(neuron):
    """build_neuron() returns a Keras model that can be loaded safely"""


@check(points=2, after=test_build_returns_model)
def test_one_unit_on_one_input(neuron):
    """the model is one Dense unit, without activation, on one input number"""
    dense = dense_layers(neuron)
    shape = input_shape(neuron)
    expected = "keras.Input(shape=(1,)) → Dense(1)"
    if shape is not None and shape != (1,):
        fail("The neuron should take one number: a temperature in Celsius.", expected="an input of shape (1,)",
             found=f"an input of shape {shape}", hint="Start the model with `keras.Input(shape=(1,))`.")
    if len(dense) > 1:
        fail("This model has a hidden layer: it is a small network, not one neuron.", expected=expected,
             found=describe_layers(neuron),
             hint="The formula F = 1.8 × C + 32 is a straight line, exactly what a single Dense(1) computes. "
                  "Keep only `keras.layers.Dense(1)`: one weight and one bias you can read afterwards.")
    if not dense:
        fail("The model has no Dense layer.", expected=expected, found=describe_layers(neuron),
             hint="A neuron is `keras.layers.Dense(1)`: it multiplies its input by a weight and adds a bias.")
    if dense[0].units != 1:
        fail(f"The Dense layer has {dense[0].units} units.", expected="Dense(1): one unit, one number out",
             found=describe_layers(neuron),
             hint="The model predicts one number, the temperature in Fahrenheit, so it needs one unit: "
                  "`keras.layers.Dense(1)` (the `units` argument counts outputs, not inputs).")
    others = [layer for layer in neuron.layers if layer not in dense and type(layer).__name__ != "InputLayer"]
    if others:
        fail("The model has layers besides the neuron.", expected=expected, found=describe_layers(neuron),
             hint="Keep only `keras.Input(shape=(1,))` and `keras.layers.Dense(1)`.")
    activation = activation_name(neuron, dense[0])
    if activation != "linear":
        fail(f"The neuron has a {activation} activation.", expected="Dense(1) without an activation",
             found=describe_layers(neuron),
             hint="F = 1.8 × C + 32 is a straight line, and −40 °C is −40 °F: an activation such as relu bends or "
                  "cuts the line (relu never outputs a negative number). Leave `activation` out.")
    if shape is None:
        fail("The model doesn't say what it takes as input.", expected=expected, found="no Input",
             hint="Start the model with `keras.Input(shape=(1,))`: one number per example.")


@check(points=2, after=test_build_returns_model)
def test_build_leaves_compiling_to_training(neuron):
    """build_neuron() leaves the model uncompiled: train_neuron compiles it"""
    expect_uncompiled(neuron, BUILD, TRAIN)


# -- train_neuron -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def history(returned) -> HistoryRecord:
    return returned[TRAIN]


@check(points=2, after=runs(TRAIN))
def test_returns_history(returned):
    """train_neuron() returns the History that model.fit returns"""
    expect_history(returned[TRAIN], TRAIN, returned_model_hint=(
        "You returned the model. Return what `model.fit(...)` returns instead: the History, which carries the "
        "trained model (`history.model`) and its loss epoch by epoch."))


@pytest.fixture(scope="module")
def trained(history):
    return trained_model_of(history, "the trained neuron")


@check(points=2, after=test_returns_history)
def test_regression_loss(trained):
    """the neuron is compiled with a regression loss such as the mean squared error"""
    loss = compiled_loss(trained)
    if loss is None:
        fail("The trained model has no loss.", expected="loss=\"mean_squared_error\"", found="no loss",
             hint=TRAIN_FIX)
    if not any(marker in loss.name for marker in CLASSIFICATION_MARKERS):
        return
    fail("The loss is one for classification, but the neuron predicts a number.",
         expected="a regression loss: mean_squared_error (or mean_absolute_error)", found=loss.name,
         hint="Cross-entropy compares predicted classes with labels 0, 1, 2…; a temperature is not a class. "
              "Predicting a number is regression: `loss=\"mean_squared_error\"` makes training shrink the "
              "squared distance between the predicted and the true Fahrenheit.")


def _weight_and_bias(model) -> tuple[float, float]:
    dense = dense_layers(model)
    if len(dense) != 1 or dense[0].units != 1:
        fail("The trained model is not the one-unit neuron the grader handed over.",
             expected="the neuron you were given: Dense(1)", found=describe_layers(model),
             hint="Compile and fit the `model` argument itself; don't build a new model inside train_neuron.")
    weights = dense[0].get_weights()
    bias = float(np.ravel(weights[1])[0]) if len(weights) > 1 else 0.0
    return float(np.ravel(weights[0])[0]), bias


def _formula(weight: float, bias: float) -> str:
    """``F = 1.79 × C + 30.6``; a diverged neuron's huge numbers in short scientific notation."""
    def number(value: float, digits: int) -> str:
        return f"{value:.{digits}f}" if abs(value) < 1e4 else f"{value:.3g}"

    return f"F = {number(weight, 2)} × C {'+' if bias >= 0 else '−'} {number(abs(bias), 1)}"


def _losses_text(losses: list[float]) -> str:
    return f"loss {losses[0]:.4g} after the first epoch, {losses[-1]:.4g} after the last ({len(losses)})"


def _diagnosis(losses: list[float]) -> tuple[str, str, str]:
    """(why, what was found, the likely fix) for a neuron that did not learn the formula."""
    if not losses or any(not math.isfinite(v) for v in losses):
        return ("Training diverged: the loss grew to NaN or infinity.",
                f"the loss epoch by epoch: {', '.join(f'{v:.4g}' for v in losses[:3])} … {losses[-1]:.4g}"
                if losses else "no loss at all",
                "The learning rate is far too large: every step overshoots, further each time. With inputs as large "
                "as 40, plain `\"sgd\"` (learning rate 0.01) already explodes. Use a smaller learning_rate, or "
                "`keras.optimizers.Adam(learning_rate=0.1)`, which scales its steps for you.")
    if losses[-1] > losses[0]:
        return ("Training diverged: the loss grew instead of shrinking.", _losses_text(losses),
                "The learning rate is too large: each step jumps past the minimum. Use a smaller learning_rate "
                "(Adam at 0.1 works well here).")
    earlier = losses[-1 - max(1, len(losses) // 10)] if len(losses) > 1 else losses[0]
    if losses[-1] < STILL_FALLING * earlier:
        return ("Training stopped while the loss was still falling: the neuron is only part of the way there.",
                _losses_text(losses),
                "Train longer: more epochs (the course uses 500; with seven examples each epoch is a single small "
                "step, so they are quick), or a somewhat larger learning rate.")
    return ("The loss stopped falling, but far from the formula.", _losses_text(losses),
            "Check that you fit `celsius` as the input and `fahrenheit` as the target, with the mean squared error; "
            "a very small learning rate can also stall: Adam at 0.1 works well here.")


@check(points=4, after=test_regression_loss)
def test_learned_formula(history, trained, artifacts):
    """the neuron learned F = 1.8 × C + 32 (weight within 0.1 of 1.8, bias within 4 of 32)"""
    weight, bias = _weight_and_bias(trained)
    losses = history.history.get("loss", [])
    if math.isfinite(weight) and math.isfinite(bias):
        artifacts.note(f"Learned: {_formula(weight, bias)}")
    artifacts.plot(draw_neuron, losses=losses, weight=weight, bias=bias, celsius=CELSIUS, fahrenheit=FAHRENHEIT,
                   filename="08_neuron.png")
    close = (math.isfinite(weight) and math.isfinite(bias) and abs(weight - WEIGHT) <= WEIGHT_TOLERANCE
             and abs(bias - BIAS) <= BIAS_TOLERANCE)
    if close:
        return
    why, found, hint = _diagnosis(losses)
    fail(why, expected=f"weight within {WEIGHT_TOLERANCE} of {WEIGHT} and bias within {BIAS_TOLERANCE:g} of {BIAS:g}",
         found=f"weight {weight:.4g}, bias {bias:.4g}; {found}", hint=hint)


def _loss_on_pairs(model) -> float:
    """``model``'s own compiled loss on the seven pairs, in one batch: what fit logs for an epoch."""
    measured = model.evaluate(CELSIUS, FAHRENHEIT, batch_size=len(CELSIUS), verbose=0, return_dict=True)
    return float(measured.get("loss", math.nan))


def _handed_neuron_loss(reference_inputs, trained) -> float | None:
    """The loss of the neuron the grader handed over, before any training, compiled as the learner compiled."""
    initial = reference_inputs.get("neuron/initial").load()
    try:
        initial.compile_from_config(trained.get_compile_config())
    except Exception:  # settings the grader can't rebuild: the trained model's own loss still says enough
        return None
    return _loss_on_pairs(initial)


@check(points=1, after=test_learned_formula)
def test_history_is_the_training(history, trained, reference_inputs):
    """the History records the neuron being trained: from the neuron handed over to the returned weights"""
    losses = history.history.get("loss", [])
    start, now = _handed_neuron_loss(reference_inputs, trained), _loss_on_pairs(trained)
    fix = ("Let training find the weight and bias: compile the neuron you were given and "
           "`return model.fit(celsius, fahrenheit, ...)`, without setting weights yourself.")
    if losses and start is not None and losses[0] < start / HISTORY_SLACK:
        fail("Training started from a neuron that already knew the formula, not from the one handed over.",
             expected="a first epoch whose loss is that of the untrained neuron you were given",
             found=f"a first loss of {losses[0]:.4g}, far below the untrained neuron's",
             hint=fix + " (Fit more than once? Return the History of one fit that starts from the neuron given.)")
    if losses and math.isfinite(now) and now < losses[-1] / HISTORY_SLACK:
        fail("The returned neuron is far better than its training ever got: its weights were set after fit.",
             expected="the weights fit ended with", found=f"a loss of {now:.4g} on the seven pairs (measured by the "
                                                          f"grader), after training ended at {losses[-1]:.4g}",
             hint=fix)


@check(points=2, after=test_learned_formula)
def test_predicts_boiling_point(trained):
    """the trained neuron predicts 100 °C as about 212 °F (asked by the grader)"""
    predicted = float(np.ravel(trained.predict(np.array([[BOILING_C]], dtype="float32"), verbose=0))[0])
    if math.isfinite(predicted) and abs(predicted - BOILING_F) <= BOILING_TOLERANCE:
        return
    fail("The neuron's answer for 100 °C is off.", expected=f"{BOILING_F:g} °F (± {BOILING_TOLERANCE:g})",
         found=f"{predicted:.1f} °F",
         hint="100 °C lies far beyond the seven training temperatures, so a small error in the weight grows "
              "there: train a little longer so the weight settles closer to 1.8.")


def draw_neuron(path: Path, losses: list[float], weight: float, bias: float, celsius: np.ndarray,
                fahrenheit: np.ndarray) -> Path:
    """Two panels: the loss epoch by epoch (log scale, it falls by orders of magnitude) and the learned line
    through the seven pairs, next to the true formula."""
    figure, (loss_axis, line_axis) = plots.pyplot().subplots(1, 2, figsize=(10, 3.8))
    finite = [(epoch, value) for epoch, value in enumerate(losses, start=1) if math.isfinite(value) and value > 0]
    if finite:
        loss_axis.plot(*zip(*finite), color="tab:blue")
        loss_axis.set_yscale("log")
    loss_axis.set_xlabel("epoch")
    loss_axis.set_ylabel("loss (mean squared error)")
    loss_axis.set_title("Loss per epoch")
    loss_axis.grid(alpha=0.3)
    span = np.linspace(-50, BOILING_C, 2)
    line_axis.plot(span, WEIGHT * span + BIAS, "--", color="gray", label="true: F = 1.8 × C + 32")
    if math.isfinite(weight) and math.isfinite(bias):
        line_axis.plot(span, weight * span + bias, color="tab:orange", label=f"learned: {_formula(weight, bias)}")
    line_axis.scatter(celsius, fahrenheit, color="tab:blue", zorder=3, label="the seven training pairs")
    line_axis.set_ylim(-100, 260)  # the true line's range: a diverged neuron's line leaves the picture
    line_axis.set_xlabel("°C")
    line_axis.set_ylabel("°F")
    line_axis.set_title("What the neuron learned")
    line_axis.grid(alpha=0.3)
    line_axis.legend(fontsize=8)
    return plots.save(figure, path)
