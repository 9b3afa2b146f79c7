"""13 · Save and load a model: each named mistake, in a learner-style file graded by the real grader.

save_model and load_model are graded apart, so each file pairs a save mistake with a load mistake: one
grading checks both. Nothing here trains; the reference MLP is the cached one the 05–07 tests use too.
"""

from __future__ import annotations

import textwrap

import pytest

MISTAKES = {
    "saved as .h5 beside the path; loaded with compile=False": (
        """
        def save_model(model, path):
            model.save(path.replace(".keras", ".h5"))

        def load_model(path):
            return keras.models.load_model(path, compile=False)
        """,
        {"test_writes_the_file": ["somewhere else", "model.h5", "legacy hdf5", "legacy format", ".keras"],
         "test_loaded_model_is_compiled_as_saved": ["isn't compiled", "compile=false"]}),
    "legacy HDF5 renamed to .keras; returns the path": (
        """
        import os

        def save_model(model, path):
            model.save(path + ".h5")
            os.replace(path + ".h5", path)

        def load_model(path):
            return path
        """,
        {"test_native_keras_archive": ["legacy hdf5", "h5", ".keras"],
         "test_load_returns_model": ["returned the path", "keras.models.load_model(path)"]}),
    "weights only beside the path; a fresh untrained model": (
        """
        def save_model(model, path):
            model.save_weights(path.replace(".keras", ".weights.h5"))

        def load_model(path):
            model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                                      keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)])
            model.compile(optimizer="adam",
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
            return model
        """,
        {"test_writes_the_file": ["somewhere else", "model.weights.h5", "weights only", "save_weights"],
         "test_loaded_model_predicts_the_same": ["doesn't predict like", "untrained"]}),
    "save_weights to the .keras path; returns None": (
        """
        def save_model(model, path):
            model.save_weights(path)

        def load_model(path):
            keras.models.load_model(path)
        """,
        {"test_save_model_runs": ["save_weights", "weights only", "model.save(path)"],
         "test_load_returns_model": ["none", "return"]}),
    "compiled again before saving; weights loaded into a model of its own": (
        """
        def save_model(model, path):
            model.compile(optimizer="adam",
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
            model.save(path)

        def load_model(path):
            model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                                      keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)])
            model.load_weights(path)
            return model
        """,
        {"test_saved_model_keeps_its_training_state": ["optimizer steps taken", "fresh optimizer"],
         "test_loaded_model_is_compiled_as_saved": ["isn't compiled", "loading the weights into a model you built"]}),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_a_named_mistake_is_explained(grade, name):
    body, expected = MISTAKES[name]
    report = grade("13", "import keras\n" + textwrap.dedent(body))
    failed = {check.name: check for check in report.checks if check.status == "failed"}
    assert set(expected) <= set(failed), (name, sorted(failed))
    assert not [check.name for check in report.checks if check.status == "error"], "a learner's mistake, not the grader's"
    for check_name, phrases in expected.items():
        check = failed[check_name]
        words = " ".join(filter(None, [check.message, check.expected, check.found, check.hint])).lower()
        assert all(phrase in words for phrase in phrases), (name, check_name, words)
