"""08 · One neuron: each named mistake, in a learner-style file graded by the real grader.

Every file trains briefly (the mistakes are named whatever the accuracy) and carries a build_neuron mistake
as well as a train_neuron one, since the two functions are graded on their own: one grading checks both.
The course's own recipe (Adam 0.1, 500 epochs) is the reference solution, proven by
test_solutions_and_stubs under both launchers.
"""

from __future__ import annotations

import pytest

NEURON = """
    import keras

    def build_neuron():
        {build}

    def train_neuron(model, celsius, fahrenheit):
        {train}
"""

MISTAKES = {
    "too few epochs, and a hidden layer": (
        "return keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(4), keras.layers.Dense(1)])",
        """model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mean_squared_error")
        return model.fit(celsius, fahrenheit, epochs=40, verbose=0)""",
        {"test_learned_formula": ["still falling", "train longer", "500"],
         "test_one_unit_on_one_input": ["hidden layer", "dense(1)"]}),
    "a learning rate that diverges, and two units": (
        "return keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(2)])",
        """model.compile(optimizer="sgd", loss="mean_squared_error")
        return model.fit(celsius, fahrenheit, epochs=20, verbose=0)""",
        {"test_learned_formula": ["diverged", "nan or infinity", "smaller learning_rate"],
         "test_one_unit_on_one_input": ["2 units", "dense(1)"]}),
    "lr= of old tutorials, and a model compiled already": (
        """model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mean_squared_error")
        return model""",
        """model.compile(optimizer=keras.optimizers.Adam(lr=0.1), loss="mean_squared_error")
        return model.fit(celsius, fahrenheit, epochs=5, verbose=0)""",
        {"test_train_neuron_runs": ["learning_rate="],
         "test_build_leaves_compiling_to_training": ["compiled model", "train_neuron compiles it"]}),
    "returns the model, and a relu activation": (
        "return keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1, activation='relu')])",
        """model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mean_squared_error")
        model.fit(celsius, fahrenheit, epochs=5, verbose=0)
        return model""",
        {"test_returns_history": ["you returned the model", "history"],
         "test_one_unit_on_one_input": ["relu", "negative"]}),
    "sparse categorical cross-entropy (the neuron built as the course writes it)": (
        "return keras.Sequential([keras.layers.Dense(units=1, input_shape=[1])])",
        """model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model.fit(celsius, fahrenheit, epochs=5, verbose=0)""",
        {"test_train_neuron_runs": ["classification loss", "mean_squared_error"]}),
    "binary cross-entropy": (
        "return keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])",
        """model.compile(optimizer="adam", loss="binary_crossentropy")
        return model.fit(celsius, fahrenheit, epochs=5, verbose=0)""",
        {"test_regression_loss": ["classification", "binary_crossentropy", "mean_squared_error"]}),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_a_named_mistake_is_explained(grade, name):
    build, train, expected = MISTAKES[name]
    report = grade("08", NEURON.format(build=build, train=train))
    failed = {check.name: check for check in report.checks if check.status == "failed"}
    assert set(expected) <= set(failed), (name, sorted(failed))
    assert not [check.name for check in report.checks if check.status == "error"], "a learner's mistake, not the grader's"
    if "as the course writes it" in name:  # Dense(units=1, input_shape=[1]) still builds one neuron in Keras 3
        passed = {check.name for check in report.checks if check.status == "passed"}
        assert {"test_one_unit_on_one_input", "test_build_leaves_compiling_to_training"} <= passed
    for check_name, phrases in expected.items():
        check = failed[check_name]
        words = " ".join(filter(None, [check.message, check.expected, check.found, check.hint])).lower()
        assert all(phrase in words for phrase in phrases), (name, check_name, words)
    if "test_learned_formula" in expected:  # the loss curve and the line are drawn for a failed formula too
        assert [path.name for path in report.plots] == ["08_neuron.png"]
    if name.startswith("too few epochs"):
        assert report.notes[0].startswith("Learned: F = ") and " × C " in report.notes[0]
