"""Exercise 11's named mistakes, each a learner-style file graded through the real grader.

Every check reports on its own, so one file carries a mistake in each function and one grading asserts them
all. Files whose loss or output layer is wrong never reach the grader's training (the learning check waits for
both), so only the last two tests train: a tiny network, and none at all for a network refused by its size.
"""

from __future__ import annotations

import pytest

from conftest import failure_text

RECIPE_LAYERS = ("keras.Input(shape=(28, 28)), keras.layers.Flatten(), "
                 "keras.layers.Dense(256, activation='relu'), keras.layers.Dropout(0.2), "
                 "keras.layers.Dense(256, activation='relu'), keras.layers.Dropout(0.2),")


def _check(report, name: str):
    return next(check for check in report.checks if check.name == name)


def _assert_named(report, failing: list[str], phrases: list[str]) -> str:
    for name in failing:
        check = _check(report, name)
        assert check.status == "failed", (name, check.status, check.message)
    assert not any(check.grader_fault for check in report.checks)
    text = failure_text(report)
    for phrase in phrases:
        assert phrase.lower() in text, (phrase, text)
    return text


def test_integer_rows_no_dropout_sparse_loss_and_acc_are_named(grade):
    report = grade("11", """
        import keras
        import numpy as np

        def one_hot(labels):
            return np.eye(10, dtype=int)[labels]

        def build_dropout_mlp():
            return keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                                     keras.layers.Dense(256, activation="relu"),
                                     keras.layers.Dense(256, activation="relu"),
                                     keras.layers.Dense(10, activation="softmax")])

        def compile_sgd(model):
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                          loss="sparse_categorical_crossentropy", metrics=["acc"])
            return model
        """)
    _assert_named(report, ["test_one_hot_shape_and_type", "test_dropout_after_each_hidden_layer",
                           "test_categorical_cross_entropy", "test_accuracy_metric"],
                  ["whole numbers, not floating point", "has no dropout",
                   "`sparse_categorical_crossentropy` takes integer labels", "spelled 'acc'", "'val_acc'"])
    assert _check(report, "test_softmax_output").passed and _check(report, "test_sgd_with_momentum").passed
    assert _check(report, "test_learns_mnist").status == "skipped"


def test_missing_num_classes_dropout_after_the_output_and_lr_are_named(grade):
    report = grade("11", f"""
        import keras

        def one_hot(labels):
            return keras.utils.to_categorical(labels)

        def build_dropout_mlp():
            return keras.Sequential([{RECIPE_LAYERS}
                                     keras.layers.Dense(10, activation="softmax"), keras.layers.Dropout(0.2)])

        def compile_sgd(model):
            model.compile(optimizer=keras.optimizers.SGD(lr=0.01, momentum=0.9),
                          loss="categorical_crossentropy", metrics=["accuracy"])
            return model
        """)
    _assert_named(report, ["test_one_hot_shape_and_type", "test_softmax_output", "test_compile_sgd_runs"],
                  ["rows 9 wide", "num_classes=10", "dropout comes after the output layer", "learning_rate="])
    assert any("`lr=` is the old name" in note for note in report.notes)
    assert _check(report, "test_dropout_after_each_hidden_layer").passed


def test_shifted_rows_no_softmax_zero_dropout_plain_sgd_and_private_keras_are_named(grade):
    report = grade("11", """
        import keras
        from tensorflow.python.keras.utils.np_utils import to_categorical

        def one_hot(labels):
            return to_categorical((labels + 1) % 10, 10)

        def build_dropout_mlp():
            return keras.Sequential([keras.Input(shape=(784,)),
                                     keras.layers.Dense(256, activation="relu"), keras.layers.Dropout(0.0),
                                     keras.layers.Dense(256, activation="relu"), keras.layers.Dropout(0.0),
                                     keras.layers.Dense(10)])

        def compile_sgd(model):
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="categorical_crossentropy",
                          metrics=["accuracy"])
            return model
        """)
    _assert_named(report, ["test_one_hot_rows", "test_softmax_output", "test_dropout_only_while_training",
                           "test_sgd_with_momentum"],
                  ["not at its label's position", "has no softmax", "drop nothing", "without momentum"])
    assert any("tensorflow.python.keras" in note for note in report.notes)
    assert _check(report, "test_input_and_output").passed  # (784,) is an input the recipe allows


@pytest.mark.parametrize("loss, labels, phrase", [
    ("sparse_categorical_crossentropy", "keras.utils.to_categorical([0, 1], num_classes=10)",
     "`sparse_categorical_crossentropy` expects integer labels"),
    ("categorical_crossentropy", "np.array([0, 1])", "`categorical_crossentropy` expects one-hot labels"),
])
def test_a_trial_fit_with_labels_that_dont_fit_the_loss_is_explained(loss, labels, phrase, grade):
    report = grade("11", f"""
        import keras
        import numpy as np

        def one_hot(labels):
            return keras.utils.to_categorical(labels, num_classes=10)

        def build_dropout_mlp():
            return keras.Sequential([{RECIPE_LAYERS} keras.layers.Dense(10, activation="softmax")])

        def compile_sgd(model):
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="{loss}",
                          metrics=["accuracy"])
            model.fit(np.zeros((2, 28, 28)), {labels}, verbose=0)  # a quick try before returning
            return model
        """)
    _assert_named(report, ["test_compile_sgd_runs"], [phrase])


def test_a_network_far_larger_than_the_recipe_is_refused_before_training(grade):
    report = grade("11", """
        import keras

        def one_hot(labels):
            return keras.utils.to_categorical(labels, num_classes=10)

        def build_dropout_mlp():
            return keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                                     keras.layers.Dense(2048, activation="relu"), keras.layers.Dropout(0.5),
                                     keras.layers.Dense(2048, activation="relu"), keras.layers.Dropout(0.5),
                                     keras.layers.Dense(10, activation="softmax")])

        def compile_sgd(model):
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                          loss="categorical_crossentropy", metrics=["accuracy"])
            return model
        """)
    _assert_named(report, ["test_learns_mnist"], ["far larger than this recipe needs", "5,824,522 weights"])
    assert [check.name for check in report.checks if not check.passed] == ["test_learns_mnist"]
    assert not report.notes  # refused before training: no accuracy was measured


def test_a_network_that_learns_too_slowly_fails_with_the_graders_measurement(grade):
    """A tiny network at a learning rate of 1e-4 stays far below 90% after two epochs; the (784,) input shows
    the grader feeds flattened images to a model that asks for them."""
    report = grade("11", """
        import keras

        def one_hot(labels):
            return keras.utils.to_categorical(labels, num_classes=10)

        def build_dropout_mlp():
            return keras.Sequential([keras.Input(shape=(784,)),
                                     keras.layers.Dense(32, activation="relu"), keras.layers.Dropout(0.2),
                                     keras.layers.Dense(32, activation="relu"), keras.layers.Dropout(0.2),
                                     keras.layers.Dense(10, activation="softmax")])

        def compile_sgd(model):
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-4, momentum=0.5),
                          loss="categorical_crossentropy", metrics=["accuracy"])
            return model
        """)
    _assert_named(report, ["test_learns_mnist"], ["doesn't learn mnist well enough", "learning rate"])
    assert [check.name for check in report.checks if not check.passed] == ["test_learns_mnist"]
    assert report.notes[0].startswith("Test accuracy measured by the grader: ")
    measured = float(report.notes[0].split(":")[1].split("%")[0])
    assert measured < 90
