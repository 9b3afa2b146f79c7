"""Where each data set is, for ``hnml-tutor data``: as data, rendered by :mod:`hnml_tutor.render.data_view`.

Answers three questions per data set without importing NumPy or TensorFlow and without decoding anything:
where the tutor finds it (the first place of :func:`hnml_tutor.data_catalog.places` that holds the files),
whether the tutor's cache already holds a decoded copy (hashed against the published checksums on every
load; ``verify=True`` hashes it now), and whether the learner's *own* ``keras.datasets.*.load_data()``
works offline (Keras' folder, by Keras' rule; for MNIST, whether ``mnist.npz`` is the one file Keras
accepts).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hnml_tutor.cache import cache_dir
from hnml_tutor.data_catalog import (ARRAY_NAMES, CHECKSUMS, IDX_FILES, KERAS_FASHION_FOLDER, KERAS_MNIST_NPZ,
                                     KERAS_MNIST_NPZ_SHA256, keras_download_dir, places)
from hnml_tutor.data_files import file_sha256, idx_file_matches, npy_array_bytes, npy_header_matches
from hnml_tutor.data_folder import DataFolder, current
from hnml_tutor.errors import TutorError

# How the tutor's decoded copy stands.
CACHE_VERIFIED, CACHE_PRESENT, CACHE_NONE, CACHE_DAMAGED = "verified", "present", "none", "damaged"
# How the learner's own Keras call stands.
KERAS_READY, KERAS_MISSING, KERAS_REJECTED = "ready", "missing", "rejected"


@dataclass(frozen=True)
class DataSetStatus:
    """One data set: where the tutor finds it, its decoded copy, and the learner's own Keras call."""

    name: str
    source: str | None  # which place ("HNML_TUTOR_DATA", "Keras' cache"…), None when no place holds it
    source_path: Path | None
    cache: str  # CACHE_*
    keras: str  # KERAS_*
    keras_path: Path
    keras_note: str
    without_source: str  # what the tutor does when it needs the data and no place holds it

    @property
    def available(self) -> bool:
        return self.source is not None or self.cache in (CACHE_VERIFIED, CACHE_PRESENT)

    def to_dict(self) -> dict:
        return {"name": self.name, "source": self.source, "path": str(self.source_path) if self.source_path else None,
                "tutor_cache": self.cache, "own_keras": self.keras, "own_keras_path": str(self.keras_path),
                "own_keras_note": self.keras_note, "without_source": None if self.available else self.without_source}


@dataclass(frozen=True)
class DataReport:
    """Every data set's status, how ``HNML_TUTOR_DATA`` was understood, and the problem with it if any."""

    datasets: tuple[DataSetStatus, ...]
    data_folder: DataFolder | None
    problem: TutorError | None
    keras_dir: Path
    verified: bool

    def to_dict(self) -> dict:
        folder = self.data_folder
        return {
            "HNML_TUTOR_DATA": None if folder is None else {
                "value": folder.value, "path": str(folder.path) if folder.path else None, "basis": folder.basis,
                "tried": [str(path) for path in folder.tried]},
            "problem": None if self.problem is None else {"problem": self.problem.problem, "fix": self.problem.fix},
            "keras_datasets_folder": str(self.keras_dir),
            "verified": self.verified,
            "datasets": [status.to_dict() for status in self.datasets],
        }


def _cache_state(name: str, verify: bool) -> str:
    folder = cache_dir() / "datasets" / name
    files = {key: folder / f"{key}.npy" for key in ARRAY_NAMES}
    if not any(os.path.lexists(path) for path in files.values()):
        return CACHE_NONE
    if verify:
        good = all(npy_array_bytes(path, name, key) is not None for key, path in files.items())
        return CACHE_VERIFIED if good else CACHE_DAMAGED
    return CACHE_PRESENT if all(npy_header_matches(path, key) for key, path in files.items()) else CACHE_DAMAGED


def _own_keras_mnist(folder: Path) -> tuple[str, Path, str]:
    path = folder / KERAS_MNIST_NPZ
    if not os.path.lexists(path):
        return KERAS_MISSING, path, "needs the internet: no mnist.npz"
    if file_sha256(path) == KERAS_MNIST_NPZ_SHA256:
        return KERAS_READY, path, "works: the original mnist.npz"
    return KERAS_REJECTED, path, "needs the internet: mnist.npz is not the original file, Keras deletes it"


def _own_keras_fashion(folder: Path, verify: bool) -> tuple[str, Path, str]:
    folder = folder / KERAS_FASHION_FOLDER
    files = {key: folder / f"{stem}.gz" for key, stem in IDX_FILES.items()}
    missing = [path.name for path in files.values() if not path.is_file()]
    if missing:
        what = "the four files are" if len(missing) == len(files) else ", ".join(missing) + (
            " is" if len(missing) == 1 else " are")
        return KERAS_MISSING, folder, f"needs the internet: {what} missing"
    if verify:
        wrong = [path.name for key, path in files.items() if not idx_file_matches(path, "fashion-mnist", key)]
        if wrong:
            return KERAS_REJECTED, folder, f"wrong data (Keras does not check): {', '.join(wrong)}"
        return KERAS_READY, folder, "works: the four files, checked"
    return KERAS_READY, folder, "works: the four files (Keras does not check them)"


def _without_source(name: str) -> str:
    if os.environ.get("HNML_TUTOR_OFFLINE"):
        return "HNML_TUTOR_OFFLINE is set, so the tutor will not download it: point HNML_TUTOR_DATA at a copy"
    return (f"the tutor will ask Keras to download it on first use (needs the internet); offline, point "
            f"HNML_TUTOR_DATA at a folder holding {name}/ with the four IDX files")


def status(name: str, verify: bool = False) -> DataSetStatus:
    """Where data set ``name`` is, for the tutor and for the learner's own Keras."""
    found = next((place for place in places(name) if place.present()), None)
    keras_dir = keras_download_dir()
    keras, keras_path, note = (_own_keras_mnist(keras_dir) if name == "mnist"
                               else _own_keras_fashion(keras_dir, verify))
    return DataSetStatus(name, found.description if found else None, found.path if found else None,
                         _cache_state(name, verify), keras, keras_path, note, _without_source(name))


def report(verify: bool = False) -> DataReport:
    """The status of both data sets, and how ``HNML_TUTOR_DATA`` was understood."""
    folder = current()
    return DataReport(tuple(status(name, verify) for name in CHECKSUMS), folder,
                      folder.problem() if folder is not None else None, keras_download_dir(), verify)
