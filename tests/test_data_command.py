"""`hnml-tutor data` and `data install`, and the rule for a relative HNML_TUTOR_DATA.

The Keras facts the install relies on (where `load_data()` looks, that Fashion-MNIST's files are read
unchecked, that a rebuilt `mnist.npz` is rejected and deleted offline) are checked against the real Keras in
one subprocess; everything else runs in-process through CliRunner.
"""

import gzip
import hashlib
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import SHARED_DATA
from hnml_tutor import data_catalog, data_folder, datasets, keras_install
from hnml_tutor.cli import app
from hnml_tutor.data_catalog import IDX_FILES
from hnml_tutor.sandbox.launchers import _child_environment

runner = CliRunner()
FASHION_FILES = [f"{stem}.gz" for stem in IDX_FILES.values()]


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A machine with the data in one folder (HNML_TUTOR_DATA), an empty Keras home and an empty tutor cache."""
    monkeypatch.setenv("HNML_TUTOR_DATA", str(SHARED_DATA))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("HNML_TUTOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("HNML_TUTOR_WORKSPACE", raising=False)
    monkeypatch.setattr(data_catalog, "DEBIAN_DIR", tmp_path / "debian")
    monkeypatch.setattr(data_folder, "_pinned", None)
    return tmp_path


def as_json(result) -> dict:
    return json.loads(result.stdout)


def test_data_says_where_each_set_was_found_and_what_keras_alone_would_do(machine):
    shown = runner.invoke(app, ["data", "--json"])
    assert shown.exit_code == 0, shown.output
    report = {entry["name"]: entry for entry in as_json(shown)["datasets"]}
    assert report["mnist"]["source"] == "HNML_TUTOR_DATA"
    assert report["mnist"]["path"] == str(SHARED_DATA / "mnist")
    assert report["fashion-mnist"]["tutor_cache"] == "none"
    assert {entry["own_keras"] for entry in report.values()} == {"missing"}

    datasets.load("fashion-mnist")  # the tutor decodes it once and keeps a checked copy
    verified = runner.invoke(app, ["data", "--json", "--verify"])
    report = {entry["name"]: entry for entry in as_json(verified)["datasets"]}
    assert report["fashion-mnist"]["tutor_cache"] == "verified" and report["mnist"]["tutor_cache"] == "none"

    table = runner.invoke(app, ["data"])
    assert table.exit_code == 0
    words = " ".join(table.stdout.split())
    assert "HNML_TUTOR_DATA" in words and "hnml-tutor data install" in words


def test_nothing_found_says_what_the_tutor_will_do(machine, monkeypatch):
    monkeypatch.delenv("HNML_TUTOR_DATA")
    report = as_json(runner.invoke(app, ["data", "--json"]))
    for entry in report["datasets"]:
        assert entry["source"] is None
        assert "HNML_TUTOR_OFFLINE" in entry["without_source"]  # the test session runs offline
    monkeypatch.delenv("HNML_TUTOR_OFFLINE")
    report = as_json(runner.invoke(app, ["data", "--json"]))
    assert "download it on first use" in report["datasets"][0]["without_source"]


def test_data_imports_neither_numpy_nor_tensorflow(machine):
    probe = textwrap.dedent("""
        import sys
        from hnml_tutor.cli import app
        try:
            app(["data", "--json"])
        except SystemExit:
            pass
        print(sorted(name for name in ("numpy", "tensorflow", "keras") if name in sys.modules), file=sys.stderr)
        """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr
    assert json.loads(done.stdout)["datasets"][0]["name"] == "mnist"


def test_install_writes_fashion_checked_and_is_plain_about_mnist(machine):
    first = runner.invoke(app, ["data", "install", "--json"])
    assert first.exit_code == 1  # MNIST could not be placed: said, not hidden
    done = as_json(first)
    fashion = [f for f in done["files"] if f["dataset"] == "fashion-mnist"]
    assert [f["outcome"] for f in fashion] == ["written"] * 4
    folder = machine / "keras" / "datasets" / "fashion-mnist"
    for name in FASHION_FILES:
        assert (folder / name).read_bytes() == (SHARED_DATA / "fashion-mnist" / name).read_bytes()
    mnist = next(f for f in done["files"] if f["dataset"] == "mnist")
    assert mnist["outcome"] == "skipped" and "SHA-256" in mnist["detail"]
    assert not (machine / "keras" / "datasets" / "mnist.npz").exists()
    assert 'load_data("mnist")' in done["advice"]

    again = as_json(runner.invoke(app, ["data", "install", "--json"]))
    assert [f["outcome"] for f in again["files"] if f["dataset"] == "fashion-mnist"] == ["already there"] * 4
    shown = as_json(runner.invoke(app, ["data", "--json"]))
    assert {e["name"]: e["own_keras"] for e in shown["datasets"]} == {"mnist": "missing", "fashion-mnist": "ready"}


def test_install_never_overwrites_without_a_backup(machine):
    folder = machine / "keras" / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(b"the learner's own file"))
    (folder / "train-labels-idx1-ubyte.gz").symlink_to(SHARED_DATA / "mnist" / "train-labels-idx1-ubyte.gz")

    done = {f["path"]: f for f in as_json(runner.invoke(app, ["data", "install", "--json"]))["files"]}
    replaced = done[str(labels)]
    assert replaced["outcome"] == "replaced"
    assert gzip.decompress(open(replaced["backup"], "rb").read()) == b"the learner's own file"
    assert labels.read_bytes() == (SHARED_DATA / "fashion-mnist" / labels.name).read_bytes()
    linked = done[str(folder / "train-labels-idx1-ubyte.gz")]
    assert linked["outcome"] == "skipped" and "not a regular file" in linked["detail"]  # a link is left alone
    assert not any(name.endswith(".tmp") for name in os.listdir(folder))  # atomic writes leave nothing behind


def test_install_copies_an_original_mnist_npz_it_finds(machine, monkeypatch):
    """Simulated: no original mnist.npz exists here, so a stand-in file's hash plays the one Keras checks."""
    data = machine / "data"
    (data / "mnist").mkdir(parents=True)
    original = data / "mnist.npz"
    original.write_bytes(b"stand-in for Google's mnist.npz")
    monkeypatch.setattr(keras_install, "KERAS_MNIST_NPZ_SHA256", hashlib.sha256(original.read_bytes()).hexdigest())
    monkeypatch.setenv("HNML_TUTOR_DATA", str(data))
    target = machine / "keras" / "datasets" / "mnist.npz"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"a rebuilt npz")

    mnist = keras_install.install(("mnist",)).files[0]
    assert mnist.outcome == "replaced" and target.read_bytes() == original.read_bytes()
    assert mnist.backup.read_bytes() == b"a rebuilt npz"
    assert keras_install.install(("mnist",)).files[0].outcome == "already there"


def test_relative_data_folder_is_taken_where_it_was_set(machine, monkeypatch):
    """`export HNML_TUTOR_DATA=data` next to the workspace, then `cd hnml-workspace/exercises`."""
    course = machine / "course"
    (course / "data" / "fashion-mnist").mkdir(parents=True)
    workspace = course / "hnml-workspace"
    (workspace / ".hnml-tutor").mkdir(parents=True)
    (workspace / "exercises").mkdir()
    monkeypatch.setenv("HNML_TUTOR_DATA", "data")

    monkeypatch.chdir(course)
    assert data_folder.resolve("data").path == course / "data"
    assert data_folder.resolve("data").basis == "the folder the tutor was started in"

    monkeypatch.chdir(workspace / "exercises")
    found = data_folder.resolve("data")
    assert found.path == course / "data" and found.basis == "the folder that holds the workspace"
    assert found.tried == (workspace / "exercises" / "data", workspace / "data", course / "data")

    shown = as_json(runner.invoke(app, ["data", "--json"]))  # the CLI pins it before the command runs
    assert shown["HNML_TUTOR_DATA"]["path"] == str(course / "data") and shown["problem"] is None
    assert os.environ["HNML_TUTOR_DATA"] == str(course / "data")
    assert _child_environment(None)["HNML_TUTOR_DATA"] == str(course / "data")  # what every child is handed

    monkeypatch.chdir(machine)  # a later folder change cannot move it: it was resolved once
    assert data_folder.pin() is None and os.environ["HNML_TUTOR_DATA"] == str(course / "data")


def test_a_relative_data_folder_that_names_nothing_is_an_error_naming_every_place(machine, monkeypatch):
    workspace = machine / "hnml-workspace"
    (workspace / ".hnml-tutor").mkdir(parents=True)
    monkeypatch.chdir(workspace)
    monkeypatch.setenv("HNML_TUTOR_DATA", "dtaa")

    shown = runner.invoke(app, ["data"], env={"COLUMNS": "400"})  # long paths on one line each
    assert shown.exit_code == 2
    message = " ".join(shown.output.replace("│", " ").split())
    assert "HNML_TUTOR_DATA=dtaa is a relative path" in message
    assert str(workspace / "dtaa") in message and str(machine / "dtaa") in message
    assert os.environ["HNML_TUTOR_DATA"] == str(workspace / "dtaa")  # children look where the tutor looked

    monkeypatch.setattr(data_folder, "_pinned", None)
    monkeypatch.setenv("HNML_TUTOR_DATA", "dtaa")
    listed = runner.invoke(app, ["list"])  # other commands still work, with the problem said once
    said = " ".join((listed.stdout + listed.stderr).replace("│", " ").split())
    assert listed.exit_code == 0 and said.count("HNML_TUTOR_DATA=dtaa is a relative path") == 1


def test_keras_itself_loads_installed_fashion_offline_and_rejects_a_rebuilt_mnist(machine):
    """The real Keras in a fresh process, with every download sent to a closed port."""
    assert runner.invoke(app, ["data", "install"]).exit_code == 1
    keras_datasets = machine / "keras" / "datasets"
    rebuilt = {key: datasets.read_idx(SHARED_DATA / "mnist" / f"{stem}.gz") for key, stem in IDX_FILES.items()}
    np.savez_compressed(keras_datasets / "mnist.npz", **rebuilt)
    probe = textwrap.dedent("""
        import os, keras
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
        print("fashion", x_train.shape, y_train.shape, x_test.shape, y_test.shape, x_train.dtype, int(y_train[0]))
        try:
            keras.datasets.mnist.load_data()
            print("mnist loaded")
        except Exception as error:
            print("mnist failed", type(error).__name__)
        print("npz left", os.path.exists(os.path.join(os.environ["KERAS_HOME"], "datasets", "mnist.npz")))
        """)
    offline = {**os.environ, "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
               "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": "", "NO_PROXY": "",
               "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=offline,
                          cwd=machine)
    lines = done.stdout.splitlines()
    assert "fashion (60000, 28, 28) (60000,) (10000, 28, 28) (10000,) uint8 9" in lines, done.stdout + done.stderr
    assert "mnist failed Exception" in lines and "npz left False" in lines, done.stdout + done.stderr


def test_a_relative_data_folder_is_taken_against_the_commands_workspace_option(machine, monkeypatch):
    """`--workspace` is parsed after the CLI starts: a value found only against that workspace is still found
    (found in a review: it was pinned against the current folder first, and a warning said it named nothing)."""
    workspace = machine / "elsewhere" / "hnml-workspace"
    (workspace / ".hnml-tutor").mkdir(parents=True)
    (workspace.parent / "data").symlink_to(SHARED_DATA)
    monkeypatch.chdir(machine)
    monkeypatch.setenv("HNML_TUTOR_DATA", "data")
    listed = runner.invoke(app, ["list", "--workspace", str(workspace)])
    assert listed.exit_code == 0, listed.output
    assert "names no folder" not in listed.stdout + listed.stderr
    assert os.environ["HNML_TUTOR_DATA"] == str(workspace.parent / "data")


def test_a_deleted_current_folder_is_a_message_not_a_traceback(machine, monkeypatch, tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    monkeypatch.setenv("HNML_TUTOR_DATA", "data")
    shown = runner.invoke(app, ["data"])
    assert "Traceback" not in shown.output and shown.exception is None or isinstance(shown.exception, SystemExit)
    assert "could not look for it" in " ".join(shown.output.replace("│", " ").split())
