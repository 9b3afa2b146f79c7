"""A NumPy-only exercise stays NumPy-only: a framework import fails the file with the reason, cold and warm,
and the child (and a warm parent serving only such jobs) never loads Keras."""

import textwrap

import pytest

from hnml_tutor import sandbox
from hnml_tutor.sandbox import Call, ColdLauncher, Limits, WarmLauncher
from hnml_tutor.sandbox.import_guard import FRAMEWORKS


def run_source(tmp_path, source: str, calls, launcher, forbidden=FRAMEWORKS):
    path = tmp_path / "learner.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    result = sandbox.run(path, tuple(calls), Limits(time_limit=30), seed=1, launcher=launcher,
                         forbidden_imports=forbidden)
    sandbox.cleanup(result)
    return result


# Which frameworks the child has loaded; the names are spelled in pieces because a file that mentions Keras
# by name is one the sandbox prepares Keras for.
LOADED = """
    import sys

    FRAMEWORKS = {"tensor" + "flow", "ker" + "as", "jax", "torch"}

    def loaded():
        return sorted({name.split(".")[0] for name in sys.modules} & FRAMEWORKS)
    """


@pytest.fixture(params=["cold", "warm"])
def launcher(request, warm_launcher):
    return warm_launcher if request.param == "warm" else ColdLauncher()


def test_a_top_level_import_is_refused_and_named_with_its_line(tmp_path, launcher):
    result = run_source(tmp_path, """
        import numpy as np
        from keras import ops

        def softmax(logits):
            return ops.softmax(logits)
        """, [Call("softmax", ([[1.0, 2.0]],))], launcher)
    assert result.status == "import_error"
    assert result.forbidden_import == {"module": "keras", "line": 3}
    assert "NumPy only" in result.import_error["message"]


def test_an_import_inside_a_function_is_refused_when_it_runs(tmp_path, launcher):
    result = run_source(tmp_path, """
        def softmax(logits):
            import tensorflow as tf
            return tf.nn.softmax(logits).numpy()
        """, [Call("softmax", ([[1.0, 2.0]],))], launcher)
    assert result.ok
    assert result.call("softmax").status == "raised"
    assert result.forbidden_import == {"module": "tensorflow", "line": 3}


def test_a_forked_child_cannot_reach_keras_its_warm_parent_already_loaded(tmp_path, warm_launcher):
    """The warm parent imports Keras for the first job that needs it; a NumPy-only child forgets it."""
    needs_keras = run_source(tmp_path, "import keras\n" + textwrap.dedent(LOADED), [Call("loaded")],
                             warm_launcher, forbidden=())
    assert "keras" in needs_keras.call("loaded").value
    numpy_only = run_source(tmp_path, LOADED, [Call("loaded")], warm_launcher)
    assert numpy_only.ok and numpy_only.call("loaded").value == []
    assert numpy_only.forbidden_import is None


def test_a_warm_parent_serving_numpy_jobs_never_imports_keras(tmp_path):
    """Exercises 14–16 graded warm start in a fraction of a second: nothing imports TensorFlow for them."""
    launcher = WarmLauncher()
    try:
        first = run_source(tmp_path, LOADED, [Call("loaded")], launcher)
        second = run_source(tmp_path, LOADED, [Call("loaded")], launcher, forbidden=())
    finally:
        launcher.close()
    assert first.ok and first.call("loaded").value == []
    assert second.ok and second.call("loaded").value == []


def test_without_the_guard_frameworks_stay_available(tmp_path):
    result = run_source(tmp_path, """
        import keras

        def name():
            return keras.__name__
        """, [Call("name")], ColdLauncher(), forbidden=())
    assert result.ok and result.call("name").value == "keras"
    assert result.forbidden_import is None


def test_taking_the_guard_away_first_does_not_hide_the_import(tmp_path, launcher):
    """A learner who removes the guard from sys.meta_path and then imports Keras is still found out."""
    result = run_source(tmp_path, """
        import sys
        sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "_Guard"]
        from keras import ops

        def softmax(logits):
            return ops.convert_to_numpy(ops.softmax(logits))
        """, [Call("softmax", ([[1.0, 2.0]],))], launcher)
    # A child forked from a warm parent that had loaded TensorFlow for an earlier job cannot load it a second
    # time: it aborts, which fails the check just the same (only the reason is less helpful).
    assert result.forbidden_import == {"module": "keras", "line": None} or result.status == "crashed", result


def test_libraries_that_hold_the_answer_ready_made_are_refused_too():
    assert {"scipy", "sklearn"} <= set(FRAMEWORKS)
