"""A poisoned cache changes nothing: every entry is verified on every load and rebuilt when it differs.

Decoded data sets are checked against the published checksums; reference entries against their sealed
manifest. Each kind of tampering — flipped bytes, a file swapped for another valid one, a manifest edited to
match, an extra or missing file, a link or a pipe — must leave the data, the reference outputs and the
grader's verdicts exactly as they were, rebuild the entry, and leave a line for a developer.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED_DATA
from hnml_tutor import cache, datasets
from hnml_tutor.reference import registry


def _rebuild_log() -> str:
    path = cache.cache_dir() / cache.REBUILD_LOG_NAME
    return path.read_text() if path.exists() else ""


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """A cache of this test's own, filled from the shared IDX files."""
    monkeypatch.setenv("HNML_TUTOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HNML_TUTOR_DATA", str(SHARED_DATA))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "cache"


def _flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-100:] = bytes(255 - b for b in data[-100:])  # pixels at the end of the array, after the header
    path.write_bytes(bytes(data))


def _header_bomb(path: Path) -> None:
    """A valid .npy header promising a terabyte, followed by a few bytes."""
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {"descr": "|u1", "fortran_order": False,
                                                      "shape": (10**6, 10**6)})
        handle.write(b"\0" * 64)


def _fashion_instead(path: Path) -> None:
    np.save(path, datasets.load_arrays("fashion-mnist")["x_test"])


def _pipe_instead(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _link_instead(path: Path) -> None:
    decoy = path.with_name("decoy.npy")
    np.save(decoy, np.zeros((10000, 28, 28), np.uint8))
    path.unlink()
    path.symlink_to(decoy)


@pytest.mark.parametrize("poison", [_flip_bytes, _header_bomb, _fashion_instead, _pipe_instead, _link_instead],
                         ids=["flipped-bytes", "header-bomb", "other-dataset", "fifo", "symlink"])
def test_a_poisoned_decoded_dataset_is_rebuilt_and_never_returned(own_cache, poison):
    datasets.load_arrays("mnist")
    target = own_cache / "datasets" / "mnist" / "x_test.npy"
    poison(target)

    arrays = datasets.load_arrays("mnist")

    for key in datasets.ARRAY_NAMES:
        assert datasets._digest(arrays[key]) == datasets.CHECKSUMS["mnist"][key]
    assert target.is_file() and not target.is_symlink()
    assert datasets._digest(np.load(target)) == datasets.CHECKSUMS["mnist"]["x_test"]
    assert "rebuilt datasets/mnist" in _rebuild_log() and "x_test.npy" in _rebuild_log()


def test_an_intact_dataset_is_not_rebuilt(own_cache):
    datasets.load_arrays("mnist")
    stamp = (own_cache / "datasets" / "mnist" / "x_train.npy").stat().st_mtime_ns
    datasets.load_arrays("mnist")
    assert (own_cache / "datasets" / "mnist" / "x_train.npy").stat().st_mtime_ns == stamp
    assert _rebuild_log() == ""


# --- reference entries: a cheap provider exercises every kind of tampering ---------------------------------

BUILDS = []


def _build_small(folder: Path) -> None:
    BUILDS.append(folder)
    np.save(folder / "weights.npy", np.arange(12, dtype=np.float32))
    (folder / "meta.json").write_text(json.dumps({"accuracy": 0.97}))


def _sealed_small(folder: Path) -> np.ndarray:
    return np.load(folder / "weights.npy")


@pytest.fixture(autouse=True)
def small_provider(monkeypatch):
    """Registered for this module's tests only, so no other test sees it among the cached providers."""
    registry._register_curriculum_providers()
    monkeypatch.setitem(registry._PROVIDERS, "test/sealed-small",
                        registry.Provider("test/sealed-small", _sealed_small, _build_small, "1", False))
    BUILDS.clear()
    yield
    registry._MADE.pop("test/sealed-small", None)


def _entry_folder() -> Path:
    return cache.cache_dir() / "reference" / registry._folder_name(registry._provider("test/sealed-small"))


def _manifest(folder: Path) -> dict:
    return json.loads((folder / cache.MANIFEST_NAME).read_text())


def _swap_weights_and_reseal_without_key(folder: Path) -> None:
    """What an attacker who can write the entry but not read the key does: recompute every hash."""
    np.save(folder / "weights.npy", np.full(12, 7, dtype=np.float32))
    manifest = _manifest(folder)
    manifest["files"]["weights.npy"] = cache.sha256_file(folder / "weights.npy")
    (folder / cache.MANIFEST_NAME).write_text(json.dumps(manifest))


def _copy_manifest_of_another_entry(folder: Path) -> None:
    other = folder.with_name("another-entry")
    shutil.copytree(folder, other)
    np.save(other / "weights.npy", np.full(12, 7, dtype=np.float32))
    cache.seal_folder(other, other.name)  # sealed with the real key, but for another entry
    shutil.copy(other / "weights.npy", folder / "weights.npy")
    shutil.copy(other / cache.MANIFEST_NAME, folder / cache.MANIFEST_NAME)


TAMPERING = {
    "flipped-bytes": lambda folder: _flip_bytes(folder / "weights.npy"),
    "manifest-edited-to-match": _swap_weights_and_reseal_without_key,
    "manifest-of-another-entry": _copy_manifest_of_another_entry,
    "manifest-removed": lambda folder: (folder / cache.MANIFEST_NAME).unlink(),
    "extra-file": lambda folder: (folder / "extra.py").write_text("print('hello')"),
    "missing-file": lambda folder: (folder / "meta.json").unlink(),
    "symlink": lambda folder: _link_instead(folder / "weights.npy"),
    "fifo": lambda folder: _pipe_instead(folder / "meta.json"),
    "key-replaced": lambda folder: (cache.cache_dir() / cache.KEY_NAME).write_bytes(os.urandom(32)),
}


@pytest.mark.parametrize("tamper", list(TAMPERING.values()), ids=list(TAMPERING))
def test_a_tampered_reference_entry_is_rebuilt_before_it_is_read(own_cache, tamper):
    original = registry.get("test/sealed-small").copy()
    folder = _entry_folder()
    assert cache.seal_problem(folder, folder.name) is None and len(BUILDS) == 1

    tamper(folder)
    registry._MADE.pop("test/sealed-small", None)  # as a later run would: nothing in memory
    again = registry.get("test/sealed-small")

    assert np.array_equal(again, original)
    assert len(BUILDS) == 2, "the tampered entry was rebuilt"
    assert cache.seal_problem(folder, folder.name) is None
    assert not (folder / "extra.py").exists()
    assert f"rebuilt reference/{folder.name}" in _rebuild_log()


def test_an_intact_reference_entry_is_verified_not_rebuilt(own_cache):
    registry.get("test/sealed-small")
    registry.get("test/sealed-small")
    registry._MADE.pop("test/sealed-small", None)
    registry.get("test/sealed-small")
    assert len(BUILDS) == 1 and _rebuild_log() == ""


def test_a_reference_poisoned_after_it_was_made_is_rebuilt_on_the_next_request(own_cache):
    """A long-lived grader keeps what it made; the files it names must still be the sealed ones."""
    registry.get("test/sealed-small")
    folder = _entry_folder()
    _swap_weights_and_reseal_without_key(folder)
    registry.get("test/sealed-small")
    assert len(BUILDS) == 2
    assert np.array_equal(np.load(folder / "weights.npy"), np.arange(12, dtype=np.float32))


# --- the real grader: its verdicts do not move --------------------------------------------------------------

def _solution(exercise_id: str) -> str:
    from hnml_tutor.curriculum import load_curriculum

    return load_curriculum().resolve(exercise_id).solution_path.read_text()


def _verdict(report) -> list[tuple[str, str, float]]:
    return [(check.name, check.status, check.points) for check in report.checks]


def test_grading_with_a_poisoned_dataset_cache_gives_the_same_verdict(grade):
    clean = grade("01", _solution("01"))
    target = cache.cache_dir() / "datasets" / "mnist" / "y_train.npy"
    np.save(target, np.zeros(60000, np.uint8))  # a valid file, every label 0

    poisoned = grade("01", _solution("01"))

    assert clean.passed and _verdict(poisoned) == _verdict(clean)
    assert datasets._digest(np.load(target)) == datasets.CHECKSUMS["mnist"]["y_train"]


def test_grading_with_a_swapped_reference_model_gives_the_same_verdict(grade, monkeypatch, tmp_path):
    """The cached trained model is replaced by another model and the manifest edited to match.

    Retraining the reference takes ~25 s, so the rebuild here restores the pristine copy taken before the
    attack; detection, sealing and the swap of folders are the real ones. The attack happens in a private copy
    of the cache: in the shared one, another test's process could meet the impostor first and rebuild it
    (with the real builder), leaving this test nothing to detect.
    """
    import keras

    from hnml_tutor import reference

    reference.get("mnist/trained-mlp")  # built (once per run) in the shared cache, then copied with its key
    private = tmp_path / "cache"
    shutil.copytree(cache.cache_dir() / "reference", private / "reference",
                    ignore=shutil.ignore_patterns(".lock", ".building-*"))
    shutil.copy(cache.cache_dir() / cache.KEY_NAME, private / cache.KEY_NAME)
    monkeypatch.setenv("HNML_TUTOR_CACHE", str(private))
    monkeypatch.delitem(registry._MADE, "mnist/trained-mlp", raising=False)  # made again, from the private copy
    trained = reference.get("mnist/trained-mlp")
    assert private in trained.model.path.parents
    folder = trained.model.path.parent
    pristine = tmp_path / "pristine"
    shutil.copytree(folder, pristine)
    clean = grade("07", _solution("07"))

    impostor = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)])
    impostor.save(folder / "model.keras")
    manifest = _manifest(folder)
    manifest["files"]["model.keras"] = cache.sha256_file(folder / "model.keras")
    (folder / cache.MANIFEST_NAME).write_text(json.dumps(manifest))

    rebuilds = []

    def restore(staging: Path) -> None:
        rebuilds.append(staging)
        for item in pristine.iterdir():
            if item.name != cache.MANIFEST_NAME:
                shutil.copy(item, staging / item.name)

    found = registry._provider("mnist/trained-mlp")
    monkeypatch.setitem(registry._PROVIDERS, "mnist/trained-mlp", dataclasses.replace(found, build=restore))
    poisoned = grade("07", _solution("07"))

    assert clean.passed and _verdict(poisoned) == _verdict(clean)
    assert len(rebuilds) == 1
    assert cache.sha256_file(folder / "model.keras") == cache.sha256_file(pristine / "model.keras")
    assert np.array_equal(reference.get("mnist/trained-mlp").test_logits, np.load(pristine / "test_logits.npy"))
    assert f"rebuilt reference/{folder.name}" in _rebuild_log()
