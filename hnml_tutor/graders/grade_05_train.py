"""Grader for 05 · Train the model: fit with a validation split; the grader measures test accuracy itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hnml_tutor import plots
from hnml_tutor.graders.checks import check, learner_calls
from hnml_tutor.graders.common import expect_accuracy, expect_history, trained_model_of
from hnml_tutor.graders.numeric import (held_out_size, softmax, sparse_cross_entropies, sparse_cross_entropy,
                                        suffix_means)
from hnml_tutor.graders.vocabulary import describe, fail
from hnml_tutor.sandbox import Call
from hnml_tutor.transport import HistoryRecord, Reference

FUNCTION = "train"
# validation_split values a learner writes (0.01 … 0.99, a third): the grader looks for the held-out tail
# each would give. Only these, so a tail that happens to score like other data can't be found by searching.
VALIDATION_FRACTIONS = tuple(sorted({i / 100 for i in range(1, 100)} | {1 / 3, 2 / 3}))
SAME_ACCURACY = 1e-5  # Keras averages in float32
SAME_LOSS = 1e-4  # relative: Keras' batches and ours sum in a different order


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
    expect_history(returned[FUNCTION], FUNCTION)


@pytest.fixture(scope="module")
def trained_model(history):
    return trained_model_of(history)


def _scores(model, images: np.ndarray) -> np.ndarray:
    """The trained model's (N, 10) outputs for ``images``; a model that can't give them is the learner's to fix."""
    try:
        outputs = model.predict(images, verbose=0, batch_size=2048)
    except Exception as error:  # e.g. a model of the learner's own that takes flattened images
        fail("The trained model can't classify the 28×28 training and test images.",
             expected="(N, 10) scores for N images of 28×28", found=f"the model raised {type(error).__name__} "
             "(details below)", details=str(error)[:1500],
             hint="Train the model you were given, on the x_train and y_train you were given, as they are.")
    if not isinstance(outputs, np.ndarray) or outputs.ndim != 2 or outputs.shape[0] != len(images):
        fail("The trained model doesn't give one row of scores per image.",
             expected="(N, 10) scores for N images", found=describe(outputs),
             hint="Train the model you were given: it ends in Dense(10), one score per digit.")
    return np.asarray(outputs, dtype=np.float64)


def _accuracy_key(history: dict) -> str | None:
    """The History's validation accuracy, whatever the metric was called (val_accuracy, val_acc…)."""
    return next((key for key in history if key.startswith("val_") and "acc" in key), None)


def _matches_held_out_tail(model, x_train, y_train, history: dict) -> bool:
    """Whether some epoch's validation figures are the model's own on the last part of the given data.

    The model is the one fit returned, so the epoch it ended on (or the best one, with
    restore_best_weights) must reproduce its validation loss and accuracy on the tail that
    ``validation_split`` held out. Tails are screened cheaply (accuracy, or a NumPy cross-entropy), and only
    the few left are confirmed with the model's own compiled loss.
    """
    outputs = _scores(model, x_train)
    correct = suffix_means(outputs.argmax(axis=1) == y_train)
    entropy = suffix_means(sparse_cross_entropies(softmax(outputs), y_train))
    accuracy_key = _accuracy_key(history)
    losses = history["val_loss"]
    accuracies = history[accuracy_key] if accuracy_key else [None] * len(losses)
    sizes = sorted({held_out_size(len(y_train), fraction) for fraction in VALIDATION_FRACTIONS} - {0, len(y_train)})
    confirmed: dict[int, float] = {}
    for size in sizes:
        for loss, accuracy in zip(losses, accuracies):
            screened = (abs(correct[size - 1] - accuracy) <= SAME_ACCURACY if accuracy is not None
                        else abs(entropy[size - 1] - loss) <= 0.05 * abs(loss))
            if not screened:
                continue
            if size not in confirmed:
                measured = model.evaluate(x_train[-size:], y_train[-size:], verbose=0, batch_size=1024,
                                          return_dict=True)
                confirmed[size] = float(measured.get("loss", math.nan))
            if abs(confirmed[size] - loss) <= SAME_LOSS * max(abs(loss), 1e-3):
                return True
    return False


def _where_validation_came_from(model, history: dict, reference_inputs, x_train, y_train) -> str | None:
    """'training' or 'test' when the last epoch's validation figures are the model's on that whole set."""
    accuracy_key = _accuracy_key(history)
    sets = {"training": (x_train, y_train),
            "test": (reference_inputs.get("mnist/scaled").x_test, reference_inputs.data.y_test)}
    for name, (images, labels) in sets.items():
        outputs = _scores(model, images)
        if accuracy_key is not None:
            same = abs(float((outputs.argmax(axis=1) == labels).mean()) - history[accuracy_key][-1]) <= SAME_ACCURACY
        else:
            loss = history["val_loss"][-1]
            same = abs(sparse_cross_entropy(softmax(outputs), labels) - loss) <= 1e-3 * max(abs(loss), 1e-3)
        if same:
            return name
    return None


@check(points=3, after=test_returns_history)
def test_validation_split(history, trained_model, reference_inputs):
    """keeps part of the training data it was given aside for validation"""
    if "val_loss" not in history.history:
        fail("Training ran without validation data.", expected="val_loss and val_accuracy in the History",
             found=f"only {', '.join(history.history) or 'nothing'}",
             hint="Pass `validation_split=0.1` to model.fit: 10% of the training data becomes a small exam the "
                  "model never learns from.")
    x_train, y_train = reference_inputs.get("mnist/scaled").x_train, reference_inputs.data.y_train
    if _matches_held_out_tail(trained_model, x_train, y_train, history.history):
        return
    expected = "validation figures measured on a held-out part of the x_train you were given"
    source = _where_validation_came_from(trained_model, history.history, reference_inputs, x_train, y_train)
    if source == "training":
        fail("The validation figures are those of the data the model trained on.", expected=expected,
             found="val_loss and accuracy equal the model's on all the training data it learned from",
             hint="Validating on the training data (`validation_data=(x_train, y_train)`) can't show overfitting: "
                  "the model has seen every answer. Use `validation_split=0.1` so Keras holds the last 10% out "
                  "of training.")
    if source == "test":
        fail("The validation figures come from the test set.", expected=expected,
             found="val_loss and accuracy equal the model's on the MNIST test set",
             hint="Keep the test set for the final measurement (step 06): choosing epochs or settings by it "
                  "leaks it into training. Validate on part of the training data you were given: "
                  "`validation_split=0.1`.")
    fail("The validation figures don't come from a held-out part of the training data you were given.",
         expected=expected, found="val_loss and accuracy that match no held-out part of x_train, y_train",
         hint="Pass `validation_split=0.1` to `model.fit(x_train, y_train, ...)` with the arrays you were given, "
              "unshuffled: Keras then holds out their last 10% and measures the model on it after every epoch.")


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
def test_test_accuracy(trained_model, reference_inputs, exercise, artifacts):
    """the trained model reaches the required accuracy on the test set (measured by the grader)"""
    logits = _scores(trained_model, reference_inputs.get("mnist/scaled").x_test)
    accuracy = float((logits.argmax(axis=1) == reference_inputs.data.y_test).mean())
    expect_accuracy(accuracy, exercise, artifacts, problem="The trained model is not accurate enough on the test set.",
                    measured_on="10,000 test images",
                    hint="Train for a few more epochs, or check that the loss fits the model (from_logits=True).")
