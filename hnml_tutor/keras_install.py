"""``hnml-tutor data install``: put the data where plain Keras finds it, so the learner's own code works offline.

What Keras 3 does (``keras/src/datasets/*.py`` and ``get_file`` in ``keras/src/utils/file_utils.py``):

* ``fashion_mnist.load_data()`` reads ``<Keras home>/datasets/fashion-mnist/`` + the four ``*.gz`` IDX files and
  checks nothing, so any intact copy works. The tutor writes copies it has checked against the published
  checksums: the gzipped files of a source as they are, or plain IDX files and its own decoded cache
  gzipped.
* ``mnist.load_data()`` reads ``<Keras home>/datasets/mnist.npz`` only if the file's SHA-256 is that of the
  file Google hosts; any other file is taken as a broken download, downloaded again and, when that fails
  offline, deleted. An ``mnist.npz`` rebuilt from the IDX files holds the same digits in other bytes, so it
  would fail that check: the tutor installs MNIST only from an original ``mnist.npz`` found on this machine,
  and otherwise says plainly what works instead.

Nothing is overwritten without a backup next to it, every file is written atomically, and the report names
each file written, already there, replaced (with its backup) or skipped, and why. Standard library only.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

from hnml_tutor.atomic import backup_file, write_bytes_atomic
from hnml_tutor.cache import cache_dir
from hnml_tutor.data_catalog import (IDX_FILES, KERAS_FASHION_FOLDER, KERAS_MNIST_NPZ, KERAS_MNIST_NPZ_SHA256,
                                     keras_cache_dir, keras_download_dir, places)
from hnml_tutor.data_files import file_sha256, idx_bytes_match, idx_header, npy_array_bytes, read_idx_bytes

WRITTEN, ALREADY_THERE, REPLACED, SKIPPED = "written", "already there", "replaced", "skipped"

# Prose lines, and code indented by four spaces on lines of its own (the renderer shows those as code).
MNIST_INSTEAD = "\n".join([
    "Keras' own mnist.load_data() needs the original mnist.npz (it checks the file's SHA-256). Inside "
    "`hnml-tutor check` and `hnml-tutor run` it already works; your own code can load the same arrays offline "
    "with:",
    "    from hnml_tutor.datasets import load_data",
    "    (x_train, y_train), (x_test, y_test) = load_data(\"mnist\")",
    "To make Keras' own call work offline for good, run this once with internet:",
    "    python -c \"import keras; keras.datasets.mnist.load_data()\"",
    "or put an original mnist.npz in your HNML_TUTOR_DATA folder and run `hnml-tutor data install` again.",
])


@dataclass(frozen=True)
class Placed:
    """What happened to one file Keras reads."""

    dataset: str
    path: Path
    outcome: str  # WRITTEN, ALREADY_THERE, REPLACED or SKIPPED
    detail: str
    backup: Path | None = None

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "path": str(self.path), "outcome": self.outcome, "detail": self.detail,
                "backup": str(self.backup) if self.backup else None}


@dataclass(frozen=True)
class Installed:
    """Every file Keras reads, what happened to it, and what to do where Keras still cannot work offline."""

    keras_dir: Path
    files: tuple[Placed, ...]

    @property
    def advice(self) -> str | None:
        skipped_mnist = any(f.dataset == "mnist" and f.outcome == SKIPPED for f in self.files)
        return MNIST_INSTEAD if skipped_mnist else None

    def to_dict(self) -> dict:
        return {"keras_datasets_folder": str(self.keras_dir), "files": [f.to_dict() for f in self.files],
                "advice": self.advice}


def _put(dataset: str, target: Path, data: bytes, origin: str) -> Placed:
    """Write ``data`` at ``target`` atomically; an existing file is first copied next to it."""
    if os.path.lexists(target) and (target.is_symlink() or not target.is_file()):
        return Placed(dataset, target, SKIPPED, "left alone: it is not a regular file (a link or a folder); "
                      "move it away and run `hnml-tutor data install` again")
    try:
        backup = backup_file(target) if os.path.lexists(target) else None
        write_bytes_atomic(target, data)
    except OSError as error:
        return Placed(dataset, target, SKIPPED, f"could not write it ({error.strerror or error}): make the folder "
                      "writable, or set KERAS_HOME to a folder you own (Keras reads the same variable)")
    if backup is not None:
        return Placed(dataset, target, REPLACED, f"the file there differed; replaced from {origin}", backup)
    return Placed(dataset, target, WRITTEN, f"from {origin}")


def _fashion_source(key: str, target_folder: Path) -> tuple[bytes, str] | None:
    """A checked gzipped copy of Fashion-MNIST's array ``key``, and where it came from (None: no copy)."""
    stem = IDX_FILES[key]
    for place in places("fashion-mnist"):
        if place.is_npz or os.path.abspath(place.path) == os.path.abspath(target_folder):
            continue
        packed = place.path / f"{stem}.gz"
        if packed.is_file() and (raw := read_idx_bytes(packed, key)) is not None \
                and idx_bytes_match(raw, "fashion-mnist", key):
            return packed.read_bytes(), f"{place.description} ({packed})"
        plain = place.path / stem
        if plain.is_file() and (raw := read_idx_bytes(plain, key)) is not None \
                and idx_bytes_match(raw, "fashion-mnist", key):
            return gzip.compress(raw, mtime=0), f"{place.description} ({plain}, gzipped)"
    cached = cache_dir() / "datasets" / "fashion-mnist" / f"{key}.npy"
    body = npy_array_bytes(cached, "fashion-mnist", key)
    if body is not None:
        return gzip.compress(idx_header(key) + body, mtime=0), f"the tutor's checked copy ({cached}, as IDX)"
    return None


def install_fashion(keras_dir: Path) -> list[Placed]:
    """The four gzipped IDX files in ``<keras_dir>/fashion-mnist``, each checked before it is written."""
    folder = keras_dir / KERAS_FASHION_FOLDER
    placed = []
    for key, stem in IDX_FILES.items():
        target = folder / f"{stem}.gz"
        current = read_idx_bytes(target, key) if target.is_file() and not target.is_symlink() else None
        if current is not None and idx_bytes_match(current, "fashion-mnist", key):
            placed.append(Placed("fashion-mnist", target, ALREADY_THERE, "checked: the published data"))
            continue
        source = _fashion_source(key, folder)
        if source is None:
            why = "it holds other data, and " if os.path.lexists(target) else ""
            placed.append(Placed("fashion-mnist", target, SKIPPED, f"{why}no checked copy of {stem} was found: point "
                                 "HNML_TUTOR_DATA at a folder holding fashion-mnist/, or run the tutor once with "
                                 "internet"))
            continue
        placed.append(_put("fashion-mnist", target, *source))
    return placed


def _original_mnist_candidates(target: Path) -> list[Path]:
    """Every place an original ``mnist.npz`` may already be on this machine, the target itself excluded."""
    candidates = [place.path for place in places("mnist") if place.is_npz]
    data = os.environ.get("HNML_TUTOR_DATA")
    if data:
        candidates.append(Path(data).expanduser() / "mnist" / KERAS_MNIST_NPZ)
    candidates += [keras_cache_dir() / KERAS_MNIST_NPZ, Path.home() / ".keras" / "datasets" / KERAS_MNIST_NPZ,
                   Path("/tmp/.keras/datasets") / KERAS_MNIST_NPZ]
    unique: list[Path] = []
    for path in candidates:
        if os.path.abspath(path) != os.path.abspath(target) and path not in unique:
            unique.append(path)
    return unique


def install_mnist(keras_dir: Path) -> Placed:
    """``<keras_dir>/mnist.npz``, only ever the original file Keras' check accepts."""
    target = keras_dir / KERAS_MNIST_NPZ
    if os.path.lexists(target) and file_sha256(target) == KERAS_MNIST_NPZ_SHA256:
        return Placed("mnist", target, ALREADY_THERE, "the original file Keras checks for")
    candidates = _original_mnist_candidates(target)
    for path in candidates:
        if path.is_file() and file_sha256(path) == KERAS_MNIST_NPZ_SHA256:
            return _put("mnist", target, path.read_bytes(), f"the original mnist.npz at {path}")
    present = ("The mnist.npz already there is not the original file, so Keras will delete it and try to download "
               "(it was left as it is). " if os.path.lexists(target) else "")
    looked = ", ".join(str(path) for path in candidates)
    return Placed("mnist", target, SKIPPED,
                  f"{present}Keras accepts only the original mnist.npz (it checks the file's SHA-256) and none was "
                  f"found (looked in {looked}). A file rebuilt from the IDX files holds the same digits in other "
                  "bytes, so Keras would reject it and try to download.")


def install(names: tuple[str, ...] = ("mnist", "fashion-mnist")) -> Installed:
    """Place every data set in ``names`` where Keras' own ``load_data()`` finds it offline."""
    keras_dir = keras_download_dir()
    files: list[Placed] = []
    for name in names:
        if name == "mnist":
            files.append(install_mnist(keras_dir))
        else:
            files.extend(install_fashion(keras_dir))
    return Installed(keras_dir, tuple(files))
