"""No Keras backend installed: one clear line naming what to install, before any learner code runs."""

import json
import re

import pytest
from typer.testing import CliRunner

from hnml_tutor import backend
from hnml_tutor.cli import app

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    return tmp_path / "keras-home"


def test_the_installed_tensorflow_is_found(keras_home):
    assert backend.chosen_backend() == ("tensorflow", "Keras' default")
    assert backend.missing_backend() is None


def test_a_backend_named_in_keras_json_is_the_one_asked_for(keras_home, monkeypatch):
    keras_home.mkdir()
    (keras_home / "keras.json").write_text(json.dumps({"backend": "jax", "floatx": "float32"}))
    looked_up = []
    monkeypatch.setattr(backend.importlib.util, "find_spec", lambda name: looked_up.append(name))
    problem = backend.missing_backend()
    assert looked_up[0] == "jax"  # the backend asked for first; then the others, to suggest one
    assert "jax (chosen by" in problem.problem and "keras.json" in problem.problem
    assert "`pip install jax`" in problem.fix and "hnml-tutor[jax]" in problem.fix


def test_no_tensorflow_names_both_extras(keras_home, monkeypatch):
    monkeypatch.setattr(backend.importlib.util, "find_spec", lambda name: None)
    problem = backend.missing_backend()
    assert "tensorflow is not installed" in problem.problem
    assert "`pip install tensorflow`" in problem.fix and "`pip install tensorflow-cpu`" in problem.fix
    assert "hnml-tutor[tensorflow]" in problem.fix and "hnml-tutor[cpu]" in problem.fix
    assert "14–16" in problem.fix


def test_a_backend_keras_does_not_know_is_named(keras_home, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "tensorflwo")
    problem = backend.missing_backend()
    assert "'tensorflwo' (by KERAS_BACKEND)" in problem.problem and "export KERAS_BACKEND=tensorflow" in problem.fix


def test_check_without_a_backend_stops_before_grading_and_numpy_exercises_still_run(tmp_path, keras_home, monkeypatch):
    assert runner.invoke(app, ["start", str(tmp_path / "ws")]).exit_code == 0
    monkeypatch.setenv("KERAS_BACKEND", "torch")  # not installed in the test environment
    result = runner.invoke(app, ["check", "02", "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 2, result.output
    assert "torch (chosen by KERAS_BACKEND) is not installed" in flat(result.output)
    assert "Traceback" not in result.output
    numpy_only = runner.invoke(app, ["check", "14", "--workspace", str(tmp_path / "ws")])
    assert numpy_only.exit_code == 1 and "softmax" in numpy_only.output  # graded: the untouched stub fails


def test_no_tensorflow_but_jax_installed_suggests_switching(keras_home, monkeypatch):
    monkeypatch.setattr(backend.importlib.util, "find_spec", lambda name: object() if name == "jax" else None)
    problem = backend.missing_backend()
    assert "tensorflow is not installed" in problem.problem
    assert "Or use jax, which is installed: `export KERAS_BACKEND=jax`" in problem.fix
