"""Grader for 05 · Train the model: fit with a validation split; the grader measures test accuracy itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hnml_tutor import plots
from hnml_tutor.graders.checks import check, learner_calls
from hnml_tutor.graders.common import load_returned_model
from hnml_tutor.graders.vocabulary import describe, fail
from hnml_tutor.sandbox import Call
from hnml_tutor.transport import HistoryRecord, ModelFile, Reference

FUNCTION = "train"


@learner_calls(points=2, loads_models=True)
def calls(reference_inputs):
    scaled = reference_inputs.get("mnist/scaled")
    return [Call(FUNCTION, (Reference("mlp/compiled"), scaled.x_train, reference_inputs.data.y_train))]


@pytest.fixture(scope="module")
def history(returned):
    return returned[FUNCTION]


@pytest.fixture(scope="module", autouse=True)
def curves_plot(run, artifacts):
    yield
    result = run.call(FUNCTION) if run.ok else None
    if result is not None and isinstance(result.value, HistoryRecord) and result.value.history.get("loss"):
        artifacts.plot(plots.training_curves, history=result.value.history,
                       title="Training and validation, epoch by epoch", filename="05_curves.png")


@check(points=2)
def test_returns_history(returned):
    """returns the History that model.fit returns"""
    value = returned[FUNCTION]
    if isinstance(value, HistoryRecord):
        return
    hint = "`return model.fit(...)`: fit returns a History with the loss of every epoch."
    if isinstance(value, ModelFile):
        hint = "You returned the model. Return what `model.fit(...)` returns instead: the History."
    fail("train() should return a History.", expected="a keras.callbacks.History", found=describe(value), hint=hint)


@check(points=3, after=test_returns_history)
def test_validation_split(history):
    """keeps part of the training data aside for validation"""
    if "val_loss" in history.history:
        return
    fail("Training ran without validation data.", expected="val_loss and val_accuracy in the History",
         found=f"only {', '.join(history.history) or 'nothing'}",
         hint="Pass `validation_split=0.1` to model.fit: 10% of the training data becomes a small exam the "
              "model never learns from.")


@check(points=3, after=test_returns_history)
def test_loss_falls(history):
    """the training loss falls from the first epoch to the last"""
    losses = history.history.get("loss", [])
    if any(not math.isfinite(v) for v in losses):
        fail("The loss became NaN or infinite: training diverged.", found=str(losses),
             hint="A learning rate far too high or unscaled inputs cause this.")
    if len(losses) < 2:
        fail("Only one epoch was trained, so the grader can't see the loss fall.",
             expected="at least 2 epochs", found=f"{len(losses)} epoch(s)", hint="Use e.g. `epochs=5`.")
    if losses[-1] < losses[0]:
        return
    fail("The training loss did not fall.", expected=f"last epoch below {losses[0]:.4f}",
         found=" → ".join(f"{v:.4f}" for v in losses),
         hint="Check the learning rate, and that x_train and y_train are passed in the right order.")


@check(points=10, after=test_returns_history)
def test_test_accuracy(history, reference_inputs, exercise, artifacts):
    """the trained model reaches the required accuracy on the test set (measured by the grader)"""
    model_file = history.model
    if model_file is None:
        fail("The History has no model attached, so the grader can't measure it.",
             hint="Return the History from `model.fit` on the model you were given.")
    model = load_returned_model(model_file, "the trained model")
    logits = np.asarray(model.predict(reference_inputs.get("mnist/scaled").x_test, verbose=0, batch_size=1024))
    accuracy = float((logits.argmax(axis=1) == reference_inputs.data.y_test).mean())
    threshold = exercise.threshold
    artifacts.note(f"Test accuracy measured by the grader: {accuracy:.2%} (required: {threshold:.0%}).")
    if accuracy >= threshold:
        return
    fail("The trained model is not accurate enough on the test set.", expected=f"at least {threshold:.1%}",
         found=f"{accuracy:.2%} (measured by the grader on 10,000 test images)",
         hint="Train for a few more epochs, or check that the loss fits the model (from_logits=True).")
