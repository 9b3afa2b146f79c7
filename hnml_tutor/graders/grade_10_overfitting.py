"""Grader for 10 · Stop before it overfits: the best epoch read off a History, and EarlyStopping that keeps it.

``best_epoch`` is called on the grader's own histories, each built so that every common misreading (counted
from 0, the training loss, the validation accuracy, the last of tied minima) gives an answer of its own.
``train_with_early_stopping`` gets a network far too large for a thousand images, so it overfits within a
few epochs; the grader then measures the returned model on the held-out images itself and tells from which
epoch its weights come.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from hnml_tutor import plots
from hnml_tutor.graders.checks import check, learner_calls, runs
from hnml_tutor.graders.common import expect_history, expect_ran, trained_model_of
from hnml_tutor.graders.vocabulary import describe, fail
from hnml_tutor.sandbox import Call
from hnml_tutor.transport import HistoryRecord, Reference

BEST, TRAIN = "best_epoch", "train_with_early_stopping"
TRAINING_IMAGES = 1000  # few enough that the given network overfits within a few epochs
VALIDATION_FRACTION = 0.2
MAX_EPOCHS = 50
LEARNED = 0.8  # an honest best epoch's val_loss is far below this fraction of the untrained network's (about 2.3)
SAME_LOSS = 1e-4  # relative: Keras' validation pass and the grader's evaluate sum the same batches


@dataclass(frozen=True)
class GraderHistory:
    """A History.history of the grader's, and what it is built to tell apart."""

    about: str
    history: dict[str, list[float]]


# Each history's lowest val_loss sits where no misreading lands by chance: the training loss is lowest at
# the end, the validation accuracy peaks elsewhere, and counting from 0 is one off.
UNIQUE_MINIMUM = (
    GraderHistory("its lowest val_loss in the middle", {
        "loss": [1.21, 0.71, 0.52, 0.41, 0.33, 0.27, 0.22, 0.18, 0.15],
        "accuracy": [0.58, 0.74, 0.81, 0.85, 0.88, 0.90, 0.92, 0.94, 0.95],
        "val_loss": [0.92, 0.71, 0.60, 0.55, 0.57, 0.58, 0.63, 0.69, 0.74],
        "val_accuracy": [0.66, 0.74, 0.79, 0.80, 0.81, 0.83, 0.82, 0.81, 0.80],
    }),
    GraderHistory("its lowest val_loss at the first epoch", {
        "loss": [0.62, 0.41, 0.30, 0.22],
        "accuracy": [0.79, 0.86, 0.90, 0.93],
        "val_loss": [0.48, 0.51, 0.56, 0.64],
        "val_accuracy": [0.83, 0.84, 0.83, 0.82],
    }),
    GraderHistory("its lowest val_loss at the last epoch", {
        "loss": [0.95, 0.62, 0.49, 0.42, 0.37],
        "accuracy": [0.67, 0.78, 0.83, 0.85, 0.87],
        "val_loss": [0.74, 0.58, 0.52, 0.49, 0.47],
        "val_accuracy": [0.74, 0.80, 0.82, 0.84, 0.83],
    }),
    GraderHistory("extra keys, val_loss not first", {
        "val_accuracy": [0.71, 0.78, 0.80, 0.82, 0.81, 0.80],
        "learning_rate": [0.001, 0.001, 0.0005, 0.0005, 0.00025, 0.00025],
        "val_loss": [0.81, 0.62, 0.55, 0.57, 0.60, 0.66],
        "loss": [1.10, 0.64, 0.47, 0.39, 0.31, 0.26],
        "val_precision": [0.72, 0.79, 0.82, 0.83, 0.82, 0.81],
        "accuracy": [0.62, 0.77, 0.83, 0.86, 0.89, 0.91],
    }),
    GraderHistory("a real History.history of 9 epochs", {  # recorded from model.fit on Fashion-MNIST
        "accuracy": [0.57125, 0.75625, 0.82, 0.86125, 0.85875, 0.8875, 0.91625, 0.91375, 0.91625],
        "loss": [1.232436, 0.683755, 0.531036, 0.437748, 0.405611, 0.334866, 0.276224, 0.258949, 0.234875],
        "val_accuracy": [0.66, 0.755, 0.75, 0.82, 0.825, 0.805, 0.77, 0.775, 0.805],
        "val_loss": [0.868573, 0.687197, 0.661731, 0.543374, 0.504054, 0.558155, 0.591703, 0.551916, 0.564814],
    }),
)
TIED_MINIMUM = GraderHistory("two epochs sharing the lowest val_loss", {
    "loss": [1.02, 0.66, 0.51, 0.43, 0.36, 0.30, 0.25],
    "accuracy": [0.64, 0.76, 0.82, 0.85, 0.87, 0.89, 0.91],
    "val_loss": [0.83, 0.64, 0.55, 0.58, 0.55, 0.61, 0.67],
    "val_accuracy": [0.70, 0.77, 0.80, 0.82, 0.81, 0.80, 0.79],
})
HISTORIES = (*UNIQUE_MINIMUM, TIED_MINIMUM)


def lowest_val_loss_epoch(history: dict[str, list[float]]) -> int:
    """The grader's own answer: the first epoch, counted from 1, whose val_loss is the lowest."""
    losses = history["val_loss"]
    return losses.index(min(losses)) + 1


@dataclass(frozen=True)
class Misreading:
    """A way of reading a History that learners really use, the answer it gives, and what to say about it."""

    name: str
    answer: Callable[[dict], int]
    hint: str


MISREADINGS = (
    Misreading("an epoch counted from 0", lambda h: lowest_val_loss_epoch(h) - 1,
               "Epochs are counted from 1 in Keras' log (\"Epoch 1/50\"), but list positions from 0: add 1 to the "
               "position of the lowest val_loss."),
    Misreading("the epoch of the lowest training loss", lambda h: int(np.argmin(h["loss"])) + 1,
               "That is the epoch with the lowest *training* loss, which keeps falling while the model overfits. "
               "Read `history[\"val_loss\"]`: the loss on images the model never trained on."),
    Misreading("the epoch of the highest val_accuracy", lambda h: int(np.argmax(h["val_accuracy"])) + 1,
               "That is the epoch with the highest validation *accuracy*. The contract (and EarlyStopping's "
               "monitor=\"val_loss\") goes by the lowest validation *loss*: it also sees how confident the "
               "answers are, so it moves every epoch while accuracy on a few hundred images moves in steps."),
    Misreading("the last of the tied lowest values", lambda h: len(h["val_loss"]) - h["val_loss"][::-1].index(
        min(h["val_loss"])),
               "When several epochs share the lowest val_loss, take the first of them: training any longer gained "
               "nothing. `list.index(min(losses))` and `np.argmin` both return the first position; a loop with "
               "`<=` keeps moving to the last one."),
)


def _short(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


# -- what the grader calls ------------------------------------------------------------------------------

@learner_calls(points={BEST: 2, TRAIN: 2}, loads_models=True)
def calls(reference_inputs):
    images = reference_inputs.get("fashion/scaled").x_train[:TRAINING_IMAGES]
    labels = reference_inputs.data.y_train[:TRAINING_IMAGES]
    return [*(Call(BEST, (entry.history,)) for entry in HISTORIES),
            Call(TRAIN, (Reference("fashion/overfitting-mlp"), images, labels))]


@pytest.fixture(scope="module")
def training_data(reference_inputs):
    return (reference_inputs.get("fashion/scaled").x_train[:TRAINING_IMAGES],
            reference_inputs.data.y_train[:TRAINING_IMAGES])


# -- best_epoch -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def answers(run, filename, exercise) -> list:
    """best_epoch's answer for each of the grader's histories, in order; the learner's error if a call raised."""
    return [expect_ran(run, BEST, filename, exercise.id, occurrence=i) for i in range(len(HISTORIES))]


def _as_epoch(value) -> int | None:
    """A whole number the learner returned (5, np.int64(5), 5.0), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if float(value).is_integer() else None


def _expect_epochs(answers: list) -> list[int]:
    epochs = [_as_epoch(value) for value in answers]
    for value, epoch in zip(answers, epochs):
        if epoch is None:
            fail("best_epoch() should return an epoch number.", expected="a whole number such as 3",
                 found=describe(value),
                 hint="Return one int: the position of the lowest val_loss, plus 1 (e.g. `losses.index(min(losses)) + 1`).")
    return epochs


def _misreading_of(entries: tuple[GraderHistory, ...], epochs: list[int]) -> Misreading | None:
    """The misreading that gives every one of the learner's answers, if one does."""
    for misreading in MISREADINGS:
        if all(misreading.answer(entry.history) == epoch for entry, epoch in zip(entries, epochs)):
            return misreading
    return None


def _judge(entries: tuple[GraderHistory, ...], epochs: list[int]) -> None:
    wrong = [(entry, epoch) for entry, epoch in zip(entries, epochs) if epoch != lowest_val_loss_epoch(entry.history)]
    if not wrong:
        return
    entry, epoch = wrong[0]
    misreading = _misreading_of(entries, epochs) or _misreading_of((entry,), [epoch])
    expected = "the epoch, counted from 1, with the lowest val_loss (the first of equal lowest values)"
    found = (f"{epoch} for a History with {entry.about}, val_loss {_short(entry.history['val_loss'])}"
             + (f" ({len(wrong)} of {len(entries)} histories answered wrongly)" if len(wrong) > 1 else ""))
    if misreading is not None:
        fail(f"best_epoch() gives {misreading.name}.", expected=expected, found=found, hint=misreading.hint)
    fail("best_epoch() doesn't find the epoch with the lowest val_loss.", expected=expected, found=found,
         hint="Take `history[\"val_loss\"]` (one value per epoch), find the position of its smallest value and add 1.")


@check(points=4, after=runs(BEST))
def test_best_epoch_finds_lowest_val_loss(answers):
    """best_epoch finds the epoch of the lowest val_loss, counted from 1, in the grader's histories"""
    epochs = _expect_epochs(answers)
    _judge(UNIQUE_MINIMUM, epochs[:len(UNIQUE_MINIMUM)])


@check(points=2, after=test_best_epoch_finds_lowest_val_loss)
def test_best_epoch_takes_first_of_ties(answers):
    """best_epoch gives the first of several epochs sharing the lowest val_loss"""
    _judge((TIED_MINIMUM,), _expect_epochs(answers)[len(UNIQUE_MINIMUM):])


# -- train_with_early_stopping ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def history(returned) -> HistoryRecord:
    return returned[TRAIN]


@pytest.fixture(scope="module", autouse=True)
def curves_plot(run, artifacts):
    yield
    result = run.call(TRAIN) if run.ok else None
    if result is None or not isinstance(result.value, HistoryRecord):
        return
    record = result.value.history
    if len(record.get("loss", ())) and len(record.get("val_loss", ())) == len(record["loss"]):
        artifacts.plot(overfitting_curves, history=record, best=lowest_val_loss_epoch(record),
                       title="Training and validation loss: where overfitting starts", filename="10_overfitting.png")


def overfitting_curves(path: Path, history: dict[str, list[float]], best: int, title: str) -> Path:
    """Training and validation loss per epoch, the best epoch marked: the picture of overfitting."""
    figure, axis = plots.pyplot().subplots(figsize=(6, 3.8))
    epochs = np.arange(1, len(history["loss"]) + 1)
    axis.plot(epochs, history["loss"], "o-", label="training loss")
    axis.plot(epochs, history["val_loss"], "s--", label="validation loss")
    axis.axvline(best, color="tab:green", linestyle=":", label=f"best epoch ({best})")
    axis.plot([best], [history["val_loss"][best - 1]], "*", color="tab:green", markersize=14)
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss")
    axis.set_xticks(epochs)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.suptitle(title)
    return plots.save(figure, path)


@check(points=1, after=runs(TRAIN))
def test_returns_history_with_validation(history, artifacts):
    """train_with_early_stopping returns the History of a fit with validation"""
    expect_history(history, TRAIN)
    losses = history.history.get("val_loss", [])
    if not losses:
        fail("Training ran without validation data, so nothing could say when to stop.",
             expected="val_loss in the History", found=f"only {', '.join(history.history) or 'nothing'}",
             hint="Pass `validation_split=0.2` to model.fit: Keras then holds out the last 20% of the images and "
                  "measures the validation loss after every epoch.")
    best = lowest_val_loss_epoch(history.history)
    artifacts.note(f"Best epoch: {best} of {len(losses)} (val_loss {losses[best - 1]:.2f}).")


@check(points=3, after=test_returns_history_with_validation)
def test_stopped_early(history):
    """training stopped by itself, before the epochs it was allowed (at most 50)"""
    asked = history.params.get("epochs")
    ran = len(history.epoch)
    if isinstance(asked, int) and asked > MAX_EPOCHS:
        fail("fit was asked for more epochs than the exercise allows.", expected=f"epochs={MAX_EPOCHS} at most",
             found=f"epochs={asked}", hint=f"Give fit `epochs={MAX_EPOCHS}`: EarlyStopping ends training long before.")
    if not isinstance(asked, int) or ran < asked:
        return
    fail("Nothing stopped training: it ran every epoch it was asked for.",
         expected=f"fewer epochs than the {asked} fit was given", found=f"all {ran} epochs",
         hint="Pass `callbacks=[keras.callbacks.EarlyStopping(monitor=\"val_loss\", restore_best_weights=True)]` to "
              "fit. If you did, look at what it monitors: with monitor=\"loss\" it watches the *training* loss, "
              "which keeps falling while the model overfits, so it stops late or never. Overfitting shows in "
              "\"val_loss\".")


@pytest.fixture(scope="module")
def trained_model(history):
    return trained_model_of(history)


def _loss(model, images: np.ndarray, labels: np.ndarray) -> float:
    """The model's own compiled loss on ``images``: what fit reports as val_loss for them."""
    try:
        measured = model.evaluate(images, labels, verbose=0, return_dict=True)
    except Exception as error:  # a model the learner changed so it can't read the images
        fail("The trained model can't be evaluated on the images it was given.",
             found=f"the model raised {type(error).__name__} (details below)", details=str(error)[:1500],
             hint="Train the model you were given, on the x_train and y_train you were given, as they are.")
    return float(measured.get("loss", np.nan))


def _epochs_matching(loss: float, val_losses: list[float]) -> list[int]:
    """The epochs (from 1) whose val_loss is ``loss``: those whose weights the model may hold."""
    return [epoch for epoch, value in enumerate(val_losses, start=1)
            if abs(value - loss) <= SAME_LOSS * max(abs(value), 1e-3)]


@pytest.fixture(scope="module")
def held_out(training_data) -> tuple[np.ndarray, np.ndarray]:
    """The last 20% of the given images: what validation_split=0.2 holds out."""
    images, labels = training_data
    count = len(labels) - int(np.floor(len(labels) * (1.0 - VALIDATION_FRACTION)))
    return images[-count:], labels[-count:]


@pytest.fixture(scope="module")
def held_out_loss(trained_model, held_out) -> float:
    return _loss(trained_model, *held_out)


@pytest.fixture(scope="module")
def kept_epochs(held_out_loss, history) -> list[int]:
    """The epochs whose validation loss the returned model reproduces on the last 20% of the given images."""
    return _epochs_matching(held_out_loss, history.history["val_loss"])


@check(points=3, after=test_returns_history_with_validation)
def test_validation_is_last_fifth(history, trained_model, kept_epochs, training_data, reference_inputs):
    """the validation loss is measured on the last 20% of the given images (validation_split=0.2)"""
    if kept_epochs:
        return
    expected = "val_loss measured on the last 20% of the x_train you were given"
    val_losses = history.history["val_loss"]
    test_set = (reference_inputs.get("fashion/scaled").x_test, reference_inputs.data.y_test)
    if _epochs_matching(_loss(trained_model, *test_set), val_losses):
        fail("The validation loss comes from the test set.", expected=expected,
             found="val_loss equal to the model's loss on the Fashion-MNIST test set",
             hint="Choosing when to stop by the test set leaks it into training, and the test accuracy you report "
                  "afterwards is no longer honest. Validate on part of the training data: `validation_split=0.2`.")
    if _epochs_matching(_loss(trained_model, *training_data), val_losses):
        fail("The validation loss is measured on the images the model trains on.", expected=expected,
             found="val_loss equal to the model's loss on all the training images it learned from",
             hint="A model is always good on what it memorised, so this loss can't show overfitting. Use "
                  "`validation_split=0.2`: Keras then keeps the last 20% out of training.")
    fail("The validation loss doesn't come from the last 20% of the images you were given.", expected=expected,
         found="val_loss that matches no epoch of the returned model on those images",
         hint="Pass `validation_split=0.2` to `model.fit(x_train, y_train, ...)` with the arrays you were given, "
              "unshuffled, and train the model you were given.")


@check(points=3, after=(test_stopped_early, test_validation_is_last_fifth))
def test_keeps_best_weights(history, kept_epochs, held_out, held_out_loss, reference_inputs):
    """the returned model has the weights of the epoch with the lowest val_loss (restore_best_weights=True)"""
    # A History can be written by hand around a model that never trained: the grader's own measurement of the
    # untrained network is what an honest best epoch must beat.
    untrained = _loss(reference_inputs.get("fashion/overfitting-mlp"), *held_out)
    if not held_out_loss < LEARNED * untrained:
        fail("The returned model hasn't learned: on the held-out images it does no better than the untrained "
             "network.", expected="a validation loss well below the untrained network's",
             found=f"{held_out_loss:.3g}, measured by the grader (the untrained network: {untrained:.3g})",
             hint="Train the model you were given and return the History that `model.fit(...)` returns: "
                  "`callbacks=[keras.callbacks.EarlyStopping(monitor=\"val_loss\", restore_best_weights=True)]`.")
    record = history.history
    best = lowest_val_loss_epoch(record)
    if best in kept_epochs:
        return
    kept, last = kept_epochs[0], len(record["val_loss"])
    expected = f"the weights of the best epoch: its val_loss is the lowest of the {last}"
    found = f"the weights of epoch {kept} of {last}, whose val_loss is higher than the best epoch's"
    if kept == last:
        fail("The model kept the weights of its last epoch, not of its best one.", expected=expected,
             found=found + " (the last epoch)",
             hint="EarlyStopping stops *after* the validation loss got worse, so the last weights are already past "
                  "the best. Add `restore_best_weights=True` and it puts back the weights of the best epoch.")
    if "val_accuracy" in record and kept == int(np.argmax(record["val_accuracy"])) + 1:
        fail("EarlyStopping kept the epoch with the highest validation accuracy.", expected=expected,
             found=found + " (the highest val_accuracy)",
             hint="Use `monitor=\"val_loss\"`. Accuracy on a few hundred validation images moves in steps and "
                  "ignores how confident the answers are; the validation loss sees both, so it shows first when "
                  "the model starts to overfit.")
    if kept == int(np.argmin(record["loss"])) + 1:
        fail("EarlyStopping watched the training loss.", expected=expected,
             found=found + " (the lowest training loss)",
             hint="Use `monitor=\"val_loss\"`. The training loss keeps falling while the model memorises its "
                  "training images, so it picks a late, overfitted epoch; the validation loss rises as soon as "
                  "the model stops generalising.")
    fail("The model doesn't hold the weights of the epoch with the lowest val_loss.", expected=expected, found=found,
         hint="Use `keras.callbacks.EarlyStopping(monitor=\"val_loss\", restore_best_weights=True)`.")
