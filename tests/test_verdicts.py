"""Wrong verdicts an honest learner found: each is a learner-style file graded through the real grader.

False passes (a hard-coded accuracy, validation on the wrong data, a new model instead of the given one,
min-max scaling) must fail and say why; correct code (the metric function, SparseCategoricalAccuracy) must
pass; structures and values the grader cannot use are the learner's failure with a reason, never a grader
error or a crash of the tutor.
"""

from __future__ import annotations

import re

import pytest

from conftest import failure_text

COMPILED = """
    import keras
    def compile_model(model):
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=[METRIC])
        return model
    """


def _check(report, name: str):
    return next(check for check in report.checks if check.name == name)


def _no_grader_fault(report) -> None:
    """Whatever the learner returned, every check is the learner's pass, fail or skip: never the grader's."""
    for check in report.checks:
        assert check.status in ("passed", "failed", "skipped"), (check.name, check.message, check.details)
        assert not check.grader_fault, (check.name, check.message, check.details)
        assert "unexpectedly" not in (check.message or ""), (check.name, check.details)
        assert "instructor" not in " ".join(filter(None, (check.message, check.hint))).lower(), check.name


# -- 06 · evaluate --------------------------------------------------------------------------------------

def test_a_hard_coded_accuracy_fails_and_the_feedback_gives_nothing_to_copy(grade):
    honest = grade("06", """
        def evaluate(model, x_test, y_test):
            accuracy = float(model.evaluate(x_test, y_test, verbose=0)[1])
            print("measured", accuracy)
            return accuracy
        """)
    assert honest.passed, failure_text(honest)
    measured = [float(value) for value in re.findall(r"measured ([0-9.]+)", honest.learner_output)]
    assert len(measured) >= 2 and max(measured) - min(measured) > 0.2, "two models that score clearly apart"

    fixed = grade("06", """
        def evaluate(model, x_test, y_test):
            return 0.97
        """)
    assert not fixed.passed
    text = failure_text(fixed)
    assert "same number" in text, text
    shown = {float(number) for number in re.findall(r"\d*\.\d+", text)} - {0.97}
    copyable = [number for number in shown for accuracy in measured if abs(number - accuracy) <= 2e-3]
    assert not copyable, f"the feedback shows a number that passes when copied: {copyable}\n{text}"


# -- 05 · train -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("validation, phrase", [
    ("validation_data=(x_train, y_train)", "trained on"),
    ("validation_data=_test_set()", "test set"),
])
def test_validation_on_the_wrong_data_fails(validation, phrase, grade):
    report = grade("05", f"""
        import keras
        def _test_set():
            (_, _), (x_test, y_test) = keras.datasets.mnist.load_data()
            return x_test.astype("float32") / 255.0, y_test
        def train(model, x_train, y_train):
            return model.fit(x_train, y_train, epochs=1, batch_size=1024, {validation}, verbose=0)
        """)
    check = _check(report, "test_validation_split")
    assert check.status == "failed", (check.message, check.found)
    assert phrase in failure_text(report)
    _no_grader_fault(report)


def test_any_validation_split_of_the_given_data_passes(grade):
    report = grade("05", """
        def train(model, x_train, y_train):
            return model.fit(x_train, y_train, epochs=1, batch_size=1024, validation_split=0.17, verbose=0)
        """)
    check = _check(report, "test_validation_split")
    assert check.status == "passed", (check.message, check.found, check.hint)


# -- 04 · compile ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("make_new", [
    "keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),"
    " keras.layers.Dense(128, activation='relu'), keras.layers.Dense(10)])",
    "keras.models.clone_model(model)",
])
def test_compile_must_return_the_model_it_was_given(make_new, grade):
    report = grade("04", f"""
        import keras
        def compile_model(model):
            new = {make_new}
            new.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                        metrics=["accuracy"])
            return new
        """)
    assert not report.passed
    check = _check(report, "test_returns_the_given_model")
    assert check.status == "failed"
    assert "the model it was given" in failure_text(report)


@pytest.mark.parametrize("metric", [
    "keras.metrics.sparse_categorical_accuracy",
    "keras.metrics.SparseCategoricalAccuracy()",
    "'sparse_categorical_accuracy'",
])
def test_every_spelling_of_sparse_accuracy_passes_compile(metric, grade):
    report = grade("04", COMPILED.replace("METRIC", metric))
    assert report.passed, failure_text(report)


@pytest.mark.parametrize("metrics", ["[keras.metrics.sparse_categorical_accuracy]", "[]"])
def test_training_after_recompiling_validates_whatever_the_metrics(metrics, grade):
    report = grade("05", f"""
        import keras
        def train(model, x_train, y_train):
            model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          metrics={metrics})
            return model.fit(x_train, y_train, epochs=1, batch_size=1024, validation_split=0.1, verbose=0)
        """)
    for name in ("test_runs", "test_returns_history", "test_validation_split"):
        assert _check(report, name).status == "passed", failure_text(report)


# -- 02 · preprocess ------------------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "return images.astype('float32') / images.max()",
    "images = images.astype('float32')\n    return (images - images.min()) / (images.max() - images.min())",
])
def test_scaling_by_the_batch_fails_on_a_dim_batch(source, grade):
    report = grade("02", f"def preprocess(images):\n    {source}\n")
    assert not report.passed
    check = _check(report, "test_divides_by_255_in_every_batch")
    assert check.status == "failed"
    assert "divide by 255, not by the largest value in the batch" in failure_text(report)


# -- 01 · load_data -------------------------------------------------------------------------------------

@pytest.mark.parametrize("grouping, phrase", [
    ("(x_train, x_test), (y_train, y_test)", "(x_train, y_train), (x_test, y_test)"),
    ("x_train, y_train, x_test, y_test", "four arrays"),
    ("(x_train, y_train, x_test, y_test), ()", "(x_train, y_train), (x_test, y_test)"),
    ("(y_train, x_train), (y_test, x_test)", "images first"),
])
def test_pairs_grouped_wrongly_fail_naming_the_structure(grouping, phrase, grade):
    report = grade("01", f"""
        import keras
        def load_data():
            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
            return {grouping}
        """)
    assert not report.passed
    assert _check(report, "test_returns_two_pairs").status == "failed"
    assert phrase.lower() in failure_text(report)
    _no_grader_fault(report)


# -- values no grader can use ---------------------------------------------------------------------------

ODD_VALUES = {
    "deeply nested list": "[[[[[[[[[[[[0.5]]]]]]]]]]]]",
    "dict": "{'accuracy': 0.97, 'loss': 0.1}",
    "string": "'0.97'",
    "object array": "np.array([1, 'a', None], dtype=object)",
    "ragged list": "[[1, 2, 3], [4]]",
    "complex number": "1 + 2j",
    "complex array": "np.ones((500, 10), dtype=complex)",
    "NaN array": "np.full((500, 10), np.nan)",
    "string array": "np.full((500, 10), 'x')",
    "empty array": "np.zeros((0,))",
}
# Where each odd value is returned: the exercise, its function and parameters, and how the value is wrapped
# (01 returns it four times in the expected structure, so the checks after the structure see it).
FUNCTIONS = {"01": ("load_data", "", "(VALUE, VALUE), (VALUE, VALUE)"), "02": ("preprocess", "images", "VALUE"),
             "06": ("evaluate", "model, x_test, y_test", "VALUE"), "07": ("predict_proba", "model, images", "VALUE")}
ODD_CASES = [
    *[("01", odd) for odd in ("deeply nested list", "object array", "complex array", "NaN array", "string array",
                              "empty array")],
    *[("02", odd) for odd in ("dict", "ragged list", "complex array", "NaN array", "string array", "empty array")],
    *[("06", odd) for odd in ("deeply nested list", "dict", "string", "object array", "complex number",
                              "NaN array")],
    *[("07", odd) for odd in ("ragged list", "complex array", "NaN array", "string array", "empty array")],
]


@pytest.mark.parametrize("exercise_id, odd", ODD_CASES, ids=[f"{case[0]}-{case[1]}" for case in ODD_CASES])
def test_a_value_the_grader_cannot_use_is_the_learners_failure(exercise_id, odd, grade):
    function, parameters, shape = FUNCTIONS[exercise_id]
    value = shape.replace("VALUE", ODD_VALUES[odd])
    other = "\ndef predict(model, images):\n    return model.predict(images, verbose=0).argmax(axis=1)\n"
    source = (f"import numpy as np\n\ndef {function}({parameters}):\n    return {value}\n"
              + (other if exercise_id == "07" else ""))
    report = grade(exercise_id, source)
    assert not report.passed
    _no_grader_fault(report)
    failed = [check for check in report.checks if check.status == "failed"]
    assert failed and all(check.message for check in failed)


def test_a_trained_model_that_cannot_read_the_images_is_the_learners_failure(grade):
    report = grade("05", """
        import keras
        def train(model, x_train, y_train):
            own = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
            own.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            return own.fit(x_train[:2000].reshape(-1, 784), y_train[:2000], epochs=1, validation_split=0.1, verbose=0)
        """)
    assert not report.passed
    assert _check(report, "test_test_accuracy").status == "failed"
    _no_grader_fault(report)


@pytest.mark.parametrize("exercise_id, function, value", [
    ("03", "build_model", "np.zeros(3)"),
    ("04", "compile_model", "{'optimizer': 'adam'}"),
    ("05", "train", "[[[[[[[[[[[[1.0]]]]]]]]]]]]"),
    ("05", "train", "'history'"),
])
def test_a_model_or_history_of_the_wrong_kind_is_the_learners_failure(exercise_id, function, value, grade):
    parameters = {"build_model": "", "compile_model": "model", "train": "model, x_train, y_train"}[function]
    report = grade(exercise_id, f"import numpy as np\n\ndef {function}({parameters}):\n    return {value}\n")
    assert not report.passed
    _no_grader_fault(report)


@pytest.mark.parametrize("layers", [
    "keras.Input(shape=(784,)), keras.layers.Dense(128, activation='relu'), keras.layers.Dense(10)",
    "keras.Input(shape=(28, 28))",
])
def test_a_model_the_grader_cannot_run_on_images_is_the_learners_failure(layers, grade):
    report = grade("03", f"import keras\ndef build_model():\n    return keras.Sequential([{layers}])\n")
    assert _check(report, "test_predicts_ten_scores").status == "failed"
    _no_grader_fault(report)


# -- a subclassed model ---------------------------------------------------------------------------------

def test_a_subclassed_model_is_told_plainly_why_and_what_to_write(grade):
    report = grade("03", """
        import keras
        class MyModel(keras.Model):
            def __init__(self):
                super().__init__()
                self.flatten = keras.layers.Flatten()
                self.hidden = keras.layers.Dense(128, activation="relu")
                self.out = keras.layers.Dense(10)
            def call(self, x):
                return self.out(self.hidden(self.flatten(x)))
        def build_model():
            return MyModel()
        """)
    assert not report.passed
    text = failure_text(report)
    assert "subclass" in text and "keras.sequential" in text and "functional" in text, text
    assert "use keras' built-in layers" not in text, "it asks for what the learner already did"
    _no_grader_fault(report)
