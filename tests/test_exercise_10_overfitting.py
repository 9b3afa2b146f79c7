"""Exercise 10's named mistakes, each a learner-style file graded through the real grader.

Misreadings of a History cost no training (train_with_early_stopping is left as its TODO). The EarlyStopping
mistakes train the grader's overfitting network for a few epochs each; the run without EarlyStopping asks fit
for 4 epochs instead of 50, which takes the same path ("ran every epoch it was asked for") in a tenth of the time.
"""

from __future__ import annotations

import pytest

from conftest import failure_text
from hnml_tutor.defaults import DEFAULT_SEED

BEST_ONLY = """
    def train_with_early_stopping(model, x_train, y_train):
        raise NotImplementedError("TODO")

    def best_epoch(history):
    {body}
    """

MISREADINGS = {
    "counted from 0": ("""
        losses = history["val_loss"]
        return losses.index(min(losses))
    """, "test_best_epoch_finds_lowest_val_loss", ["counted from 1", "add 1"]),
    "training loss": ("""
        losses = history["loss"]
        return losses.index(min(losses)) + 1
    """, "test_best_epoch_finds_lowest_val_loss", ["lowest training loss", "val_loss"]),
    "highest val_accuracy": ("""
        import numpy as np
        return int(np.argmax(history["val_accuracy"])) + 1
    """, "test_best_epoch_finds_lowest_val_loss", ["highest val_accuracy", "validation *loss*"]),
    "last of tied minima": ("""
        best = 0
        for epoch, loss in enumerate(history["val_loss"]):
            if loss <= history["val_loss"][best]:
                best = epoch
        return best + 1
    """, "test_best_epoch_takes_first_of_ties", ["last of the tied", "first of them"]),
}


def _check(report, name: str):
    return next(check for check in report.checks if check.name == name)


@pytest.mark.parametrize("name", MISREADINGS)
def test_a_misread_history_is_named(name, grade):
    body, failing, phrases = MISREADINGS[name]
    report = grade("10", BEST_ONLY.format(body=body.replace("\n", "\n    ")))
    assert _check(report, failing).status == "failed"
    text = failure_text(report)
    for phrase in phrases:
        assert phrase.lower() in text, (phrase, text)
    assert "the first of equal lowest" in text  # what is expected, said in words: no epoch number to copy


def test_a_number_that_is_not_an_epoch_is_the_learners_failure(grade):
    report = grade("10", BEST_ONLY.format(body="""
        return min(history["val_loss"])
    """.replace("\n", "\n    ")))
    check = _check(report, "test_best_epoch_finds_lowest_val_loss")
    assert check.status == "failed" and "whole number" in check.expected


TRAINING = """
    import keras

    def best_epoch(history):
        losses = history["val_loss"]
        return losses.index(min(losses)) + 1

    def train_with_early_stopping(model, x_train, y_train):
        {body}
    """


def _train(grade, body: str):
    return grade("10", TRAINING.format(body=body.strip()))


def test_early_stopping_without_restoring_keeps_the_last_epoch(grade, tmp_path):
    report = _train(grade, """
        stop = keras.callbacks.EarlyStopping(monitor="val_loss")
        return model.fit(x_train, y_train, epochs=50, validation_split=0.2, callbacks=[stop], verbose=0)
    """)
    assert _check(report, "test_stopped_early").passed and _check(report, "test_validation_is_last_fifth").passed
    assert _check(report, "test_keeps_best_weights").status == "failed"
    text = failure_text(report)
    assert "last epoch" in text and "restore_best_weights=true" in text
    assert report.notes[0].startswith("Best epoch: ") and " of " in report.notes[0]
    assert [path.name for path in report.plots] == ["10_overfitting.png"] and report.plots[0].is_file()


# On some seeds the epoch of the highest val_accuracy is also the one of the lowest val_loss: that run is then
# exactly what monitor="val_loss" would have done, and passes. Seed 2 is one where the two part.
@pytest.mark.parametrize("monitor, seed, phrases", [
    ("val_accuracy", 2, ["highest validation accuracy", 'monitor="val_loss"']),
    ("loss", DEFAULT_SEED, ["watched the training loss", 'monitor="val_loss"']),
])
def test_early_stopping_that_watches_another_figure_is_named(monitor, seed, phrases, grade):
    report = grade("10", TRAINING.format(body=f"""
        stop = keras.callbacks.EarlyStopping(monitor="{monitor}", restore_best_weights=True)
        return model.fit(x_train, y_train, epochs=50, validation_split=0.2, callbacks=[stop], verbose=0)
    """.strip()), seed=seed)
    assert _check(report, "test_keeps_best_weights").status == "failed"
    text = failure_text(report)
    for phrase in phrases:
        assert phrase.lower() in text, (phrase, text)


def test_training_that_nothing_stops_is_named(grade):
    report = _train(grade, """
        return model.fit(x_train, y_train, epochs=4, validation_split=0.2, verbose=0)
    """)
    assert _check(report, "test_stopped_early").status == "failed"
    assert _check(report, "test_keeps_best_weights").status == "skipped"
    text = failure_text(report)
    assert "nothing stopped training" in text and "earlystopping" in text and 'monitor="loss"' in text


def test_validation_on_the_test_set_is_named(grade):
    report = _train(grade, """
        (_, _), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
        stop = keras.callbacks.EarlyStopping(monitor="val_loss", restore_best_weights=True)
        return model.fit(x_train, y_train, epochs=50, validation_data=(x_test.astype("float32") / 255.0, y_test),
                         callbacks=[stop], verbose=0)
    """)
    assert _check(report, "test_validation_is_last_fifth").status == "failed"
    assert _check(report, "test_keeps_best_weights").status == "skipped"
    assert "comes from the test set" in failure_text(report)
