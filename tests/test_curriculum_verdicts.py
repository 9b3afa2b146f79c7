"""A hostile learner's trial of exercises 08–13: files that try to pass without doing the work, each graded
through the real grader, with the verdict the grader must give them.

Each file does as little as its trick needs: no full training, except where the trick is a network trained
elsewhere (11), which must score above the threshold for the trick to mean anything.
"""

from __future__ import annotations

import pytest

from conftest import failure_text


def _status(report) -> dict[str, str]:
    return {check.name: check.status for check in report.checks}


NEURON = """
    import keras
    import numpy as np

    def build_neuron():
        return keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])

    def train_neuron(model, celsius, fahrenheit):
        {body}
"""
FORMULA = "model.layers[-1].set_weights([np.array([[1.8]]), np.array([32.0])])"


@pytest.mark.parametrize("body, phrase", [
    (f"""{FORMULA}
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mean_squared_error")
        return model.fit(celsius, fahrenheit, epochs=1, verbose=0)""", "already knew the formula"),
    (f"""model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mean_squared_error")
        history = model.fit(celsius, fahrenheit, epochs=1, verbose=0)
        {FORMULA}
        return history""", "weights were set after fit"),
], ids=["set before fit", "set after fit"])
def test_a_neuron_given_the_formula_instead_of_trained_fails(body, phrase, grade):
    """Weights written in by hand pass every check of what was learned; the History gives them away."""
    report = grade("08", NEURON.format(body=body))
    status = _status(report)
    assert status.pop("test_history_is_the_training") == "failed"
    assert set(status.values()) == {"passed"}, status
    assert phrase in failure_text(report)


def test_a_load_model_that_hands_back_the_model_save_model_was_given_fails(grade):
    """load_model runs first, so a model kept from save_model's call can't stand in for reading the file."""
    report = grade("13", """
        _given = []

        def save_model(model, path):
            _given.append(model)
            model.save(path)

        def load_model(path):
            return _given[0]
        """)
    status = _status(report)
    assert status["test_load_model_runs"] == "failed"
    assert status["test_loaded_model_predicts_the_same"] == "skipped"
    assert status["test_saved_model_predicts_the_same"] == "passed"


def test_a_history_written_by_hand_around_an_untrained_model_fails(grade):
    """val_loss made up from the untouched model's own loss matches "an epoch" of it: the grader's measurement
    of the untrained network shows nothing was learned. np.int64 from best_epoch is an epoch like any int."""
    report = grade("10", """
        import keras
        import numpy as np

        def best_epoch(history):
            return np.argmin(history["val_loss"]) + 1

        def train_with_early_stopping(model, x_train, y_train):
            held = len(x_train) - int(len(x_train) * 0.8)
            loss = model.evaluate(x_train[-held:], y_train[-held:], verbose=0, return_dict=True)["loss"]
            history = keras.callbacks.History()
            history.set_model(model)
            history.history = {"loss": [1.0, 0.8, 0.7], "val_loss": [loss + 0.1, loss, loss + 0.05]}
            history.params = {"epochs": 50, "verbose": 0, "steps": 25}
            history.epoch = [0, 1, 2]
            return history
        """)
    status = _status(report)
    assert status.pop("test_keeps_best_weights") == "failed"
    assert set(status.values()) == {"passed"}, status
    assert "hasn't learned" in failure_text(report)


def test_a_network_trained_inside_build_dropout_mlp_earns_nothing_for_a_learning_rate_that_cannot_learn(grade):
    """Trained before it is returned, the network scores ~94% whatever compile_sgd chose; the grader trains a
    fresh copy, and at a learning rate of 1e-7 that copy learns nothing in 2 epochs."""
    report = grade("11", """
        import keras

        def one_hot(labels):
            return keras.utils.to_categorical(labels, num_classes=10)

        def build_dropout_mlp():
            model = keras.Sequential([
                keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                keras.layers.Dense(128, activation="relu"), keras.layers.Dropout(0.2),
                keras.layers.Dense(128, activation="relu"), keras.layers.Dropout(0.2),
                keras.layers.Dense(10, activation="softmax")])
            (x, y), _ = keras.datasets.mnist.load_data()
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
            model.fit(x[:20000] / 255.0, y[:20000], epochs=2, batch_size=128, verbose=0)
            return model

        def compile_sgd(model):
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-7, momentum=0.9),
                          loss="categorical_crossentropy", metrics=["accuracy"])
            return model
        """)
    status = _status(report)
    assert status.pop("test_learns_mnist") == "failed"
    assert set(status.values()) == {"passed"}, status
    measured = float(report.notes[0].split(":")[1].split("%")[0])
    assert measured < 50
