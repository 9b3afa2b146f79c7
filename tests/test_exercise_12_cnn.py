"""12 · A convolutional network: the mistakes learners make, each in a learner-style file graded by the real grader.

Training a CNN on all 60,000 images takes tens of seconds, so no file here does: each one's build_cnn
carries one mistake and its train_cnn another, found before training or after a single epoch on a few
hundred images. The reference solution's full training is graded by test_solutions_and_stubs.py.
"""

from __future__ import annotations

from conftest import failure_text

# The layers of the reference CNN, written by a learner inside train_cnn: same layers, new weights.
REFERENCE_LAYERS = """[
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(), keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)]"""
COMPILE = """model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])"""


def _status(report) -> dict[str, str]:
    return {check.name: check.status for check in report.checks}


def _grader_is_fault_free(report) -> None:
    for check in report.checks:
        assert check.status in ("passed", "failed", "skipped"), (check.name, check.message, check.details)
        assert not check.grader_fault and "unexpectedly" not in (check.message or ""), (check.name, check.details)


def test_missing_channel_axis_and_too_little_training(grade, tmp_path):
    """Input((28, 28)) makes Conv2D raise; the fix is named. A train_cnn that trains the given model too
    little fails the accuracy the grader measures, shows it first, and draws the model's mistakes."""
    report = grade("12", f"""
        import keras
        def build_cnn():
            return keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Conv2D(16, 3, activation="relu"),
                                     keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(10)])
        def train_cnn(model, x_train, y_train):
            {COMPILE}
            return model.fit(x_train[:600], y_train[:600], epochs=1, batch_size=64, verbose=0)
        """)
    _grader_is_fault_free(report)
    status, text = _status(report), failure_text(report)
    assert status["test_build_cnn_runs"] == "failed"
    assert "keras.input(shape=(28, 28, 1))" in text and "x[..., none]" in text, text
    assert status["test_trains_the_given_model"] == "passed"
    assert status["test_test_accuracy"] == "failed" and status["test_beats_the_dense_network"] == "skipped"
    assert report.notes[0].startswith("Test accuracy measured by the grader: ")
    assert [path.name for path in report.plots] == ["12_misclassified.png"]
    assert (tmp_path / "plots" / "12_misclassified.png").stat().st_size > 0


def test_no_pooling_and_returning_the_model(grade):
    """A CNN without pooling is named with its cost; train_cnn returning the model, not the History, is named."""
    report = grade("12", f"""
        import keras
        def build_cnn():
            return keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Conv2D(32, 3, activation="relu"),
                                     keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.Flatten(),
                                     keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)])
        def train_cnn(model, x_train, y_train):
            {COMPILE}
            model.fit(x_train[:300], y_train[:300], epochs=1, verbose=0)
            return model
        """)
    _grader_is_fault_free(report)
    status, text = _status(report), failure_text(report)
    assert status["test_convolution_and_pooling"] == "failed"
    assert "maxpooling2d" in text and "36,864 numbers per image" in text, text
    assert status["test_input_has_channel_axis"] == status["test_ten_outputs"] == "passed"
    assert status["test_returns_history"] == "failed" and "you returned the model" in text, text


def test_wrong_output_compiled_and_a_new_model_of_the_same_layers(grade):
    """Dense(1) at the end and a compiled build_cnn are named; a train_cnn that builds its own model with the
    reference's very layers is caught by its weights, which did not start from the given ones."""
    report = grade("12", f"""
        import keras
        def build_cnn():
            model = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Conv2D(16, 3, activation="relu"),
                                      keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(1)])
            model.compile(optimizer="adam", loss="mse")
            return model
        def train_cnn(model, x_train, y_train):
            model = keras.Sequential({REFERENCE_LAYERS})
            {COMPILE}
            return model.fit(x_train[:300], y_train[:300], epochs=1, verbose=0)
        """)
    _grader_is_fault_free(report)
    status, text = _status(report), failure_text(report)
    assert status["test_ten_outputs"] == "failed" and "dense(10)" in text, text
    assert status["test_left_uncompiled"] == "failed" and "remove the `model.compile(...)` call from build_cnn" in text, text
    assert status["test_returns_history"] == "passed"
    assert status["test_trains_the_given_model"] == "failed" and "did not start from the given ones" in text, text
    assert status["test_test_accuracy"] == "skipped"


def test_channels_first_and_flattened_training_data(grade):
    """Input((1, 28, 28)), PyTorch's order, is named; so is a train_cnn that hands the CNN flattened images."""
    report = grade("12", f"""
        import keras
        def build_cnn():
            return keras.Sequential([keras.Input(shape=(1, 28, 28)), keras.layers.Conv2D(16, 3, activation="relu"),
                                     keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(10)])
        def train_cnn(model, x_train, y_train):
            {COMPILE}
            return model.fit(x_train.reshape(-1, 784)[:300], y_train[:300], epochs=1, verbose=0)
        """)
    _grader_is_fault_free(report)
    status = _status(report)
    build, train = (next(c for c in report.checks if c.name == name) for name in ("test_build_cnn_runs", "test_train_cnn_runs"))
    assert status["test_build_cnn_runs"] == "failed" and "not (1, 28, 28)" in build.hint, build.hint
    assert status["test_train_cnn_runs"] == "failed" and "x.reshape(-1, 28, 28, 1)" in (train.hint or ""), train.details
