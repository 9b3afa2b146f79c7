"""Offline-first data: every source in order, checksums enforced, one clear message when nothing is found."""

import gzip
import shutil

import numpy as np
import pytest

from conftest import SHARED_DATA
from hnml_tutor import data_catalog, datasets
from hnml_tutor.errors import TutorError


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No decoded cache, no Keras cache, no Debian folder: only what each test puts in place."""
    monkeypatch.setenv("HNML_TUTOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("HNML_TUTOR_OFFLINE", "1")
    monkeypatch.delenv("HNML_TUTOR_DATA", raising=False)
    monkeypatch.setattr(data_catalog, "DEBIAN_DIR", tmp_path / "debian")
    return tmp_path


def test_reads_the_shared_folder_and_matches_the_published_facts(isolated, monkeypatch):
    monkeypatch.setenv("HNML_TUTOR_DATA", str(SHARED_DATA))
    data = datasets.load("mnist")
    assert data.x_train.shape == (60000, 28, 28) and data.x_train.dtype == np.uint8
    assert list(data.y_train[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(data.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    fashion = datasets.load("fashion_mnist")
    assert list(fashion.y_train[:10]) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert fashion.class_names[9] == "Ankle boot"


def test_decoded_cache_is_used_the_second_time(isolated, monkeypatch):
    monkeypatch.setenv("HNML_TUTOR_DATA", str(SHARED_DATA))
    datasets.load("mnist")
    monkeypatch.delenv("HNML_TUTOR_DATA")
    assert datasets.load("mnist").x_test.shape == (10000, 28, 28)


def test_keras_cache_fashion_folder(isolated):
    shutil.copytree(SHARED_DATA / "fashion-mnist", isolated / "keras" / "datasets" / "fashion-mnist")
    assert datasets.load("fashion-mnist").y_test.shape == (10000,)


def test_keras_cache_mnist_npz(isolated):
    source = {k: datasets.read_idx(SHARED_DATA / "mnist" / f"{v}.gz") for k, v in datasets.IDX_FILES.items()}
    (isolated / "keras" / "datasets").mkdir(parents=True)
    np.savez_compressed(isolated / "keras" / "datasets" / "mnist.npz", **source)
    assert datasets.load("mnist").y_train.shape == (60000,)


def test_debian_folder_with_uncompressed_files(isolated):
    folder = isolated / "debian" / "fashion-mnist"
    folder.mkdir(parents=True)
    for stem in datasets.IDX_FILES.values():
        with gzip.open(SHARED_DATA / "fashion-mnist" / f"{stem}.gz") as packed:
            (folder / stem).write_bytes(packed.read())
    assert datasets.load("fashion-mnist").x_train.shape == (60000, 28, 28)


def test_nothing_found_says_where_it_looked_and_how_to_fix(isolated):
    with pytest.raises(TutorError) as error:
        datasets.load("mnist")
    message = str(error.value)
    assert "Keras' cache" in message and "mnist.npz" in message and "Keras' download" in message
    assert "HNML_TUTOR_DATA" in error.value.fix


def test_foreign_files_are_rejected_by_checksum(isolated, monkeypatch):
    fake = isolated / "data" / "mnist"
    shutil.copytree(SHARED_DATA / "fashion-mnist", fake)
    monkeypatch.setenv("HNML_TUTOR_DATA", str(isolated / "data"))
    with pytest.raises(TutorError) as error:
        datasets.load("mnist")
    assert "checksum" in error.value.problem


def test_learners_canonical_fashion_call_works_offline(grade):
    """The child answers keras.datasets.fashion_mnist.load_data() from local data, like mnist."""
    report = grade("01", """
        import keras
        def load_data():
            keras.datasets.fashion_mnist.load_data()
            return keras.datasets.mnist.load_data()
        """)
    assert report.passed, [c.message for c in report.checks if not c.passed]
